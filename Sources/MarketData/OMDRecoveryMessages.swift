import Vocabulary

/// The messages of OMD's recovery services (docs/formats/omd.md, "Recovery services"; OMD-D v1.47,
/// OMD-C v1.45): the Retransmission Server's session and requests over TCP, and the Refresh Service's
/// end of a snapshot cycle. Each travels in an ordinary OMD packet; a client's packet carries SeqNum 0
/// and SendTime 0, and the server's SeqNum and SendTime in responses carry no meaning.
public enum OMDRecoveryMessage: Sendable, Equatable {
    /// Logon (101): the user name, at most 12 characters.
    case logon(username: String)
    /// Logon Response (102).
    case logonResponse(SessionStatus)
    /// Retransmission Request (201): the channel and the inclusive range of sequence numbers.
    case retransmissionRequest(channel: UInt16, begin: UInt32, end: UInt32)
    /// Retransmission Response (202): the request's channel and range, and whether it is served.
    case retransmissionResponse(channel: UInt16, status: RetransmissionStatus, begin: UInt32, end: UInt32)
    /// Refresh Complete (203): the real-time sequence number the snapshot cycle is synchronised to.
    case refreshComplete(lastSequence: UInt32)

    /// Logon Response SessionStatus.
    public enum SessionStatus: Sendable, Equatable {
        case active, invalidUser, alreadyConnected
        /// A code the specification does not define (kept, never guessed into one it does).
        case other(UInt8)
        public init(code: UInt8) {
            switch code {
            case 0: self = .active
            case 5: self = .invalidUser
            case 100: self = .alreadyConnected
            default: self = .other(code)
            }
        }
        public var code: UInt8 {
            switch self {
            case .active: 0
            case .invalidUser: 5
            case .alreadyConnected: 100
            case .other(let c): c
            }
        }
    }

    /// Retransmission Response RetransStatus.
    public enum RetransmissionStatus: Sendable, Equatable {
        case accepted, unknownChannel, notAvailable, rangeTooBig, tooManyRequests
        /// A code the specification does not define.
        case other(UInt8)
        public init(code: UInt8) {
            switch code {
            case 0: self = .accepted
            case 1: self = .unknownChannel
            case 2: self = .notAvailable
            case 100: self = .rangeTooBig
            case 101: self = .tooManyRequests
            default: self = .other(code)
            }
        }
        public var code: UInt8 {
            switch self {
            case .accepted: 0
            case .unknownChannel: 1
            case .notAvailable: 2
            case .rangeTooBig: 100
            case .tooManyRequests: 101
            case .other(let c): c
            }
        }
    }

    /// Longest user name a Logon carries.
    public static let usernameLength = 12

    /// The message type code.
    public var type: UInt16 {
        switch self {
        case .logon: OMDMessageType.logon
        case .logonResponse: OMDMessageType.logonResponse
        case .retransmissionRequest: OMDMessageType.retransmissionRequest
        case .retransmissionResponse: OMDMessageType.retransmissionResponse
        case .refreshComplete: OMDMessageType.refreshComplete
        }
    }

    /// The message's size on the wire (MsgSize).
    public var size: Int {
        switch self {
        case .logon, .retransmissionRequest, .retransmissionResponse: 16
        case .logonResponse, .refreshComplete: 8
        }
    }

    /// Reads a recovery message; nil for another type, or a message too short for its type.
    public init?(_ m: OMDMessage) {
        let b = m.bytes
        guard let size = b.getUInt16LE(at: 0), Int(size) <= b.count else { return nil }
        switch m.type {
        case OMDMessageType.logon:
            guard size >= 16, let name = b.getSlice(at: 4, count: Self.usernameLength) else { return nil }
            let bytes = name.bytes.prefix { $0 != 0 }
            self = .logon(username: String(decoding: bytes, as: UTF8.self).trimmingTrailingSpaces)
        case OMDMessageType.logonResponse:
            guard size >= 8, let status = b.getUInt8(at: 4) else { return nil }
            self = .logonResponse(SessionStatus(code: status))
        case OMDMessageType.retransmissionRequest:
            guard size >= 16, let channel = b.getUInt16LE(at: 4), let begin = b.getUInt32LE(at: 8), let end = b.getUInt32LE(at: 12) else { return nil }
            self = .retransmissionRequest(channel: channel, begin: begin, end: end)
        case OMDMessageType.retransmissionResponse:
            guard size >= 16, let channel = b.getUInt16LE(at: 4), let status = b.getUInt8(at: 6),
                  let begin = b.getUInt32LE(at: 8), let end = b.getUInt32LE(at: 12) else { return nil }
            self = .retransmissionResponse(channel: channel, status: RetransmissionStatus(code: status), begin: begin, end: end)
        case OMDMessageType.refreshComplete:
            guard size >= 8, let last = b.getUInt32LE(at: 4) else { return nil }
            self = .refreshComplete(lastSequence: last)
        default:
            return nil
        }
    }

    /// Appends the message to a packet being built; false when it does not fit.
    @discardableResult
    public func append(to builder: inout OMDPacketBuilder) -> Bool {
        builder.message(type: type, length: size) { f in
            switch self {
            case .logon(let username):
                let name = Array(username.utf8.prefix(Self.usernameLength))
                for (i, c) in name.enumerated() { f.put8(at: 4 + i, c) }
                for i in name.count..<Self.usernameLength { f.put8(at: 4 + i, 0x20) }
            case .logonResponse(let status):
                f.put8(at: 4, status.code)
            case .retransmissionRequest(let channel, let begin, let end):
                f.put16(at: 4, channel)
                f.put32(at: 8, begin)
                f.put32(at: 12, end)
            case .retransmissionResponse(let channel, let status, let begin, let end):
                f.put16(at: 4, channel)
                f.put8(at: 6, status.code)
                f.put32(at: 8, begin)
                f.put32(at: 12, end)
            case .refreshComplete(let last):
                f.put32(at: 4, last)
            }
        }
    }

    /// The message alone in a packet, as a client sends a request: SeqNum 0, SendTime 0 (a server
    /// passes its own; they carry no meaning in responses).
    public func packet(sequenceNumber: UInt32 = 0, sendTime: UInt64 = 0) -> [UInt8] {
        var b = OMDPacketBuilder(maximumSize: 16 + size)
        b.start(sequenceNumber: sequenceNumber, sendTime: sendTime)
        append(to: &b)
        b.finish()
        return b.packet
    }
}

/// The retransmission service's limits, the OMD-D/OMD-C specifications' figures by default: the
/// simulator serves by them, the recovery client asks within them, `compare` judges captures against them.
public struct RecoveryLimits: Sendable, Equatable {
    /// Messages held per channel: a request reaching further back is "not available".
    public var window = 50_000
    /// Messages one request may ask for: beyond, "range too big".
    public var maximumPerRequest = 10_000
    /// Requests per user per day, across channels: beyond, "too many requests".
    public var dailyRequests = 1_000
    public init() {}
}
