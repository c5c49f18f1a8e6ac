import EccBus
import EccCore
import EccSyslog
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The syslog receiver over UDP (RFC 5426): RFC 5424 and RFC 3164 messages and the variants devices send
/// (``SyslogParser``), on a thread of its own with batched receive (`recvmmsg`). Each message becomes an
/// event: through the rule files' parsers (`- parser:` entries) when one takes its line, else the generic
/// syslog event (``SyslogMessage/event(sender:receivedAt:raw:limits:)``). A malformed message still
/// becomes an event, with its text, and is counted by why; a sender not allowed and an over-long message
/// are dropped and counted. The receiver never stops on input. UDP cannot be slowed down: when the bus is
/// full, events are dropped and counted.
package final class SyslogReceiver: Service, Sendable {
    package struct Settings: Sendable {
        package var host: String
        package var port: Int
        package var receiveBuffer = 8 << 20
        package var maxMessageBytes = 8192
        /// Sender networks accepted (nil: any).
        package var allow: [CIDR]?
        /// The zone of RFC 3164 times.
        package var timezone = UTCOffsets.utc
        /// What one event may hold (`input:`).
        package var limits = InputLimits.outside

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    package let settings: Settings
    private let ring: Ring<Event>
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let parsers: @Sendable () -> LineParsers
    /// Events this receiver put on the bus (and dropped because the bus was full).
    package let stats = ProducerStats(name: "syslog")
    /// Messages dropped: a sender not allowed, over `max_message_bytes`.
    package let badInput: BadInputReporter
    /// Messages taken although malformed, by why.
    package let malformed = SyslogMalformedCounters()
    /// Messages accepted and dropped per sender address.
    package let sources = SourceCounters()
    private let stop = Box(Atomic<Bool>(false))
    private let bound = Mutex<(port: Int, buffer: Int)?>(nil)

    /// `parsers` gives the rule files' parsers in force (read once per batch of datagrams).
    package init(
        _ settings: Settings, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        parsers: @escaping @Sendable () -> LineParsers = { .none }
    ) {
        self.settings = settings
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.parsers = parsers
        badInput = BadInputReporter(collector: "syslog", logger: logger)
    }

    /// The port actually bound (differs from the configured one when that is 0), once running.
    package var boundPort: Int? { bound.withLock { $0?.port } }
    /// The receive buffer the kernel granted (Linux reports twice the usable size), once running.
    package var grantedReceiveBuffer: Int? { bound.withLock { $0?.buffer } }
    /// Datagrams the kernel dropped on this socket (its receive buffer was full); nil when not running or
    /// not on Linux.
    package var kernelDrops: Int? { boundPort.flatMap(UDPSocket.kernelDrops(port:)) }

    package func run() async throws {
        let socket = try UDPSocket.bind(
            collector: "syslog", host: settings.host, port: settings.port, receiveBuffer: settings.receiveBuffer)
        bound.withLock { $0 = (socket.port, socket.receiveBuffer) }
        if socket.receiveBuffer < settings.receiveBuffer {
            logger.warning(
                "syslog receive buffer smaller than asked; raise net.core.rmem_max to avoid kernel drops under bursts",
                metadata: ["ecc.requested": "\(settings.receiveBuffer)", "ecc.granted": "\(socket.receiveBuffer)"])
        }
        logger.info(
            "syslog receiver listening",
            metadata: [
                "ecc.address": "udp \(settings.host):\(socket.port)", "ecc.receive_buffer": "\(socket.receiveBuffer)",
                "ecc.allow": "\(settings.allow.map { $0.map(\.description).joined(separator: ",") } ?? "any")",
                "ecc.max_message_bytes": "\(settings.maxMessageBytes)", "ecc.timezone": "\(settings.timezone.name)",
            ])
        let shared = SyslogReceiveLoop.Shared(
            settings: settings, ring: ring, stats: stats, reporter: badInput, malformed: malformed, sources: sources,
            clock: clock, parsers: parsers)
        let stop = self.stop
        await socket.serve(thread: "ecc-syslog-recv", stop: stop) {
            SyslogReceiveLoop(socket: socket, shared: shared).run(stop: stop.value)
        }
        logger.info(
            "syslog receiver stopped",
            metadata: [
                "ecc.accepted": "\(stats.accepted)", "ecc.malformed": "\(malformed.total)",
                "ecc.dropped_bad": "\(badInput.count)",
            ])
    }
}

/// Messages taken although malformed, by ``SyslogMessage/Problem``.
package final class SyslogMalformedCounters: Sendable {
    private let counts = Mutex<[SyslogMessage.Problem: Int]>([:])

    package init() {}

    func add(_ more: [SyslogMessage.Problem: Int]) {
        counts.withLock { all in for (p, n) in more { all[p, default: 0] += n } }
    }

    package var byProblem: [SyslogMessage.Problem: Int] { counts.withLock { $0 } }
    package var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// The syslog receiver's thread. Confined to it; what it counts is handed to the shared counters once a
/// batch (malformed) or once a second (per source).
final class SyslogReceiveLoop {
    struct Shared: Sendable {
        let settings: SyslogReceiver.Settings
        let ring: Ring<Event>
        let stats: ProducerStats
        let reporter: BadInputReporter
        let malformed: SyslogMalformedCounters
        let sources: SourceCounters
        let clock: any EccCore.Clock
        let parsers: @Sendable () -> LineParsers
    }

    private let socket: UDPSocket
    private let shared: Shared
    private let producer: Producer<Event>
    private let parser: SyslogParser
    private let batch = DatagramBatch(slot: 65_536)
    private var tally = SourceCounters.Tally()
    private var problems: [SyslogMessage.Problem: Int] = [:]

    init(socket: UDPSocket, shared: Shared) {
        self.socket = socket
        self.shared = shared
        producer = Producer(ring: shared.ring, policy: .dropNewest, stats: shared.stats, batchSize: 256)
        parser = SyslogParser(zone: shared.settings.timezone)
    }

    /// Receives until `stop` is set (checked at least every 100 ms).
    func run(stop: borrowing Atomic<Bool>) {
        while !stop.load(ordering: .relaxed) {
            if !DatagramBatch.wait(socket.fd, timeoutMilliseconds: 100) {
                tally.publish(to: shared.sources, force: false)
                continue
            }
            var n: Int
            repeat {
                n = batch.receive(socket.fd)
                guard n > 0 else { break }
                let now = shared.clock.now()
                let lineParsers = shared.parsers()
                for i in 0..<n { handle(i, at: now, parsers: lineParsers) }
                // Counted before the events are published: what a reader sees on the bus is counted already.
                if !problems.isEmpty {
                    shared.malformed.add(problems)
                    problems.removeAll(keepingCapacity: true)
                }
                _ = producer.tryFlush()
            } while n == DatagramBatch.capacity && !stop.load(ordering: .relaxed)
            tally.publish(to: shared.sources, force: false)
        }
        _ = producer.tryFlush()
        tally.publish(to: shared.sources, force: true)
    }

    private func handle(_ i: Int, at now: EventTime, parsers: LineParsers) {
        let sender = batch.sender(i)
        if let allow = shared.settings.allow {
            guard let address = IPAddress(sender), allow.contains(where: { $0.contains(address) }) else {
                shared.reporter.report(
                    "syslog message dropped: its sender is not in syslog.allow", peer: sender,
                    detail: "add the sender's network to syslog.allow to take its messages",
                    reason: .notAllowed)
                tally.count(sender, accepted: false)
                return
            }
        }
        let bytes = batch.bytes(i)
        guard bytes.count <= shared.settings.maxMessageBytes, !batch.isTruncated(i) else {
            shared.reporter.report(
                "syslog message dropped: longer than syslog.max_message_bytes", peer: sender,
                detail: "\(bytes.count) bytes, syslog.max_message_bytes is \(shared.settings.maxMessageBytes)",
                reason: .lineLength)
            tally.count(sender, accepted: false)
            return
        }
        let m = parser.parse(bytes, reference: now)
        if let p = m.problem { problems[p, default: 0] += 1 }
        producer.append(
            SyslogEvents.event(
                m, bytes: bytes, sender: sender, at: now, parsers: parsers, limits: shared.settings.limits))
        tally.count(sender, accepted: true)
    }
}
