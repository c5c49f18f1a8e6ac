import EccCollectors
import EccCore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP listener's bounds, shared by its connections: how many may be open at once and how long one
/// may sit without progress. Refusals are counted in ``reporter`` by reason.
package final class HTTPEdge: Sendable {
    /// Most connections open at once.
    package let maxConnections: Int
    /// How long a connection may go without a request in progress, or with a request head or body not
    /// progressing, before it is closed.
    package let idleTimeout: Duration
    /// Refusals (`collector="http"`).
    package let reporter: BadInputReporter
    private let open = Atomic<Int>(0)

    /// A request's head and body must arrive whole within this.
    package let bodyTimeout: Duration

    package init(maxConnections: Int, idleTimeout: Duration, bodyTimeout: Duration, reporter: BadInputReporter) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.reporter = reporter
    }

    /// Connections open now.
    package var connections: Int { open.load(ordering: .relaxed) }

    func admit() -> Bool {
        guard open.add(1, ordering: .relaxed).newValue > maxConnections else { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { open.subtract(1, ordering: .relaxed) }
}

/// Enforces ``HTTPEdge`` on one connection: refuses it over the cap, and closes it when it stops making
/// progress — no request in progress for the idle timeout, a request whose head or body has not arrived
/// whole within the body timeout (a trickle counts: Hummingbird drains an unread body after answering),
/// or a client that stopped reading a response (the socket not writable) for the idle timeout, such as
/// a stalled live stream. (Hummingbird's own idle timeout closes silently and never the last two; this one
/// counts and logs why.) Checked on a timer every quarter of the shorter timeout.
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let edge: HTTPEdge
    private var admitted = false
    private var inProgress = 0
    private var headAt: NIODeadline?
    private var unwritableSince: NIODeadline?
    private var lastActive = NIODeadline.now()
    private var closeAfterResponse = false
    private var timer: Scheduled<Void>?
    private var tick = TimeAmount.seconds(1)

    init(edge: HTTPEdge) { self.edge = edge }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        guard start(context) else { return }  // refused: closed, nothing to tell the handlers after this one
        context.fireChannelActive()
    }

    /// Admits the connection under the cap and starts its timer; false when it was refused and closed.
    private func start(_ context: ChannelHandlerContext) -> Bool {
        guard !admitted else { return true }
        guard edge.admit() else {
            edge.reporter.report(
                "connection refused", peer: context.channel.remoteAddress?.description ?? "?",
                detail: "\(edge.maxConnections) connections are open (http.max_connections)", reason: .connections)
            context.close(promise: nil)
            return false
        }
        admitted = true
        lastActive = .now()
        tick = TimeAmount(Swift.max(.milliseconds(100), Swift.min(edge.idleTimeout, edge.bodyTimeout) / 4))
        schedule(context)
        return true
    }

    private func schedule(_ context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: tick) {
            self.timer = nil
            self.check(context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { stop() }

    private func stop() {
        timer?.cancel()
        timer = nil
        if admitted {
            admitted = false
            edge.release()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now()
        switch unwrapInboundIn(data) {
        case .head:
            inProgress += 1
            headAt = lastActive
        case .body: break
        case .end: headAt = nil
        }
        context.fireChannelRead(data)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        unwritableSince = context.channel.isWritable ? nil : (unwritableSince ?? .now())
        context.fireChannelWritabilityChanged()
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

    private func check(_ context: ChannelHandlerContext) {
        guard admitted else { return }
        let now = NIODeadline.now()
        let idle = TimeAmount(edge.idleTimeout)
        let problem: String?
        if let headAt, now - headAt >= TimeAmount(edge.bodyTimeout) {
            problem = "request not received whole within \(edge.bodyTimeout) (http.body_timeout)"
        } else if let unwritableSince, now - unwritableSince >= idle {
            problem = "client read nothing of the response for \(edge.idleTimeout) (http.idle_timeout)"
        } else if inProgress == 0 && now - lastActive >= idle {
            problem = "idle for \(edge.idleTimeout) (http.idle_timeout)"
        } else {
            problem = nil
        }
        guard let problem else {
            schedule(context)
            return
        }
        edge.reporter.report(
            "connection closed", peer: context.channel.remoteAddress?.description ?? "?", detail: problem,
            reason: .idleTimeout)
        stop()
        context.close(promise: nil)
    }
}
