import EccBus
import EccClient
import EccConfig
import EccDaemon
import Foundation
import Logging

/// An eccd for a bench: its database in `dir`, the rules of `dir/rules`, HTTP and TCP on free ports, no SNMP.
func benchConfig(dir: String) -> DaemonConfig {
    var config = DaemonConfig()
    config.database.path = dir + "/ecc.db"
    config.rulePaths = [dir + "/rules"]
    config.http.port = 0
    config.tcp.port = 0
    config.snmp.enabled = false
    config.syslog.enabled = false
    return config
}

enum EndToEndBench {
    /// JSON lines over TCP (two connections) → bus → engine (10 rules) → alarms in SQLite.
    /// Returns events/s until the engine processed everything and until the store committed too, and the
    /// alarm changes committed and the transactions they took.
    static func jsonLinesOverTCP(total: Int) async throws -> (
        processed: Double, committed: Double, changes: Int, transactions: Int
    ) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var yaml = ""
        for i in 0..<10 {
            yaml +=
                "- rule: rule-\(i)\n  when: {type: down\(i)}\n  key: \"{host}/{ifIndex}\"\n  clear_when: {type: up\(i)}\n"
                + "  alarm: {severity: major, summary: \"Interface {ifIndex} down on {host}\"}\n"
        }
        try yaml.write(toFile: dir + "/rules/bench.yaml", atomically: true, encoding: .utf8)
        let config = benchConfig(dir: dir)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = try Daemon(config: config, logger: logger)
        let task = Task { try await daemon.run(handleSignals: false) }
        while daemon.tcpPort == nil || daemon.httpPort == nil { try await Task.sleep(for: .milliseconds(5)) }
        let port = daemon.tcpPort ?? 0
        let half = total / 2
        let payloads = [benchLines(half), benchLines(total - half, offset: half)]
        let start = ContinuousClock.now
        let senders = payloads.map { payload in
            Thread {
                Thread.current.name = "bench-sender"  // names the OS thread (top -H, perf)
                guard let s = try? LineSender(host: "127.0.0.1", port: port) else { return }
                try? s.send(payload)
                s.finish()
            }
        }
        for t in senders { t.start() }
        while daemon.processedEvents < total { try await Task.sleep(for: .microseconds(200)) }
        let processed = ContinuousClock.now - start
        await daemon.shutdown()
        try await task.value
        let committed = ContinuousClock.now - start
        func secs(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        return (
            Double(total) / secs(processed), Double(total) / secs(committed), daemon.committedChanges,
            daemon.storeTransactions
        )
    }
}
