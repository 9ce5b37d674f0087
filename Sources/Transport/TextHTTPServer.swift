#if canImport(Glibc)
import Glibc
#endif
import Vocabulary
import Capture
import Synchronization

/// A minimal HTTP/1.1 server for plain-text pages (Prometheus scrapes): GET only, one request per
/// connection, served one at a time on its own thread. `page(path)` returns the body or nil (404).
/// `@unchecked Sendable`: `thread` is set once in `init` and read by `stop()`; the serving thread touches only the listener and the atomic flag.
public final class TextHTTPServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: TCPListener
    private final class Flag: Sendable { let on = Atomic<Bool>(true) }
    private let running = Flag()
    private var thread: PinnedThread?

    /// Listens on `endpoint` (port 0 picks a free one) and starts serving.
    public init(endpoint: Endpoint, contentType: String = "text/plain; version=0.0.4; charset=utf-8",
                page: @escaping @Sendable (String) -> String?) throws(TransportError) {
        listener = try TCPListener(endpoint: endpoint, backlog: 16)
        port = listener.port
        let listener = self.listener
        let running = self.running
        thread = PinnedThread.start(name: "rehearse-http") {
            while running.on.load(ordering: .relaxed) {
                guard waitForSockets([listener.descriptor], writable: [false], timeoutNanoseconds: 100_000_000)[0] != 0,
                      let connection = listener.accept() else { continue }
                Self.serve(connection, contentType: contentType, page: page)
            }
        }
    }

    /// Stops serving and waits for the thread.
    public func stop() {
        running.on.store(false, ordering: .relaxed)
        thread?.join()
        thread = nil
    }

    deinit { stop() }

    static func serve(_ c: TCPConnectionSocket, contentType: String, page: (String) -> String?) {
        defer { c.close() }
        // Read the request head (up to 8 KiB, 2 s).
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        let deadline = Clock.monotonic() + 2_000_000_000
        while request.count < 8192 && !request.ends(with: [13, 10, 13, 10]) {
            let n = chunk.withUnsafeMutableBytes { c.receive(into: $0) }
            if n > 0 { request += chunk[0..<n]; continue }
            if n == 0 || n != -Int(EAGAIN) || Clock.monotonic() > deadline { return }
            _ = waitForSockets([c.descriptor], writable: [false], timeoutNanoseconds: 50_000_000)
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        var status = "200 OK", body = ""
        if line.count < 2 || line[0] != "GET" {
            status = "405 Method Not Allowed"; body = "only GET\n"
        } else if let text = page(String(line[1].split(separator: "?").first ?? "")) {
            body = text
        } else {
            status = "404 Not Found"; body = "not found\n"
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        var out = Array(head.utf8) + bytes
        var sent = 0
        while sent < out.count && Clock.monotonic() < deadline {
            let n = out.withUnsafeBytes { c.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            if n > 0 { sent += n } else if n == -Int(EAGAIN) {
                _ = waitForSockets([c.descriptor], writable: [true], timeoutNanoseconds: 50_000_000)
            } else { return }
        }
        out.removeAll()
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
