import Vocabulary
import Capture

/// A message with the sequence number the OMD rules give it, and what it does to the sequence.
@frozen public struct SequencedMessage {
    @frozen public enum Control: Equatable {
        case none
        /// A Sequence Reset (100): alone or last in its packet, its own SN is ignored and the next
        /// message is `newSequence`; followed by messages in its packet, it takes `newSequence` and
        /// they follow it (`newSequence` + 1, …).
        case reset(newSequence: UInt32)
        /// A DR Signal (105): numbered like any message; 1 in progress, 2 completed.
        case disasterRecovery(status: UInt32)
    }
    public let message: OMDMessage
    /// The message's SN (for a reset: the SN of the message after it).
    public let sequence: UInt32
    public let control: Control

    @inlinable init(message: OMDMessage, sequence: UInt32, control: Control) {
        self.message = message
        self.sequence = sequence
        self.control = control
    }
}

/// The messages of one OMD packet numbered by the OMD rules (docs/formats/omd.md): from the packet's
/// SeqNum, one per message, a Sequence Reset renumbering what follows it. One place for the rule that
/// the offline comparison, the live comparison and the mismatch detail all follow.
public struct SequencedMessages: IteratorProtocol, Sequence {
    @usableFromInline var messages: OMDMessages
    @usableFromInline var sequence: UInt32

    @inlinable @inline(__always) public init(_ packet: OMDPacket) {
        messages = packet.messages
        sequence = packet.sequenceNumber
    }

    /// Messages of an already separated (e.g. inflated) block whose first message has `sequenceNumber`.
    @inlinable public init(messages: OMDMessages, sequenceNumber: UInt32) {
        self.messages = messages
        sequence = sequenceNumber
    }

    /// Why iteration stopped before MsgCount messages (nil while well framed).
    @inlinable public var error: OMDFramingError? { messages.error }

    @inlinable @inline(__always)
    public mutating func next() -> SequencedMessage? {
        guard let m = messages.next() else { return nil }
        let type = m.type
        if _slowPath(type == OMDMessageType.sequenceReset) {
            let newSequence = m.bytes.getUInt32LE(at: 4) ?? 0
            // Last in its packet: NewSeqNo is the next SN. Followed by messages in its packet: the reset
            // takes NewSeqNo itself and they follow it (the rule SequenceTracker follows).
            sequence = messages.remaining == 0 ? newSequence : newSequence &+ 1
            return SequencedMessage(message: m, sequence: sequence, control: .reset(newSequence: newSequence))
        }
        let s = sequence
        sequence &+= 1
        if _slowPath(type == OMDMessageType.disasterRecoverySignal) {
            return SequencedMessage(message: m, sequence: s, control: .disasterRecovery(status: m.bytes.getUInt32LE(at: 4) ?? 0))
        }
        return SequencedMessage(message: m, sequence: s, control: .none)
    }
}
