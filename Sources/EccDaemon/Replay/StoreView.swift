import EccAPI
import EccBus
import EccCollectors
import EccConfig
import EccCore
import EccHTTP
import EccIncidents
import EccRules
import EccStore
import EccYAML
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `eccd --view FILE`: the HTTP API over a database file, read-only, so that a replay's scratch store (or a
/// copy of a live one) is listed with the usual `eccctl` commands: `eccctl --server URL incidents list`,
/// `alarms list`, `alarms why`, `incidents show`. Nothing runs but the API: no collectors, no engine, no
/// timers, no notifications; the file is opened read-only and every request but GET and HEAD is refused
/// with 405. Tokenless, so it listens on loopback only.
package struct StoreView: Sendable {
    /// The database file.
    package let path: String
    /// A loopback address to listen on.
    package let host: String
    package let port: Int
    /// The rules `alarms why` explains with (the configuration's, or `--rules`).
    package let rules: RuleSet

    /// A view of `path` on `host:port`; throws when the file is not an ECC database or `host` is not loopback.
    package init(path: String, host: String = "127.0.0.1", port: Int, rules: RuleSet) throws(StartupError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StartupError(description: "view: \(path) does not exist")
        }
        guard ListenAddress.isLoopback(host) else {
            throw StartupError(
                description: "view: a read-only view has no tokens and listens on loopback only, not \(host)")
        }
        self.path = path
        self.host = host
        self.port = port
        self.rules = rules
    }

    /// Serves until SIGTERM or SIGINT (when `handleSignals`); `onBound` receives the port actually bound.
    package func run(logger: Logger, handleSignals: Bool = true, onBound: @escaping @Sendable (Int) -> Void = { _ in })
        async throws
    {
        let reader: StoreReader
        do { reader = try StoreReader(path: path) } catch {
            throw StartupError(description: "view: \(path): \(error)")
        }
        let bus = Ring<Event>(minimumCapacity: 2)
        bus.close()
        let path = self.path
        let rules = self.rules
        var deps = APIDependencies(
            ring: bus, httpStats: ProducerStats(name: "http"), reader: reader, alarms: Broadcast<AlarmChange>(),
            clock: WallClock(),
            status: { ReadOnlyStatusView(version: EccVersion.current, view: path) },
            metrics: { Array("# eccd --view \(path): a read-only view has no metrics\n".utf8) },
            reloadRules: { (false, "a read-only view has no rules to reload") },
            rules: { rules }, desk: nil, databasePath: path,
            edge: HTTPEdge(
                maxConnections: 64, idleTimeout: .seconds(60), bodyTimeout: .seconds(10),
                reporter: BadInputReporter(collector: "http", logger: logger)))
        deps.readOnly = "a read-only view of \(path) (eccd --view): nothing can be changed"
        let http = try APIServer.application(
            deps, host: host, port: port, logger: logger,
            onBound: { [host] bound in
                logger.notice(
                    "read-only view listening",
                    metadata: [
                        "ecc.database": "\(path)", "ecc.http": "http://\(host):\(bound)",
                        "ecc.try": "eccctl incidents list --server http://\(host):\(bound)",
                    ])
                onBound(bound)
            })
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: http)], gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
