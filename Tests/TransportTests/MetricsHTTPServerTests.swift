import Foundation
import Synchronization
import TestSupport
import Testing
import Transport
import Vocabulary

/// Reads from `fd` until `marker` has arrived `times` times or the receive times out.
private func receive(_ fd: Int32, until marker: String, times: Int = 1) -> String {
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while String(decoding: response, as: UTF8.self).components(separatedBy: marker).count - 1 < times {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += buffer[0..<n]
    }
    return String(decoding: response, as: UTF8.self)
}

private func send(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, 0) }
}

/// Pages served, counted on the server's thread.
final class Served: Sendable {
    let count = Atomic(0)
}

@Suite("the metrics endpoint: HTTP/1.1 on SwiftNIO")
struct MetricsHTTPServerTests {
    func server(_ served: Served? = nil) throws -> MetricsHTTPServer {
        try MetricsHTTPServer(endpoint: Endpoint("127.0.0.1:0")!) { path in
            served?.count.add(1, ordering: .relaxed)
            return path == "/metrics" ? "up 1\n" : nil
        }
    }

    @Test("GET answers 200 with the text and its length, 404 elsewhere, HEAD headers only, POST 405 with Allow; the query is not part of the path")
    func methods() throws {
        let s = try server()
        defer { s.stop() }
        let port = Int(s.port)
        let ok = try #require(httpGet(port: port, path: "/metrics?x=1"))
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n") && ok.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"), "\(ok)")
        #expect(ok.contains("Content-Length: 5\r\n") && httpBody(ok) == "up 1\n")
        #expect(httpGet(port: port, path: "/other")?.hasPrefix("HTTP/1.1 404 Not Found") == true)
        let head = try #require(httpGet(port: port, path: "/metrics", method: "HEAD"))
        #expect(head.hasPrefix("HTTP/1.1 200 OK") && head.contains("Content-Length: 5") && httpBody(head).isEmpty, "\(head)")
        for method in ["POST", "PUT", "DELETE"] {
            let r = try #require(httpGet(port: port, path: "/metrics", method: method))
            #expect(r.hasPrefix("HTTP/1.1 405 Method Not Allowed") && r.contains("Allow: GET, HEAD"), "\(method): \(r)")
        }
    }

    @Test("keep-alive: three requests on one connection get three answers, in order")
    func keepAlive() throws {
        let s = try server()
        defer { s.stop() }
        let fd = try #require(connectLoopback(port: Int(s.port)))
        defer { close(fd) }
        for _ in 0..<3 { send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") }
        let r = receive(fd, until: "up 1\n", times: 3)
        #expect(r.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3, "\(r)")
        #expect(r.contains("Connection: keep-alive"))
    }

    @Test("1,000 idle connections and one sending half a request do not hold up a scrape")
    func idleConnections() throws {
        let served = Served()
        let s = try server(served)
        defer { s.stop() }
        let port = Int(s.port)
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let count = min(1_000, Int(limit.rlim_cur) / 2 - 64)  // the server raised its own limit; ours is shared
        for _ in 0..<count { if let fd = connectLoopback(port: port) { idle.append(fd) } }
        #expect(idle.count == count)
        if let slow = idle.first { send(slow, "GET /metr") }
        // The connection is answered (the receive would time out after 10 s), and so is the next.
        for _ in 0..<2 {
            let r = httpGet(port: port, path: "/metrics") ?? ""
            #expect(r.hasPrefix("HTTP/1.1 200 OK") && httpBody(r) == "up 1\n", "\(r.prefix(200))")
        }
        #expect(served.count.load(ordering: .relaxed) == 2)
    }

    @Test("a port in use is a bind error naming the endpoint")
    func portInUse() throws {
        let s = try server()
        defer { s.stop() }
        #expect(throws: TransportError.self) {
            _ = try MetricsHTTPServer(endpoint: Endpoint("127.0.0.1:\(s.port)")!) { _ in nil }
        }
        do {
            _ = try MetricsHTTPServer(endpoint: Endpoint("127.0.0.1:\(s.port)")!) { _ in nil }
        } catch {
            #expect(error.description.hasPrefix("bind 127.0.0.1:\(s.port): "), "\(error.description)")
        }
    }
}
