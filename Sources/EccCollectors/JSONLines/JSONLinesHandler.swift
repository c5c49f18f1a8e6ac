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
/// the connection goes on. Backpressure, the idle timeout and shutdown are ``StreamIntakeHandler``'s.
///
/// With tokens the first line must be `{"auth":"TOKEN"}` naming an operator or admin (``JSONLinesHello``),
/// within the auth timeout; until then a line may be at most 4 KiB. Anything else is answered with one
/// `{"error":…}` line, counted (reason `credentials`) and the connection closed, reading nothing after it.
final class JSONLinesHandler: StreamIntakeHandler {
    private let maxLineLength: Int
    private let limits: JSONLinesServer.Limits
    private var discardingLongLine = false
    /// Bytes of the held partial line already searched for a newline.
    private var scanned = 0
    private var lineNumber = 0
    /// Checks a token; nil when connections need none.
    private let principal: (@Sendable (String) -> Principal?)?
    /// Whether lines are events now: from the start without tokens, after a good auth line with them.
    private var authenticated: Bool
    /// The authenticated principal, stamped on every event as `sender`.
    private var sender: AttributeValue?
    /// Refused: nothing more is read, the connection closes.
    private var refused = false
    /// Closes a connection that has not authenticated in time (cancelled once it has, or has closed).
    private var authDeadline: Scheduled<Void>?

    init(
        producer: Producer<Event>, reporter: BadInputReporter, clock: any EccCore.Clock,
        limits: JSONLinesServer.Limits, backlog: Backlog, principal: (@Sendable (String) -> Principal?)? = nil
    ) {
        self.limits = limits
        self.maxLineLength = limits.maxLineBytes
        self.principal = principal
        self.authenticated = principal == nil
        super.init(
            producer: producer, reporter: reporter, clock: clock, idleTimeout: limits.idleTimeout, backlog: backlog)
    }

    override func channelActive(context: ChannelHandlerContext) {
        if !authenticated {
            authDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.authTimeout)) {
                guard !self.authenticated, !self.refused, !self.inactive else { return }
                self.refuse("no {\"auth\":\"TOKEN\"} line within \(self.limits.authTimeout)")
            }
        }
        super.channelActive(context: context)
    }

    override func channelInactive(context: ChannelHandlerContext) {
        authDeadline?.cancel()
        authDeadline = nil
        super.channelInactive(context: context)
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
    override func decode(final: Bool) {
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
        hold(buffer)
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
}
