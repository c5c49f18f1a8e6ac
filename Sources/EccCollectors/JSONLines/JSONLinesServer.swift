import EccBus
import EccCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The JSON-lines TCP collector: one event per line, many connections, backpressure when the bus is full.
public final class JSONLinesServer: Service, Sendable {
    /// Where to listen.
    public let host: String
    public let port: Int
    private let ring: Ring<Event>
    /// Counters of events this collector put on the bus.
    public let stats: ProducerStats
    /// Counter and rate-limited log of bad lines.
    public let badLines: BadInputReporter
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let maxLineLength: Int
    private let bound = Mutex<Int?>(nil)
    private let group: MultiThreadedEventLoopGroup

    public init(
        host: String, port: Int, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        maxLineLength: Int = 1 << 20, group: MultiThreadedEventLoopGroup = .singleton
    ) {
        self.host = host
        self.port = port
        self.ring = ring
        self.stats = ProducerStats(name: "tcp")
        self.badLines = BadInputReporter(collector: "tcp", logger: logger)
        self.clock = clock
        self.logger = logger
        self.maxLineLength = maxLineLength
        self.group = group
    }

    /// The port actually bound (differs from ``port`` when that is 0), once running.
    public var boundPort: Int? { bound.withLock { $0 } }

    public func run() async throws {
        let quiesce = ServerQuiescingHelper(group: group)
        let ring = self.ring
        let stats = self.stats
        let reporter = self.badLines
        let clock = self.clock
        let maxLine = self.maxLineLength
        let backlog = Backlog()
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            quiesce.makeServerChannelHandler(channel: channel))
                    }
                }
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65_536, maximum: 262_144)
                )
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let producer = Producer(ring: ring, policy: .wait, stats: stats, batchSize: 512)
                        try channel.pipeline.syncOperations.addHandler(
                            JSONLinesHandler(
                                producer: producer, reporter: reporter, clock: clock, maxLineLength: maxLine,
                                backlog: backlog))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw CollectorError(collector: "tcp", message: "cannot listen on \(host):\(port): \(error)")
        }
        let actual = channel.localAddress?.port ?? port
        bound.withLock { $0 = actual }
        logger.info("JSON-lines TCP collector listening", metadata: ["ecc.address": "\(host):\(actual)"])

        try? await gracefulShutdown()
        // Stop accepting, let every connection hand what it read to the bus, then close.
        let done = group.next().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: done)
        try? await done.futureResult.get()
        // Connections that closed while the bus was full still hold accepted events: wait for them.
        while !backlog.isEmpty { try? await Task.sleep(for: .milliseconds(1)) }
        logger.info("JSON-lines TCP collector stopped", metadata: ["ecc.accepted": "\(stats.accepted)"])
    }
}

/// A collector could not start or run.
public struct CollectorError: Error, Sendable, CustomStringConvertible {
    public var collector: String
    public var message: String

    public init(collector: String, message: String) {
        self.collector = collector
        self.message = message
    }

    public var description: String { "\(collector) collector: \(message)" }
}
