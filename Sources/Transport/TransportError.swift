#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture

/// A socket operation that failed, with the endpoint it concerned and the system's reason.
public struct TransportError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Operation: String, Sendable {
        case open, connect, bind, join, send, receive, option, interface
    }
    public let operation: Operation
    /// The endpoint or interface concerned, as text.
    public let endpoint: String
    public let code: Int32

    public init(_ operation: Operation, _ endpoint: String, code: Int32) {
        self.operation = operation
        self.endpoint = endpoint
        self.code = code
    }

    public var reason: String { String(cString: strerror(code)) }

    public var description: String {
        switch operation {
        case .interface: return "\(endpoint): no such interface"
        default: return "\(operation.rawValue) \(endpoint): \(reason)"
        }
    }

    /// True for errors that describe the far end (refused, unreachable, timed out, reset) rather than
    /// this host.
    public var isTargetError: Bool {
        code == ECONNREFUSED || code == EHOSTUNREACH || code == ENETUNREACH || code == EHOSTDOWN
            || code == ETIMEDOUT || code == ECONNRESET || code == ECONNABORTED || code == EPIPE
    }
}
