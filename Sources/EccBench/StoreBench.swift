import EccBus
import EccCore
import EccIncidents
import EccStore
import Foundation
import Logging

/// The incident store's figures (issue #4): alarm changes committed per second through the store
/// writer, listing open incidents with a million incidents in the table, database size per million
/// alarm changes.
enum StoreBench {
    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-store-bench-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A raise's route (the outbox is off here: only its name is stored, with the raising event).
    static let noc = [RouteDecision(route: "noc")]

    static func alarm(_ id: UInt64, count: Int64, cleared: Bool) -> Alarm {
        Alarm(
            id: id, rule: "rule-\(id % 10)", key: "core-sw-\(id % 5000).dc1/\(id % 48)",
            state: cleared ? .cleared : .active,
            severity: .major, summary: "Interface \(id % 48) down on core-sw-\(id % 5000).dc1", source: "snmp",
            host: "core-sw-\(id % 5000).dc1", type: "linkDown", firstSeen: EventTime(nanoseconds: Int64(id)),
            lastSeen: EventTime(nanoseconds: Int64(id) + count), count: count,
            clearedAt: cleared ? EventTime(nanoseconds: Int64(id) + count) : nil)
    }

    /// `alarms` alarms raised (each opening an incident, with its raising event), repeated `repeats`
    /// times, then cleared (resolving the incident), submitted in engine-sized batches to the store
    /// writer. Returns (changes submitted per second until all committed, rows committed, bytes of database
    /// and WAL per change submitted, the same per row committed — what the writer actually wrote after
    /// coalescing repeats).
    static func writer(alarms: Int, repeats: Int) throws -> (Double, Int, Double, Double) {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let writer = try StoreWriter(path: dir + "/ecc.db", logger: logger)
        var batches: [ChangeBatch] = []
        var submitted = 0
        let ids = (1...UInt64(alarms))
        func add(_ make: (UInt64) -> AlarmChange) {
            var b = ChangeBatch()
            for id in ids {
                b.append(make(id))
                if b.count == 4096 {
                    batches.append(b.take())
                }
            }
            if !b.isEmpty { batches.append(b.take()) }
        }
        add { id in
            AlarmChange(
                kind: .raised, alarm: alarm(id, count: 1, cleared: false), at: EventTime(nanoseconds: Int64(id)),
                origin: Event(standingInFor: alarm(id, count: 1, cleared: false)), routes: noc)
        }
        for r in 0..<repeats {
            add { id in
                AlarmChange(
                    kind: .repeated, alarm: alarm(id, count: Int64(r + 2), cleared: false),
                    at: EventTime(nanoseconds: Int64(id) + Int64(r + 1) * 1_000_000_000))
            }
        }
        add { id in
            AlarmChange(
                kind: .cleared, alarm: alarm(id, count: Int64(repeats + 1), cleared: true),
                at: EventTime(nanoseconds: Int64(id) + Int64(repeats + 1) * 1_000_000_000))
        }
        submitted = batches.reduce(0) { $0 + $1.count }
        writer.start()
        let seconds = timed {
            let submitter = writer.makeSubmitter()
            for b in batches { submitter.submit(b) }
            submitter.close()
            let done = DispatchSemaphore(value: 0)
            Task {
                await writer.waitUntilFinished()
                done.signal()
            }
            done.wait()
        }
        var bytes = 0
        for suffix in ["", "-wal"] {
            let attrs = try? FileManager.default.attributesOfItem(atPath: dir + "/ecc.db" + suffix)
            bytes += (attrs?[.size] as? Int) ?? 0
        }
        return (
            Double(submitted) / seconds, writer.committed, Double(bytes) / Double(submitted),
            Double(bytes) / Double(max(1, writer.committed))
        )
    }

    /// The same changes applied batch by batch straight to the store (one transaction per engine batch, no
    /// coalescing across batches): rows written per second.
    static func applied(alarms: Int, repeats: Int) throws -> Double {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try AlarmStore(path: dir + "/ecc.db")
        var batches: [ChangeBatch] = []
        for round in 0..<(repeats + 2) {
            var b = ChangeBatch()
            for id in 1...UInt64(alarms) {
                let cleared = round == repeats + 1
                let a = alarm(id, count: Int64(round + 1), cleared: cleared)
                let at = EventTime(nanoseconds: Int64(id) + Int64(round) * 1_000_000_000)
                b.append(
                    round == 0
                        ? AlarmChange(kind: .raised, alarm: a, at: at, origin: Event(standingInFor: a), routes: noc)
                        : AlarmChange(kind: cleared ? .cleared : .repeated, alarm: a, at: at))
                if b.count == 4096 { batches.append(b.take()) }
            }
            if !b.isEmpty { batches.append(b.take()) }
        }
        let total = batches.reduce(0) { $0 + $1.count }
        let seconds = try timed { for b in batches { try store.apply(b) } }
        return Double(total) / seconds
    }

    /// A million incidents (one in 20 open), then the listings operators run: open incidents, newest
    /// first (100), and P1..P3 open ones owned by someone. Returns (open list ms, owner list ms), 5 runs each.
    static func listing(incidents n: Int) throws -> (Spread, Spread) {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ecc.db"
        _ = try AlarmStore(path: path)
        let c = try Connection(path: path)
        try c.execute(
            """
            BEGIN;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(n))
            INSERT INTO alarms(id, rule, key, state, severity, summary, source, host, type, first_seen, last_seen, count,
                cleared_at)
            SELECT i, 'rule-' || (i % 10), 'core-sw-' || (i % 5000) || '/' || (i % 48),
                CASE WHEN i % 20 = 0 THEN 'active' ELSE 'cleared' END, 'major', 'Interface down on core-sw-' || (i % 5000),
                'snmp', 'core-sw-' || (i % 5000), 'linkDown', i, i, 1, CASE WHEN i % 20 = 0 THEN NULL ELSE i END FROM n;
            INSERT INTO incidents(alarm_id, state, severity, title, host, opened_at, updated_at, resolved_at, priority, ci,
                owner, response_due, resolution_due)
            SELECT id, CASE WHEN state = 'active' THEN (CASE WHEN id % 40 = 0 THEN 'acknowledged' ELSE 'new' END)
                    ELSE 'closed' END,
                severity, summary, host, first_seen, last_seen, cleared_at, 1 + id % 5, host,
                CASE WHEN id % 40 = 0 THEN 'op-' || (id % 50) END, first_seen + 900000000000, first_seen + 14400000000000
                FROM alarms;
            INSERT INTO incident_alarms(incident_id, alarm_id, role) SELECT id, alarm_id, 'alarm' FROM incidents;
            COMMIT;
            ANALYZE;
            """)
        let reader = try StoreReader(path: path)
        func fiveRuns(_ body: () throws -> Int) rethrows -> Spread {
            var runs: [Double] = []
            for _ in 0..<5 {
                var rows = 0
                let s = try timed { rows = try body() }
                if rows == 0 { print("# warning: empty listing") }
                runs.append(s * 1000)
            }
            return Spread(runs)
        }
        let open = try fiveRuns { try reader.incidents(.init(state: .open, limit: 100)).count }
        let owned = try fiveRuns {
            try reader.incidents(.init(state: .open, priority: 1, owner: "op-0", limit: 100)).count
        }
        return (open, owned)
    }
}
