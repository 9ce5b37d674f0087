import Foundation

/// Captures read one after another as one timeline: a capture file, or a directory of them — a day
/// rotated hourly (`tcpdump -G 3600 -w 'line-a/%H.pcap'`), say — in the order of their first
/// packets' times (files whose first packet cannot be read go last, by name, and say why when read).
public enum CaptureTimeline {
    /// Names read as captures in a directory (compressed ones too); anything else there is left alone.
    public static let extensions = [".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz"]

    /// Why a timeline could not be made.
    public struct TimelineError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `path` itself, or a directory's captures in time order.
    public static func files(_ path: String) throws(TimelineError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw TimelineError(description: "\(path): cannot list the directory (\(error.localizedDescription))")
        }
        let captures = names.filter { name in extensions.contains { name.lowercased().hasSuffix($0) } }.sorted()
        guard !captures.isEmpty else {
            throw TimelineError(description: "\(path): no capture in the directory (\(extensions.joined(separator: ", ")))")
        }
        let dated: [(path: String, first: Int64?)] = captures.map { name in
            let file = (path as NSString).appendingPathComponent(name)
            guard var reader = try? CaptureReader.open(file), let packet = try? reader.next() else { return (file, nil) }
            return (file, packet.timestamp)
        }
        return dated.enumerated().sorted { x, y in
            switch (x.element.first, y.element.first) {
            case let (a?, b?): return a != b ? a < b : x.offset < y.offset
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x.offset < y.offset
            }
        }.map(\.element.path)
    }

    /// Bytes of the timeline's files (for progress); 0 when unknown.
    public static func size(_ path: String) -> Int {
        ((try? files(path)) ?? []).reduce(0) { $0 + ((try? CaptureReader.open($1))?.fileSize ?? 0) }
    }
}

/// A timeline's packets one after another (``CaptureTimeline/files(_:)``), pulled one at a time, so
/// that two timelines can be read together in time order. A file that cannot be opened or read is
/// passed over (said in ``faults``), keeping what was read before the fault; each packet is valid
/// until the next call.
public struct TimelineReader: ~Copyable {
    private var files: [String]
    private var next = 0
    private var reader: CaptureReader?
    /// Bytes of the files finished before the current one.
    public private(set) var bytesBefore = 0
    /// What could not be read, one line per fault.
    public private(set) var faults: [String] = []

    public init(_ path: String) {
        do { files = try CaptureTimeline.files(path) } catch {
            files = []
            faults.append(error.description)
        }
    }

    /// Bytes read so far over the timeline.
    public var bytesRead: Int { bytesBefore + consumed }

    /// Bytes of the current file read so far.
    private var consumed: Int {
        switch reader {
        case .some(let r): r.bytesConsumed
        case .none: 0
        }
    }

    /// The next packet, nil at the end of the last file.
    public mutating func nextPacket() -> CapturedPacket? {
        while true {
            if reader == nil {
                guard next < files.count else { return nil }
                do { reader = try CaptureReader.open(files[next]) } catch { faults.append(error.description) }
                next += 1
                continue
            }
            do {
                if let packet = try reader!.next() { return packet }
            } catch {
                faults.append(error.description)
            }
            bytesBefore += consumed
            reader = nil
        }
    }
}
