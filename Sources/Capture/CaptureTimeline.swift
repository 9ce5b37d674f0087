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
