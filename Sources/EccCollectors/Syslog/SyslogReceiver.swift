import EccAuth
import EccBus
import EccCore
import EccSyslog
import Foundation
import Logging
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The syslog receiver: RFC 5424 and RFC 3164 messages and the variants devices send (``SyslogParser``)
/// over UDP (RFC 5426, on a thread of its own with batched receive, `recvmmsg`), TCP (RFC 6587: octet
/// counting or newlines, ``SyslogStreamHandler``) and TLS (RFC 5425, optionally with client certificates),
/// each listener optional. Each message becomes an event: through the rule files' parsers (`- parser:`
/// entries) when one takes its line, else the generic syslog event
/// (``SyslogMessage/event(sender:receivedAt:raw:limits:)``). A malformed message still becomes an event,
/// with its text, and is counted by why; a sender not allowed, a datagram past its sender's rate
/// (``SourceRateLimiter``: a flooding sender cannot starve the others) and an over-long message are dropped
/// and counted. The receiver never stops on input. UDP cannot be slowed down: when the bus is full, datagrams'
/// events are dropped and counted; a TCP or TLS sender is slowed down instead (reading stops until the bus
/// has room), so nothing a connection delivered is lost.
package final class SyslogReceiver: Service, Sendable {
    package struct Settings: Sendable {
        /// The UDP listener (RFC 5426); nil: none.
        package var udp: ListenEndpoint?
        /// The TCP listener (RFC 6587); nil: none.
        package var tcp: ListenEndpoint?
        /// The TLS listener (RFC 5425) and its certificate (with the client CA when clients must show one).
        package var tls: (endpoint: ListenEndpoint, certificates: TLSCertificates)?
        package var receiveBuffer = 8 << 20
        package var maxMessageBytes = 8192
        /// Most datagrams taken from one sender address a second (bursts of a second's worth); the rest are
        /// dropped and counted (`rate`).
        package var perSourceRate = 10_000
        /// Most TCP and TLS connections open at once, each listener.
        package var maxConnections = 1024
        /// A TCP or TLS connection silent this long is closed.
        package var idleTimeout: Duration = .seconds(600)
        /// Sender networks accepted (nil: any).
        package var allow: [CIDR]?
        /// The zone of RFC 3164 times.
        package var timezone = UTCOffsets.utc
        /// What one event may hold (`input:`).
        package var limits = InputLimits.outside

        package init(
            udp: ListenEndpoint?, tcp: ListenEndpoint? = nil,
            tls: (endpoint: ListenEndpoint, certificates: TLSCertificates)? = nil
        ) {
            self.udp = udp
            self.tcp = tcp
            self.tls = tls
        }
    }

    package let settings: Settings
    private let ring: Ring<Event>
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let parsers: @Sendable () -> LineParsers
    private let group: MultiThreadedEventLoopGroup
    /// Events this receiver put on the bus (and dropped because the bus was full).
    package let stats = ProducerStats(name: "syslog")
    /// Messages and connections dropped: a sender not allowed, over `max_message_bytes`, connection limits.
    package let badInput: BadInputReporter
    /// Messages taken although malformed, by why.
    package let malformed = SyslogMalformedCounters()
    /// Messages accepted and dropped per sender address.
    package let sources = SourceCounters()
    private let stop = Box(Atomic<Bool>(false))
    private let bound = Mutex<(port: Int, buffer: Int)?>(nil)
    private let tcpListener = Mutex<StreamListener?>(nil)
    private let tlsListener = Mutex<StreamListener?>(nil)

    /// `parsers` gives the rule files' parsers in force (read once per batch of datagrams, once per read of
    /// a connection).
    package init(
        _ settings: Settings, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        parsers: @escaping @Sendable () -> LineParsers = { .none }, group: MultiThreadedEventLoopGroup = .singleton
    ) {
        self.settings = settings
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.parsers = parsers
        self.group = group
        badInput = BadInputReporter(collector: "syslog", logger: logger)
    }

    /// The UDP port actually bound (differs from the configured one when that is 0), once running.
    package var boundPort: Int? { bound.withLock { $0?.port } }
    /// The TCP port actually bound, once listening.
    package var tcpPort: Int? { tcpListener.withLock { $0 }?.boundPort }
    /// The TLS port actually bound, once listening.
    package var tlsPort: Int? { tlsListener.withLock { $0 }?.boundPort }
    /// TCP and TLS connections open now.
    package var connections: Int {
        (tcpListener.withLock { $0 }?.connections ?? 0) + (tlsListener.withLock { $0 }?.connections ?? 0)
    }
    /// The receive buffer the kernel granted (Linux reports twice the usable size), once running.
    package var grantedReceiveBuffer: Int? { bound.withLock { $0?.buffer } }
    /// Datagrams the kernel dropped on this socket (its receive buffer was full); nil when not running or
    /// not on Linux.
    package var kernelDrops: Int? { boundPort.flatMap(UDPSocket.kernelDrops(port:)) }

    /// What the UDP loop and every connection share.
    struct Intake: Sendable {
        let settings: SyslogReceiver.Settings
        let ring: Ring<Event>
        let stats: ProducerStats
        let reporter: BadInputReporter
        let malformed: SyslogMalformedCounters
        let sources: SourceCounters
        let clock: any EccCore.Clock
        let parsers: @Sendable () -> LineParsers
    }

    package func run() async throws {
        let intake = Intake(
            settings: settings, ring: ring, stats: stats, reporter: badInput, malformed: malformed, sources: sources,
            clock: clock, parsers: parsers)
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = try settings.tls.map {
                try NIOSSLContext(configuration: $0.certificates.serverConfiguration())
            }
        } catch {
            throw CollectorError(collector: "syslog", message: "TLS: \(error)")
        }
        let socket = try settings.udp.map { u throws(CollectorError) in
            try UDPSocket.bind(collector: "syslog", host: u.host, port: u.port, receiveBuffer: settings.receiveBuffer)
        }
        if let socket {
            bound.withLock { $0 = (socket.port, socket.receiveBuffer) }
            if socket.receiveBuffer < settings.receiveBuffer {
                logger.warning(
                    "syslog receive buffer smaller than asked; raise net.core.rmem_max to avoid kernel drops under bursts",
                    metadata: ["ecc.requested": "\(settings.receiveBuffer)", "ecc.granted": "\(socket.receiveBuffer)"])
            }
        }
        let clientCertificates = settings.tls?.certificates.clientCAFile != nil
        logger.info(
            "syslog receiver listening",
            metadata: [
                "ecc.udp": "\(socket.map { "\(settings.udp?.host ?? ""):\($0.port)" } ?? "off")",
                "ecc.tcp": "\(settings.tcp?.description ?? "off")",
                "ecc.tls": "\(settings.tls.map { "\($0.endpoint)" } ?? "off")",
                "ecc.client_certificates": "\(clientCertificates ? "required" : "no")",
                "ecc.receive_buffer": "\(socket?.receiveBuffer ?? 0)",
                "ecc.allow": "\(settings.allow.map { $0.map(\.description).joined(separator: ",") } ?? "any")",
                "ecc.max_message_bytes": "\(settings.maxMessageBytes)", "ecc.timezone": "\(settings.timezone.name)",
            ])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let socket {
                let stop = self.stop
                tasks.addTask {
                    await socket.serve(thread: "ecc-syslog-recv", stop: stop) {
                        SyslogReceiveLoop(socket: socket, intake: intake).run(stop: stop.value)
                    }
                }
            }
            if let tcp = settings.tcp {
                tasks.addTask { try await self.serveStream(at: tcp, tls: nil, intake: intake, into: self.tcpListener) }
            }
            if let tls = settings.tls {
                tasks.addTask {
                    try await self.serveStream(
                        at: tls.endpoint, tls: tlsContext, intake: intake, into: self.tlsListener)
                }
            }
            try await tasks.waitForAll()
        }
        logger.info(
            "syslog receiver stopped",
            metadata: [
                "ecc.accepted": "\(stats.accepted)", "ecc.malformed": "\(malformed.total)",
                "ecc.dropped_bad": "\(badInput.count)",
            ])
    }

    /// Serves syslog over TCP (or TLS, with `tls`) at `endpoint` until shutdown.
    private func serveStream(
        at endpoint: ListenEndpoint, tls: NIOSSLContext?, intake: Intake, into slot: borrowing Mutex<StreamListener?>
    ) async throws {
        let listener = StreamListener(
            .init(
                collector: "syslog", host: endpoint.host, port: endpoint.port, maxConnections: settings.maxConnections,
                idleTimeout: settings.idleTimeout, maxConnectionsKey: "syslog.max_connections", tls: tls),
            reporter: badInput, group: group)
        slot.withLock { $0 = listener }
        let backlog = listener.backlog
        let logger = self.logger
        try await listener.serve(
            handler: { _ in
                SyslogStreamHandler(
                    intake: intake,
                    producer: Producer(ring: intake.ring, policy: .wait, stats: intake.stats, batchSize: 256),
                    backlog: backlog)
            },
            listening: { port in
                logger.info(
                    "syslog \(tls == nil ? "TCP" : "TLS") listener bound",
                    metadata: ["ecc.address": "\(ListenEndpoint(host: endpoint.host, port: port))"])
            })
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
    private let socket: UDPSocket
    private let shared: SyslogReceiver.Intake
    private let producer: Producer<Event>
    private let parser: SyslogParser
    private let batch = DatagramBatch(slot: 65_536)
    private var tally = SourceCounters.Tally()
    private var problems: [SyslogMessage.Problem: Int] = [:]
    private var rates: SourceRateLimiter

    init(socket: UDPSocket, intake: SyslogReceiver.Intake) {
        self.socket = socket
        self.shared = intake
        producer = Producer(ring: shared.ring, policy: .dropNewest, stats: shared.stats, batchSize: 256)
        parser = SyslogParser(zone: shared.settings.timezone)
        rates = SourceRateLimiter(perSecond: intake.settings.perSourceRate)
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
                let instant = ContinuousClock.now
                let lineParsers = shared.parsers()
                for i in 0..<n { handle(i, at: now, instant: instant, parsers: lineParsers) }
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

    /// A datagram not taken: counted for its sender and by why, and logged (at most once a second).
    private func drop(
        _ sender: String, _ message: String, _ detail: @autoclosure () -> String, _ reason: InputRefusal
    ) {
        shared.reporter.report(message, peer: sender, detail: detail(), reason: reason)
        tally.count(sender, accepted: false)
    }

    private func handle(_ i: Int, at now: EventTime, instant: ContinuousClock.Instant, parsers: LineParsers) {
        let sender = batch.sender(i)
        if let allow = shared.settings.allow {
            guard let address = IPAddress(sender), allow.contains(where: { $0.contains(address) }) else {
                return drop(
                    sender, "syslog message dropped: its sender is not in syslog.allow",
                    "add the sender's network to syslog.allow to take its messages", .notAllowed)
            }
        }
        guard rates.admit(sender, now: instant) else {
            return drop(
                sender, "syslog message dropped: its sender is over syslog.per_source_rate",
                "\(shared.settings.perSourceRate) messages a second from one address at most", .rate)
        }
        let bytes = batch.bytes(i)
        guard bytes.count <= shared.settings.maxMessageBytes, !batch.isTruncated(i) else {
            return drop(
                sender, "syslog message dropped: longer than syslog.max_message_bytes",
                "\(bytes.count) bytes, syslog.max_message_bytes is \(shared.settings.maxMessageBytes)", .lineLength)
        }
        let m = parser.parse(bytes, reference: now)
        if let p = m.problem { problems[p, default: 0] += 1 }
        producer.append(
            SyslogEvents.event(
                m, bytes: bytes, sender: sender, at: now, parsers: parsers, limits: shared.settings.limits))
        tally.count(sender, accepted: true)
    }
}
