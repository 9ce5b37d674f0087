import Vocabulary
import Capture
import Foundation

/// A problem on one line of a transaction log.
public struct TransactionLogError: Sendable, Equatable, Codable, CustomStringConvertible {
    public let line: Int
    public let byteOffset: Int
    public let reason: String
    public var description: String { "line \(line) (byte \(byteOffset)): \(reason)" }
}

/// Reads the JSON Lines transaction log of `docs/formats/transaction-log.md`: one request per line,
/// `{"time": …, "session": "…", "type": "D", "payload": "11=…|55=…"}`. Each request becomes a FIX
/// message (MsgType + payload fields) so the session player treats it exactly like a captured one.
/// Malformed lines are counted, skipped and reported with their line number and byte offset.
public struct TransactionLog: Sendable {
    public let path: String
    /// Requests per session, in file order, as (session name, messages).
    public private(set) var sessions: [(name: String, messages: [CapturedFIXMessage])] = []
    public private(set) var errors: [TransactionLogError] = []
    public private(set) var errorCount = 0
    public private(set) var lines = 0

    public enum OpenError: Error, CustomStringConvertible, Sendable {
        case unreadable(String, String)
        public var description: String {
            switch self { case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)" }
        }
    }

    /// True when `path` looks like a transaction log (by extension, or a first byte of `{`).
    public static func looksLikeLog(_ path: String) -> Bool {
        if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        return head.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == 0x7B
    }

    public init(path: String, beginString: String = "FIX.4.4") throws(OpenError) {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw .unreadable(path, error.localizedDescription) }
        var order: [String] = []
        var bySession: [String: [CapturedFIXMessage]] = [:]
        var offset = 0
        var lineNumber = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let end = bytes[offset...].firstIndex(of: 0x0A) ?? bytes.count
            lineNumber += 1
            let line = bytes[offset..<end]
            defer { offset = end + 1 }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            lines += 1
            func fail(_ reason: String) {
                errorCount += 1
                if errors.count < 1000 { errors.append(TransactionLogError(line: lineNumber, byteOffset: offset, reason: reason)) }
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else { fail("not a JSON object"); continue }
            guard let session = object["session"] as? String, !session.isEmpty else { fail("no \"session\" string"); continue }
            guard let type = object["type"] as? String, !type.isEmpty, type.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x3D && $0 < 0x7F }) else {
                fail("no valid \"type\" (a FIX MsgType such as D, F, G)"); continue
            }
            guard let time = Self.time(object["time"]) else { fail("\"time\" is not integer nanoseconds or ISO-8601 UTC"); continue }
            guard let fields = Self.fields(object["payload"]) else { fail("\"payload\" is not tag=value fields or an object of tags"); continue }
            var writer = FIXWriter(beginString: beginString)
            writer.add(35, type)
            for (tag, value) in fields { writer.add(tag, value) }
            let message = CapturedFIXMessage(connection: 0, direction: .clientToServer, bytes: writer.message(),
                                             streamOffset: UInt64(offset), timestamp: time, messageType: type)
            if bySession[session] == nil { order.append(session) }
            bySession[session, default: []].append(message)
        }
        sessions = order.map { ($0, bySession[$0]!) }
    }

    /// Integer ns since 1970, or `YYYY-MM-DDTHH:MM:SS[.fraction]Z`.
    static func time(_ value: Any?) -> Int64? {
        if value is Bool { return nil }
        if let n = value as? Int64 { return n }
        if let n = value as? Int { return Int64(n) }
        guard let text = value as? String, text.hasSuffix("Z"), text.count >= 20 else { return nil }
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range { guard i < chars.count, chars[i] >= 0x30, chars[i] <= 0x39 else { return nil }; n = n * 10 + Int(chars[i] - 0x30) }
            return n
        }
        guard let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10), let h = number(11..<13),
              let mi = number(14..<16), let s = number(17..<19), chars[4] == 0x2D, chars[7] == 0x2D, chars[10] == 0x54,
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var fraction: Int64 = 0
        var digits = 0
        if chars[19] == 0x2E {
            var i = 20
            while i < chars.count - 1 {
                guard chars[i] >= 0x30, chars[i] <= 0x39, digits < 9 else { return nil }
                fraction = fraction * 10 + Int64(chars[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
        } else if chars.count != 20 {
            return nil
        }
        for _ in digits..<9 { fraction *= 10 }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = y - (mo <= 2 ? 1 : 0)
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return ((days * 24 + Int64(h)) * 60 + Int64(mi)) * 60_000_000_000 + Int64(s) * 1_000_000_000 + fraction
    }

    /// `"11=A|55=B"` (or SOH-separated), or `{"11": "A", "55": "B"}` (tags sorted numerically).
    static func fields(_ value: Any?) -> [(Int, String)]? {
        if let text = value as? String {
            var out: [(Int, String)] = []
            for part in text.split(whereSeparator: { $0 == "|" || $0 == "\u{01}" }) {
                guard let eq = part.firstIndex(of: "="), let tag = Int(part[..<eq]), tag > 0 else { return nil }
                out.append((tag, String(part[part.index(after: eq)...])))
            }
            return out
        }
        if let object = value as? [String: Any] {
            var out: [(Int, String)] = []
            for (key, v) in object {
                guard let tag = Int(key), tag > 0 else { return nil }
                out.append((tag, "\(v)"))
            }
            return out.sorted { $0.0 < $1.0 }
        }
        return nil
    }
}
