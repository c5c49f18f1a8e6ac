import EccBus
import EccCore
import EccSyslog
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Syslog over one TCP or TLS connection (RFC 6587, RFC 5425). Each message is framed either by octet
/// counting (`LEN SP MSG`, what RFC 5425 requires and rsyslog's omfwd sends with `TCP_Framing="octet-counted"`)
/// or by a trailing newline (what `logger --tcp` and most devices send); which one is decided per message
/// by its first byte, as rsyslog does: a digit starts a length, anything else a line.
///
/// A message longer than `max_message_bytes` is dropped and counted (`line_length`), and the connection
/// goes on with the next one: a counted frame is skipped by its length, a line up to its newline. A
/// connection from a sender not in the allow list is closed at once and counted (`not_allowed`).
final class SyslogStreamHandler: StreamIntakeHandler {
    private let shared: SyslogReceiver.Intake
    private let parser: SyslogParser
    private var sender = "?"
    private var tally = SourceCounters.Tally()
    private var problems: [SyslogMessage.Problem: Int] = [:]
    /// Bytes of an over-long counted frame still to skip.
    private var skipping = 0
    /// Skipping an over-long line up to its newline.
    private var discardingLine = false
    /// Bytes of the held partial line already searched for a newline.
    private var scanned = 0
    private var refused = false

    init(intake shared: SyslogReceiver.Intake, producer: Producer<Event>, backlog: Backlog) {
        self.shared = shared
        parser = SyslogParser(zone: shared.settings.timezone)
        super.init(
            producer: producer, reporter: shared.reporter, clock: shared.clock,
            idleTimeout: shared.settings.idleTimeout, backlog: backlog)
    }

    override func channelActive(context: ChannelHandlerContext) {
        sender = context.channel.remoteAddress?.ipAddress ?? "?"
        if let allow = shared.settings.allow {
            guard let address = IPAddress(sender), allow.contains(where: { $0.contains(address) }) else {
                refused = true
                shared.reporter.report(
                    "syslog connection refused: its sender is not in syslog.allow", peer: sender,
                    detail: "add the sender's network to syslog.allow to take its messages", reason: .notAllowed)
                tally.count(sender, accepted: false)
                tally.publish(to: shared.sources, force: true)
                context.close(promise: nil)
                return
            }
        }
        super.channelActive(context: context)
    }

    override func channelInactive(context: ChannelHandlerContext) {
        super.channelInactive(context: context)
        tally.publish(to: shared.sources, force: true)
    }

    override func decode(final: Bool) {
        guard var buffer = cumulation else { return }
        cumulation = nil
        guard !refused else { return }
        let now = clock.now()
        let parsers = shared.parsers()
        let consumed = buffer.withUnsafeReadableBytes { raw in frames(raw, final: final, now: now, parsers: parsers) }
        buffer.moveReaderIndex(forwardBy: consumed)
        // Counted before the events are published: what a reader sees on the bus is counted already.
        if !problems.isEmpty {
            shared.malformed.add(problems)
            problems.removeAll(keepingCapacity: true)
        }
        // Once a read (not once a second as the UDP thread does): a quiet connection's counts must not wait
        // for its next message.
        tally.publish(to: shared.sources, force: true)
        hold(buffer)
    }

    /// Takes the complete messages at the start of `raw`; returns the bytes consumed.
    private func frames(_ raw: UnsafeRawBufferPointer, final: Bool, now: EventTime, parsers: LineParsers) -> Int {
        guard let base = raw.baseAddress else { return 0 }
        let max = shared.settings.maxMessageBytes
        var start = 0
        while start < raw.count {
            if skipping > 0 {
                let n = Swift.min(skipping, raw.count - start)
                skipping -= n
                start += n
                scanned = 0
                continue
            }
            if discardingLine {
                guard let p = memchr(base + start, 0x0A, raw.count - start) else { return raw.count }
                start = UnsafeRawPointer(p) - base + 1
                discardingLine = false
                scanned = 0
                continue
            }
            switch countedFrame(raw, at: start) {
            case .length(let length, let body):
                guard length <= max else {
                    tooLong(length)
                    skipping = length
                    start = body
                    continue
                }
                guard raw.count - body >= length else {
                    guard final else { return start }
                    // The connection ended inside the message: take what came.
                    message(UnsafeRawBufferPointer(rebasing: raw[body...]), at: now, parsers: parsers)
                    return raw.count
                }
                message(UnsafeRawBufferPointer(rebasing: raw[body..<body + length]), at: now, parsers: parsers)
                start = body + length
                scanned = 0
            case .undecided where !final:
                return start
            case .undecided, .line:
                let from = start + Swift.min(scanned, raw.count - start)
                guard let p = memchr(base + from, 0x0A, raw.count - from) else {
                    let rest = raw.count - start
                    if final {
                        line(UnsafeRawBufferPointer(rebasing: raw[start...]), at: now, parsers: parsers)
                        return raw.count
                    }
                    if rest > max {
                        tooLong(rest)
                        discardingLine = true
                        scanned = 0
                        return raw.count
                    }
                    scanned = rest
                    return start
                }
                let nl = UnsafeRawPointer(p) - base
                line(UnsafeRawBufferPointer(rebasing: raw[start..<nl]), at: now, parsers: parsers)
                start = nl + 1
                scanned = 0
            }
        }
        return start
    }

    private enum Frame {
        /// Octet counting: the message's length and where its body starts.
        case length(Int, body: Int)
        /// A newline-terminated message.
        case line
        /// Digits so far, and no space yet: more bytes decide.
        case undecided
    }

    /// Whether the message at `start` is octet-counted: `NONZERO-DIGIT *DIGIT SP` (at most 9 digits).
    private func countedFrame(_ raw: UnsafeRawBufferPointer, at start: Int) -> Frame {
        guard (0x31...0x39).contains(raw[start]) else { return .line }
        var length = 0
        var i = start
        while i < raw.count, i - start < 10 {
            let b = raw[i]
            if b == 0x20 { return i - start <= 9 ? .length(length, body: i + 1) : .line }
            guard (0x30...0x39).contains(b) else { return .line }
            length = length * 10 + Int(b - 0x30)
            i += 1
        }
        return i - start < 10 ? .undecided : .line
    }

    private func tooLong(_ bytes: Int) {
        shared.reporter.report(
            "syslog message dropped: longer than syslog.max_message_bytes", peer: sender,
            detail: "\(bytes) bytes or more, syslog.max_message_bytes is \(shared.settings.maxMessageBytes)",
            reason: .lineLength)
        tally.count(sender, accepted: false)
    }

    /// A newline-framed message (the last of a connection may lack its newline).
    private func line(_ bytes: UnsafeRawBufferPointer, at now: EventTime, parsers: LineParsers) {
        guard bytes.count <= shared.settings.maxMessageBytes else { return tooLong(bytes.count) }
        message(bytes, at: now, parsers: parsers)
    }

    /// One message, without the line end some senders put inside a counted frame too; nothing for an empty
    /// line.
    private func message(_ bytes: UnsafeRawBufferPointer, at now: EventTime, parsers: LineParsers) {
        var bytes = bytes
        while let last = bytes.last, last == 0x0A || last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast())
        }
        guard !bytes.isEmpty else { return }
        let m = parser.parse(bytes, reference: now)
        if let p = m.problem { problems[p, default: 0] += 1 }
        producer.append(
            SyslogEvents.event(
                m, bytes: bytes, sender: sender, at: now, parsers: parsers, limits: shared.settings.limits))
        tally.count(sender, accepted: true)
    }
}
