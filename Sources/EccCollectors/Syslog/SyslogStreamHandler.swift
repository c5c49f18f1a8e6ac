import EccBus
import EccCore
import EccSyslog
import NIOCore

/// Syslog over one TCP or TLS connection (RFC 6587, RFC 5425), framed by ``SyslogFraming`` (octet counting
/// or newlines, message by message).
///
/// A message longer than `max_message_bytes` is dropped and counted (`line_length`), and the connection
/// goes on with the next one. A connection from a sender not in the allow list is closed at once and
/// counted (`not_allowed`).
final class SyslogStreamHandler: StreamIntakeHandler {
    private let shared: SyslogReceiver.Intake
    private let parser: SyslogParser
    private var framing: SyslogFraming
    private var sender = "?"
    private var tally = SourceCounters.Tally()
    private var problems: [SyslogMessage.Problem: Int] = [:]
    private var refused = false

    init(intake shared: SyslogReceiver.Intake, producer: Producer<Event>, backlog: Backlog) {
        self.shared = shared
        parser = SyslogParser(zone: shared.settings.timezone)
        framing = SyslogFraming(maxMessageBytes: shared.settings.maxMessageBytes)
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
        let consumed = buffer.withUnsafeReadableBytes { raw in
            framing.take(raw, final: final) { frame in
                switch frame {
                case .message(let r):
                    message(UnsafeRawBufferPointer(rebasing: raw[r]), at: now, parsers: parsers)
                case .tooLong(let bytes):
                    shared.reporter.report(
                        "syslog message dropped: longer than syslog.max_message_bytes", peer: sender,
                        detail:
                            "\(bytes) bytes or more, syslog.max_message_bytes is \(shared.settings.maxMessageBytes)",
                        reason: .lineLength)
                    tally.count(sender, accepted: false)
                }
            }
        }
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

    private func message(_ bytes: UnsafeRawBufferPointer, at now: EventTime, parsers: LineParsers) {
        let m = parser.parse(bytes, reference: now)
        if let p = m.problem { problems[p, default: 0] += 1 }
        producer.append(
            SyslogEvents.event(
                m, bytes: bytes, sender: sender, at: now, parsers: parsers, limits: shared.settings.limits))
        tally.count(sender, accepted: true)
    }
}
