import Vocabulary
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
///
/// Records are taken by the reader's fast walk (the cursor in the timeline, a record a few loads and
/// compares) and anything unusual — a window refill, a truncated tail, a pcapng block other than an
/// Enhanced Packet Block — by the reader's own `next()`, so the packets are exactly `next()`'s.
public struct TimelineReader: ~Copyable {
    private var files: [String]
    private var next = 0
    private var reader: CaptureReader?
    /// The fast walk over the current file's window (one of the two, by format), nil while the
    /// reader's own `next()` has the cursor.
    private var pcapWalk: PcapWalk?
    private var pcapngWalk: PcapngWalk?
    /// The current file is pcapng.
    private var isPcapng = false
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
        if let w = pcapWalk { return w.cursor.offset }
        if let w = pcapngWalk { return w.cursor.offset }
        switch reader {
        case .some(let r): return r.bytesConsumed
        case .none: return 0
        }
    }

    /// The next packet, nil at the end of the last file.
    @inline(__always)
    public mutating func nextPacket() -> CapturedPacket? {
        if _fastPath(pcapWalk != nil), let packet = pcapWalk!.next() { return packet }
        if pcapngWalk != nil, let packet = pcapngWalk!.next() { return packet }
        return nextSlowly()
    }

    /// The next packet's time, link type and bytes (nil at the end of the last file): what a pass
    /// that needs no more of a packet hands around, a third of a ``CapturedPacket``.
    public mutating func nextFrame() -> TimedFrame? {
        guard let packet = nextPacket() else { return nil }
        return TimedFrame(timestamp: packet.timestamp, data: packet.data, linkType: packet.linkType)
    }

    /// The reader takes the cursor back from the walk and reads the next packet itself (the walk
    /// stopped at something unusual, or none was started), then hands it to a walk again.
    @inline(never)
    private mutating func nextSlowly() -> CapturedPacket? {
        if let w = pcapWalk { reader!.finish(w.cursor); pcapWalk = nil }
        if let w = pcapngWalk { reader!.finish(w.cursor); pcapngWalk = nil }
        while true {
            if reader == nil {
                guard next < files.count else { return nil }
                do {
                    let opened = try CaptureReader.open(files[next])
                    isPcapng = opened.format.isPcapng
                    reader = consume opened
                } catch { faults.append(error.description) }
                next += 1
                continue
            }
            do {
                if let packet = try reader!.next() {
                    if isPcapng { pcapngWalk = PcapngWalk(reader!) } else { pcapWalk = PcapWalk(reader!) }
                    return packet
                }
            } catch {
                faults.append(error.description)
            }
            bytesBefore += consumed
            reader = nil
        }
    }
}

/// A packet's capture time, link type and bytes (``TimelineReader/nextFrame()``).
@frozen
public struct TimedFrame {
    /// As ``CapturedPacket/timestamp``.
    public var timestamp: Int64
    /// The captured bytes, starting at the link-layer header.
    public var data: ByteView
    public var linkType: LinkType

    @inlinable
    public init(timestamp: Int64, data: ByteView, linkType: LinkType) {
        self.timestamp = timestamp
        self.data = data
        self.linkType = linkType
    }
}
