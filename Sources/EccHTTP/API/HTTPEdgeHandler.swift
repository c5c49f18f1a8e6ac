import EccCollectors
import EccCore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP listener's bounds, shared by its connections: how many may be open at once and how long one
/// may sit without progress. Refusals are counted in ``reporter`` by reason.
public final class HTTPEdge: Sendable {
    /// Most connections open at once.
    public let maxConnections: Int
    /// How long a connection may go without a request in progress, or with a request head or body not
    /// progressing, before it is closed.
    public let idleTimeout: Duration
    /// Refusals (`collector="http"`).
    public let reporter: BadInputReporter
    private let open = Atomic<Int>(0)

    public init(maxConnections: Int, idleTimeout: Duration, reporter: BadInputReporter) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.reporter = reporter
    }

    /// Connections open now.
    public var connections: Int { open.load(ordering: .relaxed) }

    func admit() -> Bool {
        guard open.add(1, ordering: .relaxed).newValue > maxConnections else { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { open.subtract(1, ordering: .relaxed) }
}

/// Enforces ``HTTPEdge`` on one connection: refuses it over the cap, and closes it when idle — no request
/// in progress, or a request whose head or body stopped arriving — for the idle timeout. (Hummingbird's
/// own idle timeout does the same but closes silently; this one counts and logs why.) A response being
/// written, such as the live stream, is not idle.
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let edge: HTTPEdge
    private var admitted = false
    private var inProgress = 0
    private var reading = false
    private var closeAfterResponse = false
    private var lastActive = NIODeadline.now()
    private var timer: Scheduled<Void>?

    init(edge: HTTPEdge) { self.edge = edge }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !admitted else { return }
        guard edge.admit() else {
            edge.reporter.report(
                "connection refused", peer: context.channel.remoteAddress?.description ?? "?",
                detail: "\(edge.maxConnections) connections are open (http.max_connections)", reason: .connections)
            context.close(promise: nil)
            return
        }
        admitted = true
        lastActive = .now()
        schedule(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if admitted {
            admitted = false
            edge.release()
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now()
        switch unwrapInboundIn(data) {
        case .head:
            inProgress += 1
            reading = true
        case .body: break
        case .end: reading = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            // A refusal that says `Connection: close` (413, 408) ends the connection: the rest of a body too
            // large or too slow is not worth reading.
            if response.headerFields[.connection] == "close" { closeAfterResponse = true }
        case .body: break
        case .end:
            inProgress = Swift.max(0, inProgress - 1)
            lastActive = .now()
            if closeAfterResponse {
                let written = promise ?? context.eventLoop.makePromise()
                context.writeAndFlush(data, promise: written)
                written.futureResult.whenComplete { _ in context.close(promise: nil) }
                return
            }
        }
        context.write(data, promise: promise)
    }

    private var timeout: TimeAmount { TimeAmount(edge.idleTimeout) }

    private func schedule(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let deadline = lastActive + timeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.check(context)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        guard admitted else { return }
        let busyResponding = inProgress > 0 && !reading
        if !busyResponding && NIODeadline.now() >= lastActive + timeout {
            edge.reporter.report(
                "idle connection closed", peer: context.channel.remoteAddress?.description ?? "?",
                detail: reading ? "request not received within \(edge.idleTimeout)" : "idle for \(edge.idleTimeout)",
                reason: .idleTimeout)
            context.close(promise: nil)
            return
        }
        if busyResponding { lastActive = .now() }
        schedule(context)
    }
}
