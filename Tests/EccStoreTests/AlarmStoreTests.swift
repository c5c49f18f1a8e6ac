import EccCore
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

/// A fresh temporary directory, removed afterwards.
func withTempDir(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
}

func alarm(_ id: UInt64, key: String = "sw1/7", count: Int64 = 1, state: AlarmState = .active) -> Alarm {
    Alarm(
        id: id, rule: "interface-down", key: key, state: state, severity: .major, summary: "Interface down",
        source: "test", host: "sw1", type: "linkDown", firstSeen: testEpoch, lastSeen: testEpoch, count: count,
        clearedAt: state == .cleared ? testEpoch : nil)
}

func batch(_ changes: [(AlarmChange.Kind, Alarm)]) -> ChangeBatch {
    var b = ChangeBatch()
    for (k, a) in changes { b.append(AlarmChange(kind: k, alarm: a, at: testEpoch)) }
    return b
}

@Suite("Alarm store")
struct AlarmStoreTests {
    @Test("raised, repeated and cleared changes land in alarms, the journal and incidents")
    func lifecycle() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            try store.apply(batch([(.raised, alarm(1)), (.raised, alarm(2, key: "sw1/8"))]))
            try store.apply(batch([(.repeated, alarm(1, count: 5))]))
            try store.apply(batch([(.cleared, alarm(2, key: "sw1/8", state: .cleared))]))
            let reader = try StoreReader(path: path)
            let incidents = try reader.incidents()
            #expect(incidents.count == 2)
            #expect(incidents.first { $0.alarm.id == 1 }?.alarm.count == 5)
            #expect(incidents.first { $0.alarm.id == 1 }?.state == .new)
            #expect(incidents.first { $0.alarm.id == 2 }?.state == .resolved)
            #expect(try reader.incidents(.init(state: .only(.resolved))).map(\.alarm.id) == [2])
            #expect(try reader.alarms(state: .active).map(\.id) == [1])
            #expect(try reader.totalAlarmCount() == 6)
        }
    }

    @Test("repeats within seconds are journalled once; a repeat with its event (record: every) each time")
    func recordedRepeats() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            try store.apply(batch([(.raised, alarm(1))]))
            for n in 2...4 { try store.apply(batch([(.repeated, alarm(1, count: Int64(n)))])) }
            var recorded = ChangeBatch()
            for n in 5...7 {
                recorded.appendRecorded(
                    AlarmChange(
                        kind: .repeated, alarm: alarm(1, count: Int64(n)), at: testEpoch, origin: .make("linkDown")))
            }
            try store.apply(recorded)
            let c = try Connection(path: path)
            // The repeats at the raise's time fall within the journal interval: only the three recorded are rows.
            #expect(try c.scalarInt("SELECT count(*) FROM alarm_changes WHERE kind = 'repeated'") == 3)
            #expect(try c.scalarInt("SELECT max(count) FROM alarm_changes") == 7)
        }
    }

    @Test("reopening restores active alarms and the next id; the file is in WAL mode")
    func reopen() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            do {
                let store = try AlarmStore(path: path)
                try store.apply(batch([(.raised, alarm(7, count: 3)), (.raised, alarm(9, key: "x"))]))
                try store.apply(batch([(.cleared, alarm(9, key: "x", state: .cleared))]))
            }
            let store = try AlarmStore(path: path)
            #expect(try store.activeAlarms().map(\.id) == [7])
            #expect(try store.activeAlarms().first?.count == 3)
            #expect(try store.maxAlarmID() == 9)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test("a database from a newer eccd is refused and left untouched")
    func newerSchema() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            _ = try AlarmStore(path: path)
            do {
                let c = try Connection(path: path)
                try c.execute("PRAGMA user_version = 99")
            }
            // Every connection is closed: the WAL is checkpointed into the file and removed, so the file
            // alone is the database — and anything the refused open wrote would show in it.
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect {
                try AlarmStore(path: path)
            } throws: { "\($0)".contains("newer than this eccd understands") }
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try Connection(path: path, readOnly: true, create: false).scalarInt("PRAGMA user_version") == 99)
        }
    }

    /// A database as schema 7 left it: alarm 1 in a group of route `noc`, notified at testEpoch, and no
    /// timing on the group.
    static func schema7(_ path: String) throws {
        let group = RouteDecision.Group(
            key: "host=sw1", labels: [RouteDecision.Label(name: "host", value: "sw1")], wait: 0,
            interval: 60_000_000_000, sendResolved: false)
        do {
            let store = try AlarmStore(path: path, queuesNotifications: true)
            var b = ChangeBatch()
            let routes = [RouteDecision(route: "noc", group: group)]
            b.append(AlarmChange(kind: .raised, alarm: alarm(1), at: testEpoch, routes: routes))
            try store.apply(b)
        }
        let c = try Connection(path: path)
        try c.execute(
            """
            DROP TABLE read_positions;
            ALTER TABLE notify_groups DROP COLUMN group_interval;
            ALTER TABLE notify_groups DROP COLUMN send_resolved;
            UPDATE notify_groups SET flush_at = NULL, last_flush = \(testEpoch.nanoseconds);
            UPDATE notify_group_alarms SET notified = 1, pending = 0;
            PRAGMA user_version = 7;
            """)
    }

    static func clearAlarm1(_ path: String) throws {
        let store = try AlarmStore(path: path, queuesNotifications: true)
        var b = ChangeBatch()
        b.append(
            AlarmChange(
                kind: .cleared, alarm: alarm(1, state: .cleared), at: testEpoch.adding(nanoseconds: 10_000_000_000)))
        try store.apply(b)
    }

    @Test("schema 7 migrates: its notification groups take the default timing; a clear is planned without rules")
    func groupTimingMigration() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            try Self.schema7(path)
            try Self.clearAlarm1(path)
            let c = try Connection(path: path, readOnly: true, create: false)
            #expect(try c.scalarInt("PRAGMA user_version") == 10)
            // Resolved sent (the default, where the route's decision said no), at the default interval of 5 min.
            #expect(try c.scalarInt("SELECT count(*) FROM notify_group_alarms WHERE state = 'resolved'") == 1)
            #expect(
                try c.scalarInt("SELECT flush_at FROM notify_groups") == testEpoch.nanoseconds + 300_000_000_000)
        }
    }

    @Test("the dispatcher's start gives groups from before schema 8 their route's timing")
    func groupTimingFromRules() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            try Self.schema7(path)
            _ = try AlarmStore(path: path)  // migrated
            let route = Route(
                name: "noc", match: Matcher([]), receivers: ["mail"], continue: false, groupInterval: 60_000_000_000,
                sendResolved: false)
            try Outbox(path: path).updateGroupTiming(RouteBook(routes: [route], escalations: []))
            try Self.clearAlarm1(path)
            // The route sends no resolved notifications: the cleared alarm leaves its group, which goes.
            let c = try Connection(path: path, readOnly: true, create: false)
            #expect(try c.scalarInt("SELECT count(*) FROM notify_group_alarms") == 0)
            #expect(try c.scalarInt("SELECT count(*) FROM notify_groups") == 0)
        }
    }

    @Test("someone else's SQLite database is refused and left untouched")
    func foreignDatabase() throws {
        try withTempDir { dir in
            let path = dir + "/other.db"
            do {
                let c = try Connection(path: path)
                try c.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect {
                try AlarmStore(path: path)
            } throws: { "\($0)".contains("not an eccd one") }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test("a file that is not a database is refused with a clear error and not overwritten")
    func notADatabase() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let junk = Data(repeating: 0x41, count: 8192)
            try junk.write(to: URL(fileURLWithPath: path))
            #expect {
                try AlarmStore(path: path)
            } throws: { "\($0)".contains("not a usable eccd database") }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == junk)
        }
    }
}

extension AlarmStoreTests {
    @Test("an engine snapshot is saved and loaded exactly, replacing the previous one")
    func snapshot() throws {
        try withTempDir { dir in
            let store = try AlarmStore(path: dir + "/ecc.db")
            #expect(try store.loadSnapshot().entries.isEmpty)
            let proto = alarm(0, key: "k", count: 2)
            let snap = EngineSnapshot(
                watermark: testEpoch,
                entries: [
                    .init(
                        rule: "r", fingerprint: 0xDEAD_BEEF_0000_0001, key: "k", kind: .held, prototype: proto,
                        times: [],
                        deadline: testEpoch.adding(nanoseconds: 5)),
                    .init(
                        rule: "r2", fingerprint: 7, key: "w", kind: .window, prototype: nil,
                        times: [testEpoch, testEpoch.adding(nanoseconds: 1)], deadline: .zero),
                ])
            try store.saveSnapshot(snap)
            try store.saveSnapshot(snap)
            let back = try store.loadSnapshot()
            #expect(back.watermark == snap.watermark)
            #expect(back.entries.count == 2)
            #expect(back.entries[0].fingerprint == 0xDEAD_BEEF_0000_0001)
            #expect(back.entries[0].prototype?.count == 2 && back.entries[0].prototype?.key == "k")
            #expect(back.entries[1].times == snap.entries[1].times && back.entries[1].prototype == nil)
        }
    }
}
