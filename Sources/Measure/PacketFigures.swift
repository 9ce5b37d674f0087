import Capture
import MarketData

/// What the reading side learned about one packet that the counting side needs: where it belongs
/// (stream, OMD stream), its time and lengths, and where its payload lies in the capture — 40 bytes,
/// never a copy of the payload. With two threads these cross the ring; with one they are passed on
/// directly, so both ways count through the same code.
struct PacketFacts: BitwiseCopyable, Sendable {
    var timestamp: Int64
    /// Offset of the transport payload in the (stable) capture bytes; used only across the ring.
    var payloadOffset: Int
    var wireLength: Int32
    var capturedLength: Int32
    /// The payload length the headers declare (UDP length − 8, IP-derived for TCP).
    var declaredLength: Int32
    /// Payload bytes captured.
    var payloadLength: Int32
    /// Index of the packet's stream; −1 when it has none (not UDP/TCP, or beyond the stream limit).
    var streamIndex: Int32
    /// Index of the stream's OMD statistics; −1 when the stream is not (yet) known to carry OMD.
    var omdIndex: Int32

    @inline(__always)
    init(_ packet: CapturedPacket) {
        timestamp = packet.timestamp
        payloadOffset = 0
        wireLength = Int32(truncatingIfNeeded: packet.originalLength)
        capturedLength = Int32(truncatingIfNeeded: packet.data.count)
        declaredLength = 0
        payloadLength = 0
        streamIndex = -1
        omdIndex = -1
    }
}

/// Per-stream figures: packets, bytes, first and last time, peak rates.
struct StreamFigures: Sendable {
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var payloadBytes: UInt64 = 0
    var firstTimestamp: Int64 = .max
    var lastTimestamp: Int64 = .min
    var windows = RateWindows()

    @inline(__always)
    mutating func record(_ timestamp: Int64, wire: Int32, payload: Int32) {
        packets &+= 1
        bytes &+= UInt64(truncatingIfNeeded: wire)
        payloadBytes &+= UInt64(truncatingIfNeeded: payload)
        if timestamp < firstTimestamp { firstTimestamp = timestamp }
        if timestamp > lastTimestamp { lastTimestamp = timestamp }
        windows.add(timestamp, bytes: Int(wire))
    }
}

/// The counting side of an inspection: file-wide totals and peaks, per-stream figures and OMD
/// accounting, fed one ``PacketFacts`` per packet in capture order. No allocation per packet once a
/// stream is known.
struct PacketFigures {
    var packets: UInt64 = 0
    var bytes: UInt64 = 0
    var capturedBytes: UInt64 = 0
    var firstTimestamp: Int64 = .max
    var lastTimestamp: Int64 = .min
    var previousTimestamp: Int64 = .min
    /// Packets whose timestamp is earlier than the packet before them.
    var timestampRegressions: UInt64 = 0
    var windows = RateWindows()
    /// By stream index (the reading side numbers streams in order of first appearance).
    var streams: [StreamFigures] = []
    /// By OMD stream index (numbered in order of detection).
    var omd: [OMDStreamStatistics] = []
    let analyzer = OMDStreamAnalyzer()

    @inline(__always)
    mutating func account(_ facts: PacketFacts, payload: ByteView) {
        let timestamp = facts.timestamp
        packets &+= 1
        bytes &+= UInt64(truncatingIfNeeded: facts.wireLength)
        capturedBytes &+= UInt64(truncatingIfNeeded: facts.capturedLength)
        if timestamp < firstTimestamp { firstTimestamp = timestamp }
        if timestamp > lastTimestamp { lastTimestamp = timestamp }
        if _slowPath(timestamp < previousTimestamp) { timestampRegressions &+= 1 }
        previousTimestamp = timestamp
        windows.add(timestamp, bytes: Int(facts.wireLength))
        guard facts.streamIndex >= 0 else { return }
        let stream = Int(facts.streamIndex)
        // A new stream's first packet carries the next index.
        while _slowPath(stream >= streams.count) { streams.append(StreamFigures()) }
        streams[stream].record(timestamp, wire: facts.wireLength, payload: facts.declaredLength)
        guard facts.omdIndex >= 0 else { return }
        let index = Int(facts.omdIndex)
        while _slowPath(index >= omd.count) { omd.append(OMDStreamStatistics()) }
        analyzer.process(payload, declaredLength: Int(facts.declaredLength), timestamp: timestamp, into: &omd[index])
    }
}
