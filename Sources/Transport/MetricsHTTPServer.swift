#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import Vocabulary

/// An HTTP/1.1 server for plain-text pages (Prometheus scrapes) on SwiftNIO: every connection served
/// concurrently on one event-loop thread, keep-alive honoured, a connection idle for
/// ``idleTimeoutSeconds`` closed, GET and HEAD answered (200, or 404 when `page(path)` returns nil),
/// every other method answered 405 with `Allow: GET, HEAD`. `page` runs on the event loop: keep it quick.
public final class MetricsHTTPServer: Sendable {
    /// The port bound (the one asked for, or the one picked for port 0).
    public let port: UInt16
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// A connection that sends nothing for this long is closed (a scraper reconnects).
    public static let idleTimeoutSeconds: Int64 = 30

    /// Listens on `endpoint` (port 0 picks a free one) and starts serving. The process's open-file soft
    /// limit is raised to its hard limit first, so a thousand idle scrapers do not exhaust it.
    public init(endpoint: Endpoint, contentType: String = "text/plain; version=0.0.4; charset=utf-8",
                page: @escaping @Sendable (String) -> String?) throws(TransportError) {
        Self.raiseOpenFileLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        IdleStateHandler(readTimeout: .seconds(Self.idleTimeoutSeconds)))
                    try channel.pipeline.syncOperations.addHandler(PageHandler(contentType: contentType, page: page))
                }
            }
        do {
            channel = try bootstrap.bind(host: endpoint.address.description, port: Int(endpoint.port)).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw TransportError(.bind, endpoint.description, code: Self.errno(of: error))
        }
        self.group = group
        port = UInt16(channel.localAddress?.port ?? Int(endpoint.port))
    }

    /// Stops listening, closes every connection and waits for the event loop.
    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    private static func errno(of error: any Error) -> Int32 {
        (error as? IOError)?.errnoCode ?? EADDRNOTAVAIL
    }

    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// Answers each request on a connection with `page(path)`.
private final class PageHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let contentType: String
    let page: @Sendable (String) -> String?
    private var head: HTTPRequestHead?

    init(contentType: String, page: @escaping @Sendable (String) -> String?) {
        self.contentType = contentType
        self.page = page
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let h = head else { return }
            head = nil
            respond(to: h, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        var status = HTTPResponseStatus.ok, body = ""
        var headers = HTTPHeaders()
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = "only GET and HEAD\n"
            headers.add(name: "Allow", value: "GET, HEAD")
        } else if let text = page(String(request.uri.split(separator: "?", maxSplits: 1).first ?? "")) {
            body = text
        } else {
            status = .notFound
            body = "not found\n"
        }
        let keepAlive = request.isKeepAlive
        headers.add(name: "Content-Type", value: status == .ok ? contentType : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
