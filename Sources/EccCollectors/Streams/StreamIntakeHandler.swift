import EccBus
import EccCore
import NIOCore
import NIOExtras
import NIOSSL
import Synchronization

/// What every stream collector's connection does the same way (JSON lines, syslog over TCP and TLS): bytes
/// gathered until a frame is complete, events batched onto the bus with TCP backpressure when it is full
/// (reading stops until the batch fits, so nothing already read is dropped), the idle timeout, a quiet
/// shutdown that hands what was read to the bus before closing, TLS failures counted.
///
/// A collector subclasses it and overrides ``decode(final:)``, which takes the complete frames out of
/// ``cumulation`` and appends their events to ``producer``.
class StreamIntakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let producer: Producer<Event>
    let reporter: BadInputReporter
    let clock: any EccCore.Clock
    /// Bytes read and not yet decoded (the start of a frame).
    var cumulation: ByteBuffer?
    /// The remote address, for logs.
    var peer = "?"
    /// The connection closed.
    private(set) var inactive = false
    private(set) var context: ChannelHandlerContext?
    private let idleTimeout: Duration
    private let backlog: Backlog
    private var blocked = false
    private var paused = false
    private var retryScheduled = false
    private var quiescing = false

    init(
        producer: Producer<Event>, reporter: BadInputReporter, clock: any EccCore.Clock, idleTimeout: Duration,
        backlog: Backlog
    ) {
        self.producer = producer
        self.reporter = reporter
        self.clock = clock
        self.idleTimeout = idleTimeout
        self.backlog = backlog
    }

    /// Takes the complete frames out of ``cumulation``; with `final` the connection ended, and what is left
    /// is its last frame. Subclasses override it.
    func decode(final: Bool) {}

    /// Keeps the rest of `buffer` (an incomplete frame) for the next read, in a buffer of its own size when
    /// the read buffer it sits in is much larger: 10,000 idle connections holding one byte each would
    /// otherwise pin 64 KiB each.
    func hold(_ buffer: ByteBuffer) {
        var buffer = buffer
        guard buffer.readableBytes > 0 else { return }
        if buffer.capacity > 4 * Swift.max(buffer.readableBytes, 4096) {
            var compact = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            compact.writeBuffer(&buffer)
            buffer = compact
        } else if buffer.readerIndex > 65_536 {
            buffer.discardReadBytes()
        }
        cumulation = buffer
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.map(Self.text) ?? "?"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var c = cumulation {
            cumulation = nil
            c.writeBuffer(&incoming)
            cumulation = c
        } else {
            cumulation = incoming
        }
        decode(final: false)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        decode(final: true)  // a last frame without its end still counts
        flush(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Silent for the idle timeout. A connection paused by backpressure is not idle: eccd stopped reading.
            guard !paused else { return }
            reporter.report(
                "idle connection closed", peer: peer, detail: "nothing received for \(idleTimeout)",
                reason: .idleTimeout)
            decode(final: true)
            flush(context: context)
            context.close(promise: nil)
        } else if event is ChannelShouldQuiesceEvent {
            // Shutdown: stop reading, hand what was read to the bus, then close.
            quiescing = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            decode(final: false)
            flush(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A failed TLS handshake (plain TCP to a TLS port, a client that distrusts the certificate or shows
        // none when one is required) is counted; a peer that closes without TLS's close_notify, or connects
        // and closes without a word (a port scan, a load balancer's health check), is an ordinary close.
        let ordinary: [NIOSSLError] = [.uncleanShutdown, .handshakeFailed(.sslError([.eofDuringHandshake]))]
        if let e = error as? NIOSSLError, ordinary.contains(e) {
        } else if error is NIOSSLError || error is BoringSSLError {
            reporter.report("TLS failed", peer: peer, detail: "\(error)", reason: .tls)
        }
        context.close(promise: nil)
    }

    /// `192.0.2.7:51000`, `[2001:db8::7]:51000`, for logs (NIO's own form is `[IPv4]192.0.2.7/192.0.2.7:51000`).
    static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ListenEndpoint(host: ip, port: port).description
    }

    /// Publishes the pending batch; while the bus is full, stops reading and retries shortly.
    private func flush(context: ChannelHandlerContext) {
        if producer.tryFlush() {
            if blocked {
                blocked = false
                backlog.remove()
            }
            if paused && !inactive && !quiescing {
                paused = false
                try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                context.read()
            }
            if quiescing && !inactive { context.close(promise: nil) }
            return
        }
        if !blocked {
            // Read but not yet on the bus: shutdown waits for this to reach zero before closing the bus.
            blocked = true
            backlog.add()
        }
        if !paused && !inactive {
            paused = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
        guard !retryScheduled else { return }
        retryScheduled = true
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
            self.retryScheduled = false
            self.flush(context: context)
        }
    }
}

/// Connections holding events they read but could not yet put on the (full) bus.
final class Backlog: Sendable {
    private let count = Atomic<Int>(0)

    func add() { count.add(1, ordering: .relaxed) }
    func remove() { count.subtract(1, ordering: .relaxed) }
    var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }
}
