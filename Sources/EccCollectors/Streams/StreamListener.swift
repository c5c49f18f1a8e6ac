import EccCore
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The TCP listener of a stream collector (JSON lines, syslog over TCP and TLS): TLS when given, the cap
/// on connections (the ones over it are closed at once, counted), the idle timeout, a half-second back-off
/// when `accept` fails (out of file descriptors) instead of spinning, and a quiet stop: at shutdown every
/// connection hands what it read to the bus before it closes, and ``serve(handler:listening:)`` returns
/// only once none holds an event the full bus could not yet take.
final class StreamListener: Sendable {
    struct Settings: Sendable {
        /// Names the collector in errors (`tcp`, `syslog`).
        var collector: String
        var host: String
        var port: Int
        var maxConnections: Int
        var idleTimeout: Duration
        /// The setting that raises ``maxConnections``, named when a connection is refused (`tcp.max_connections`).
        var maxConnectionsKey: String
        var tls: NIOSSLContext?
    }

    let settings: Settings
    /// Connections holding events the full bus has not taken yet.
    let backlog = Backlog()
    private let reporter: BadInputReporter
    private let group: MultiThreadedEventLoopGroup
    private let open = Atomic<Int>(0)
    private let bound = Mutex<Int?>(nil)

    init(_ settings: Settings, reporter: BadInputReporter, group: MultiThreadedEventLoopGroup) {
        self.settings = settings
        self.reporter = reporter
        self.group = group
    }

    /// The port actually bound (differs from the configured one when that is 0), once listening.
    var boundPort: Int? { bound.withLock { $0 } }

    /// Connections open now.
    var connections: Int { open.load(ordering: .relaxed) }

    /// Admits a new connection under the cap; false when it must be closed.
    private func admit() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now > settings.maxConnections else { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    /// Listens until graceful shutdown. `handler` makes the collector's handler for a new connection (after
    /// TLS and the idle timer in its pipeline); `listening` is told the bound port.
    func serve(
        handler: @escaping @Sendable (any Channel) -> StreamIntakeHandler, listening: (Int) -> Void
    ) async throws {
        let quiesce = ServerQuiescingHelper(group: group)
        let reporter = self.reporter
        let s = settings
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Out of file descriptors: back off and count it rather than retrying in a busy loop.
                        try channel.pipeline.syncOperations.addHandler(
                            AcceptBackoffHandler(backoffProvider: { error in
                                reporter.report(
                                    "cannot accept a connection", peer: "-", detail: "\(error)", reason: .acceptFailed)
                                return .milliseconds(500)
                            }))
                        try channel.pipeline.syncOperations.addHandler(
                            quiesce.makeServerChannelHandler(channel: channel))
                    }
                }
                .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 4096, maximum: 262_144)
                )
                .childChannelInitializer { [self] channel in
                    guard admit() else {
                        reporter.report(
                            "connection refused", peer: channel.remoteAddress.map(StreamIntakeHandler.text) ?? "?",
                            detail: "\(s.maxConnections) connections are open (\(s.maxConnectionsKey))",
                            reason: .connections)
                        return channel.close()
                    }
                    channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
                    return channel.eventLoop.makeCompletedFuture {
                        if let tls = s.tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            IdleStateHandler(readTimeout: TimeAmount(s.idleTimeout)))
                        try channel.pipeline.syncOperations.addHandler(handler(channel))
                    }
                }
                .bind(host: s.host, port: s.port).get()
        } catch {
            throw CollectorError(collector: s.collector, message: "cannot listen on tcp \(s.host):\(s.port): \(error)")
        }
        let actual = channel.localAddress?.port ?? s.port
        bound.withLock { $0 = actual }
        listening(actual)

        try? await gracefulShutdown()
        // Stop accepting, let every connection hand what it read to the bus, then close.
        let done = group.next().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: done)
        try? await done.futureResult.get()
        // Connections that closed while the bus was full still hold accepted events: wait for them.
        while !backlog.isEmpty { try? await Task.sleep(for: .milliseconds(1)) }
    }
}

/// A collector could not start or run.
package struct CollectorError: Error, Sendable, CustomStringConvertible {
    package var collector: String
    package var message: String

    package init(collector: String, message: String) {
        self.collector = collector
        self.message = message
    }

    package var description: String { "\(collector) collector: \(message)" }
}
