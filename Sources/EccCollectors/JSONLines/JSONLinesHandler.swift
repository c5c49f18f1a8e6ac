import EccAuth
import EccBus
import EccCore
import NIOCore
import NIOExtras
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes newline-delimited JSON events from one TCP connection onto the bus.
///
/// Lines are parsed straight out of NIO's buffer. A bad line is counted and logged (rate-limited) and
/// the connection goes on. When the bus is full the handler stops reading from the socket until its
/// batch fits (TCP backpressure), so nothing already read is ever dropped.
///
/// With tokens the first line must be `{"auth":"TOKEN"}` naming an operator or admin (``JSONLinesHello``),
/// within the auth timeout; until then a line may be at most 4 KiB. Anything else is answered with one
/// `{"error":…}` line, counted (reason `credentials`) and the connection closed, reading nothing after it.
final class JSONLinesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let producer: Producer<Event>
    private let reporter: BadInputReporter
    private let clock: any EccCore.Clock
    private let maxLineLength: Int
    private let limits: JSONLinesServer.Limits
    private let backlog: Backlog
    private var blocked = false
    private var cumulation: ByteBuffer?
    private var discardingLongLine = false
    /// Bytes of the held partial line already searched for a newline.
    private var scanned = 0
    private var paused = false
    private var retryScheduled = false
    private var quiescing = false
    private var inactive = false
    private var lineNumber = 0
    private var peer = "?"
    /// Checks a token; nil when connections need none.
    private let principal: (@Sendable (String) -> Principal?)?
    /// Whether lines are events now: from the start without tokens, after a good auth line with them.
    private var authenticated: Bool
    /// The authenticated principal, stamped on every event as `sender`.
    private var sender: AttributeValue?
    /// Refused: nothing more is read, the connection closes.
    private var refused = false
    private var context: ChannelHandlerContext?
    /// Closes a connection that has not authenticated in time (cancelled once it has, or has closed).
    private var authDeadline: Scheduled<Void>?

    init(
        producer: Producer<Event>, reporter: BadInputReporter, clock: any EccCore.Clock,
        limits: JSONLinesServer.Limits, backlog: Backlog, principal: (@Sendable (String) -> Principal?)? = nil
    ) {
        self.producer = producer
        self.backlog = backlog
        self.reporter = reporter
        self.clock = clock
        self.limits = limits
        self.maxLineLength = limits.maxLineBytes
        self.principal = principal
        self.authenticated = principal == nil
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.description ?? "?"
        if !authenticated {
            authDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.authTimeout)) {
                guard !self.authenticated, !self.refused, !self.inactive else { return }
                self.refuse("no {\"auth\":\"TOKEN\"} line within \(self.limits.authTimeout)")
            }
        }
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
        decodeLines(final: false)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        authDeadline?.cancel()
        authDeadline = nil
        decodeLines(final: true)  // a last line without a newline still counts
        flush(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Silent for the idle timeout. A connection paused by backpressure is not idle: eccd stopped reading.
            guard !paused else { return }
            reporter.report(
                "idle connection closed", peer: peer, detail: "nothing received for \(limits.idleTimeout)",
                reason: .idleTimeout)
            decodeLines(final: true)
            flush(context: context)
            context.close(promise: nil)
        } else if event is ChannelShouldQuiesceEvent {
            // Shutdown: stop reading, hand what was read to the bus, then close.
            quiescing = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            decodeLines(final: false)
            flush(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A failed TLS handshake (plain TCP to a TLS port, a client that distrusts the certificate) is
        // counted; a peer that closes without TLS's close_notify, or connects and closes without a word (a
        // port scan, a load balancer's health check), is an ordinary close.
        let ordinary: [NIOSSLError] = [.uncleanShutdown, .handshakeFailed(.sslError([.eofDuringHandshake]))]
        if let e = error as? NIOSSLError, ordinary.contains(e) {
        } else if error is NIOSSLError || error is BoringSSLError {
            reporter.report("TLS failed", peer: peer, detail: "\(error)", reason: .tls)
        }
        context.close(promise: nil)
    }

    /// Answers one `{"error":…}` line, counts the refusal and closes; nothing after it is decoded.
    ///
    /// The close does not wait for the answer to be written: in the middle of a TLS handshake the answer
    /// cannot be (TLS holds it until the handshake ends, which a stalling stranger never lets happen), and
    /// the connection must still go. Once the handshake is done, TLS writes the answer before its close.
    private func refuse(_ detail: String) {
        refused = true
        authDeadline?.cancel()
        authDeadline = nil
        reporter.report("connection refused", peer: peer, detail: detail, reason: .credentials)
        guard let context else { return }
        let answer = context.channel.allocator.buffer(bytes: JSONLinesHello.refused(detail))
        context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        context.close(promise: nil)
    }

    /// A connection's first line when tokens are required.
    private func authenticate(_ line: UnsafeRawBufferPointer) {
        guard let principal, let token = JSONLinesHello.token(in: line) else {
            return refuse("authenticate first: the first line must be {\"auth\":\"TOKEN\"}")
        }
        guard let who = principal(token) else { return refuse("unknown token") }
        guard who.role >= .operator else {
            return refuse("\(who.name) is a \(who.role.name): sending events needs operator or admin")
        }
        authenticated = true
        authDeadline?.cancel()
        authDeadline = nil
        sender = .string(who.name)
        guard let context else { return }
        context.writeAndFlush(
            wrapOutboundOut(context.channel.allocator.buffer(bytes: JSONLinesHello.accepted(principal: who.name))),
            promise: nil)
    }

    /// Decodes every complete line in the cumulation buffer.
    private func decodeLines(final: Bool) {
        guard var buffer = cumulation else { return }
        cumulation = nil
        guard !refused else { return }
        let now = clock.now()
        let scannedBefore = scanned
        let consumed = buffer.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var start = 0
            // The held partial line was searched before: look for its newline only in what arrived since,
            // so a long line sent in small pieces costs time linear in its length.
            var from = Swift.min(scannedBefore, raw.count)
            while start < raw.count {
                guard let p = memchr(base + from, 0x0A, raw.count - from) else { break }
                let nl = UnsafeRawPointer(p) - base
                if discardingLongLine {
                    discardingLongLine = false
                } else {
                    decodeLine(UnsafeRawBufferPointer(rebasing: raw[start..<nl]), receivedAt: now)
                }
                start = nl + 1
                from = start
                if refused { return raw.count }
            }
            let rest = raw.count - start
            if final && rest > 0 && !discardingLongLine {
                decodeLine(UnsafeRawBufferPointer(rebasing: raw[start...]), receivedAt: now)
                return raw.count
            }
            if !authenticated && rest > JSONLinesHello.maxLineBytes {
                refuse(
                    "the first line must be {\"auth\":\"TOKEN\"}, not more than \(JSONLinesHello.maxLineBytes) bytes")
                return raw.count
            }
            if authenticated && rest > maxLineLength {
                if !discardingLongLine {
                    lineNumber += 1
                    reporter.report(
                        "bad JSON line dropped", peer: peer,
                        detail: "line \(lineNumber): longer than \(maxLineLength) bytes", reason: .lineLength)
                }
                discardingLongLine = true
                return raw.count
            }
            return start
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        scanned = buffer.readableBytes  // what is left holds no newline
        if buffer.readableBytes > 0 {
            if buffer.capacity > 4 * Swift.max(buffer.readableBytes, 4096) {
                // A partial line held in a large read buffer would pin the whole buffer (10,000 idle
                // connections holding one byte each pinned 64 KiB each): keep a copy of its own size.
                var compact = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
                compact.writeBuffer(&buffer)
                buffer = compact
            } else if buffer.readerIndex > 65_536 {
                buffer.discardReadBytes()
            }
            cumulation = buffer
        }
    }

    private func decodeLine(_ bytes: UnsafeRawBufferPointer, receivedAt: EventTime) {
        lineNumber += 1
        if !authenticated && bytes.count > JSONLinesHello.maxLineBytes {
            return refuse(
                "the first line must be {\"auth\":\"TOKEN\"}, not more than \(JSONLinesHello.maxLineBytes) bytes")
        }
        guard !authenticated || bytes.count <= maxLineLength else {
            reporter.report(
                "bad JSON line dropped", peer: peer, detail: "line \(lineNumber): longer than \(maxLineLength) bytes",
                reason: .lineLength)
            return
        }
        var line = bytes
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        guard authenticated else { return authenticate(line) }
        do {
            var event = try JSONEventDecoder.decodeEvent(line, receivedAt: receivedAt, limits: limits.input)
            // Who sent it is known: the principal replaces any `sender` the event carried, so it cannot be claimed.
            if let sender { event.attributes["sender"] = sender }
            producer.append(event)
        } catch {
            reporter.report(
                "bad JSON line dropped", peer: peer, detail: "line \(lineNumber): \(error)", reason: error.reason)
        }
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
