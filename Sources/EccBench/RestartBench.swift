import EccBus
import EccCore
import EccDaemon
import EccIncidents
import EccStore
import Foundation
import Logging

/// Restarts with a big outage on the books (issue 13): how long `eccd` takes from start to serving with
/// `alarms` active alarms in its database, each raised by an event carrying `attributes` attributes of 40
/// bytes ("wide" alarms), under the 10 rules that raised them.
enum RestartBench {
    static func rules() -> String {
        (0..<10).map { i in
            "- rule: rule-\(i)\n  when: {type: down\(i)}\n  key: \"{host}/{ifIndex}\"\n  clear_when: {type: up\(i)}\n"
                + "  alarm: {severity: major, summary: \"Interface {ifIndex} down on {host}\"}\n"
        }.joined()
    }

    /// Seconds from `Daemon(config:)` to its HTTP port bound (rules loaded, alarms and engine restored), and
    /// the database's size in bytes.
    static func run(alarms: Int, attributes: Int) async throws -> (Double, Int) {
        let dir = try StoreBench.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        try rules().write(toFile: dir + "/rules/bench.yaml", atomically: true, encoding: .utf8)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        // The outage: every alarm raised once, with its raising event.
        do {
            let writer = try StoreWriter(path: dir + "/ecc.db", logger: logger)
            writer.start()
            let submitter = writer.makeSubmitter()
            var b = ChangeBatch()
            let pad = String(repeating: "x", count: 40)
            for id in 1...UInt64(alarms) {
                let host = "core-sw-\(id / 48).dc1"
                let a = Alarm(
                    id: id, rule: "rule-\(id % 10)", key: "\(host)/\(id % 48)", severity: .major,
                    summary: "Interface \(id % 48) down on \(host)", source: "snmp", host: host, type: "down\(id % 10)",
                    firstSeen: EventTime(nanoseconds: Int64(id)), lastSeen: EventTime(nanoseconds: Int64(id)))
                var attrs = Attributes()
                attrs["ifIndex"] = .int(Int64(id % 48))
                for k in 0..<attributes { attrs["attr\(k)"] = .string(pad) }
                let origin = Event(
                    time: a.firstSeen, source: "snmp", host: host, type: a.type, severity: .major, attributes: attrs)
                b.append(AlarmChange(kind: .raised, alarm: a, at: a.firstSeen, origin: origin))
                if b.count == 4096 { submitter.submit(b.take()) }
            }
            submitter.submit(b.take())
            submitter.close()
            await writer.waitUntilFinished()
        }
        var size = 0
        for suffix in ["", "-wal"] {
            let attrs = try? FileManager.default.attributesOfItem(atPath: dir + "/ecc.db" + suffix)
            size += (attrs?[.size] as? Int) ?? 0
        }
        let config = benchConfig(dir: dir)
        let start = ContinuousClock.now
        let daemon = try Daemon(config: config, logger: logger)
        let task = Task { try await daemon.run(handleSignals: false) }
        while daemon.httpPort == nil { try await Task.sleep(for: .milliseconds(5)) }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        if daemon.storeWriter.restored.alarms.count != alarms {
            print("bench: warning \(daemon.storeWriter.restored.alarms.count) alarms restored, not \(alarms)")
        }
        await daemon.shutdown()
        try await task.value
        return (seconds, size)
    }
}
