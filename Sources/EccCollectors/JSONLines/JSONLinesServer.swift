import EccAuth
import EccBus
import EccCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The JSON-lines TCP collector: one event per line, many connections, backpressure when the bus is full.
///
/// What a stranger can make it hold is bounded by ``Limits``: connections (the ones over the cap are
/// closed at once), how long a connection may stay silent, the length of a line (a partial line is kept in
/// a buffer of its own size, not in the 64 KiB read buffer it arrived in) and what one event may hold.
/// When `accept` fails (out of file descriptors) the listener backs off for half a second instead of
/// spinning; every refusal is counted in ``badLines`` by reason.
///
/// With ``Credentials`` it is safe off loopback: TLS (the certificate reloaded with the API's on SIGHUP) and
/// a token per connection, sent as the first line (``JSONLinesHello``); the token's principal becomes the
/// `sender` attribute of every event the connection sends.
package final class JSONLinesServer: Service, Sendable {
    /// Who may send: TLS, and a token per connection.
    package struct Credentials: Sendable {
        /// The certificate to serve; nil: plain TCP.
        package var tls: TLSCertificates?
        /// Who a presented token stands for (the API's tokens, as reloaded); nil: connections send no
        /// token (tokenless loopback mode).
        package var principal: (@Sendable (String) -> Principal?)?

        package init(tls: TLSCertificates? = nil, principal: (@Sendable (String) -> Principal?)? = nil) {
            self.tls = tls
            self.principal = principal
        }

        /// Plain TCP, no tokens.
        package static let none = Credentials()
    }

    /// Bounds on what connections may make the collector hold.
    package struct Limits: Sendable, Equatable {
        /// Longest line in bytes.
        package var maxLineBytes = 1 << 20
        /// Most connections open at once; more are closed as soon as they are accepted.
        package var maxConnections = 1024
        /// A connection that sends nothing for this long is closed.
        package var idleTimeout: Duration = .seconds(300)
        /// With tokens, a connection that has not authenticated this long after it opened (TLS handshake
        /// included) is closed.
        package var authTimeout: Duration = .seconds(10)
        /// What one event may hold.
        package var input = InputLimits.outside

        package init() {}
    }

    /// Where to listen.
    package let host: String
    package let port: Int
    private let ring: Ring<Event>
    /// Counters of events this collector put on the bus.
    package let stats: ProducerStats
    /// Counter and rate-limited log of bad lines.
    package let badLines: BadInputReporter
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let limits: Limits
    private let credentials: Credentials
    private let group: MultiThreadedEventLoopGroup
    private let listener = Mutex<StreamListener?>(nil)

    package init(
        host: String, port: Int, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        limits: Limits = Limits(), credentials: Credentials = .none, group: MultiThreadedEventLoopGroup = .singleton
    ) {
        self.host = host
        self.port = port
        self.ring = ring
        self.stats = ProducerStats(name: "tcp")
        self.badLines = BadInputReporter(collector: "tcp", logger: logger)
        self.clock = clock
        self.logger = logger
        self.limits = limits
        self.credentials = credentials
        self.group = group
    }

    /// The port actually bound (differs from ``port`` when that is 0), once running.
    package var boundPort: Int? { listener.withLock { $0 }?.boundPort }

    /// Connections open now.
    package var connections: Int { listener.withLock { $0 }?.connections ?? 0 }

    package func run() async throws {
        let tls: NIOSSLContext?
        do { tls = try credentials.tls.map { try NIOSSLContext(configuration: $0.serverConfiguration()) } } catch {
            throw CollectorError(collector: "tcp", message: "TLS: \(error)")
        }
        let l = StreamListener(
            .init(
                collector: "tcp", host: host, port: port, maxConnections: limits.maxConnections,
                idleTimeout: limits.idleTimeout, maxConnectionsKey: "tcp.max_connections", tls: tls),
            reporter: badLines, group: group)
        listener.withLock { $0 = l }
        let (ring, stats, reporter, clock, limits) = (ring, stats, badLines, clock, limits)
        let principal = credentials.principal
        let backlog = l.backlog
        try await l.serve(
            handler: { _ in
                JSONLinesHandler(
                    producer: Producer(ring: ring, policy: .wait, stats: stats, batchSize: 512), reporter: reporter,
                    clock: clock, limits: limits, backlog: backlog, principal: principal)
            },
            listening: { actual in
                logger.info(
                    "JSON-lines TCP collector listening",
                    metadata: [
                        "ecc.address": "\(host):\(actual)", "ecc.tls": "\(tls != nil)",
                        "ecc.tokens": "\(principal != nil)",
                    ])
            })
        logger.info("JSON-lines TCP collector stopped", metadata: ["ecc.accepted": "\(stats.accepted)"])
    }
}
