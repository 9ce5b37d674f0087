#if canImport(Glibc)
import Glibc
#endif
import Vocabulary

/// An interface given as an IPv4 address or a name.
public enum NetworkInterface {
    /// The IPv4 address and index of an interface given as an IPv4 address (index 0) or a name (its
    /// first IPv4 address, nil when it has none); an IPv6 address gives (nil, 0).
    public static func resolve(_ text: String) throws(TransportError) -> (address: IPAddress?, index: Int) {
        if let address = IPAddress(text) {
            guard !address.isV6 else { return (nil, 0) }
            return (address, 0)
        }
        guard let index = interfaceIndex(named: text) else { throw TransportError(.interface, text, code: ENODEV) }
        // An IPv4 multicast interface by name: its first IPv4 address.
        var addresses: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&addresses) == 0 else { return (nil, index) }
        defer { freeifaddrs(addresses) }
        var cursor = addresses
        while let entry = cursor {
            if let name = entry.pointee.ifa_name, String(cString: name) == text, let a = entry.pointee.ifa_addr,
               a.pointee.sa_family == sa_family_t(AF_INET) {
                let v4 = a.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
                return (IPAddress(v4: v4), index)
            }
            cursor = entry.pointee.ifa_next
        }
        return (nil, index)
    }
}
