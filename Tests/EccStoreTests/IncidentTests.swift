import EccCore
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

/// The incident lifecycle on a real SQLite file, with times given explicitly (an injected clock).
@Suite("Incidents")
struct IncidentTests {
    static let minute: Int64 = 60_000_000_000

    static func at(_ minutes: Double) -> EventTime { testEpoch.adding(nanoseconds: Int64(minutes * 60e9)) }

    /// An alarm raised by an event that carries `attributes` (criticality, follow_up...).
    static func raise(
        _ store: AlarmStore, _ id: UInt64, key: String = "sw1/7", severity: Severity = .critical,
        rule: String = "interface-down", host: String = "sw1", attributes: [String: String] = [:],
        suppression: Suppression? = nil, at minutes: Double = 0
    ) throws {
        var a = Alarm(
            id: id, rule: rule, key: key, severity: severity, summary: "Interface down on \(host)", source: "snmp",
            host: host, type: "linkDown", firstSeen: at(minutes), lastSeen: at(minutes))
        a.suppression = suppression
        var origin = Event.make("linkDown", host: host)
        for (k, v) in attributes { origin.attributes[k] = .string(v) }
        var b = ChangeBatch()
        b.append(AlarmChange(kind: .raised, alarm: a, at: at(minutes), origin: origin))
        try store.apply(b)
    }

    static func clear(_ store: AlarmStore, _ id: UInt64, key: String = "sw1/7", at minutes: Double) throws {
        var a = Alarm(
            id: id, rule: "interface-down", key: key, state: .cleared, severity: .critical, summary: "Interface down",
            source: "snmp", host: "sw1", type: "linkDown", firstSeen: at(0), lastSeen: at(minutes))
        a.clearedAt = at(minutes)
        var b = ChangeBatch()
        b.append(AlarmChange(kind: .cleared, alarm: a, at: at(minutes)))
        try store.apply(b)
    }

    func open(_ dir: String) throws -> (AlarmStore, IncidentDesk, StoreReader) {
        let path = dir + "/ecc.db"
        let store = try AlarmStore(path: path)
        return (store, try IncidentDesk(path: path), try StoreReader(path: path))
    }

    @Test("priority from severity × criticality; SLA deadlines from the priority's targets")
    func priorityAndDeadlines() throws {
        #expect(IncidentPolicy.priority(severity: .critical, criticality: .high) == 1)
        #expect(IncidentPolicy.priority(severity: .critical, criticality: .medium) == 2)
        #expect(IncidentPolicy.priority(severity: .major, criticality: .high) == 2)
        #expect(IncidentPolicy.priority(severity: .minor, criticality: .medium) == 4)
        #expect(IncidentPolicy.priority(severity: .info, criticality: .low) == 5)
        try withTempDir { dir in
            let (store, _, reader) = try open(dir)
            try Self.raise(store, 1, attributes: ["criticality": "high"])
            try Self.raise(store, 2, key: "sw1/8", severity: .minor)
            let p1 = try #require(try reader.incidents(.init(priority: 1)).first)
            #expect(p1.alarm.id == 1 && p1.state == .new && p1.ci == "sw1")
            #expect(p1.responseDue == Self.at(15) && p1.resolutionDue == Self.at(240))
            let p4 = try #require(try reader.incidents(.init(priority: 4)).first)
            #expect(p4.alarm.id == 2 && p4.resolutionDue == Self.at(5 * 24 * 60))
        }
    }

    @Test("an unknown stored state reads as closed and is not overwritten; refusals name states as stored")
    func unknownState() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1)
            let id = try #require(try reader.incidents().first?.id)
            try Connection(path: dir + "/ecc.db").execute("UPDATE incidents SET state = 'on_hold' WHERE id = \(id)")
            #expect(try reader.incident(id: id)?.incident.state == .closed)
            do {
                _ = try desk.acknowledge(id, by: "alice", at: Self.at(5))
                Issue.record("an incident in an unknown state was acknowledged")
            } catch {
                #expect("\(error)".contains("is closed; reopen it first"))
            }
            let raw = try Connection(path: dir + "/ecc.db").scalarText("SELECT state FROM incidents WHERE id = \(id)")
            #expect(raw == "on_hold")
            // Refusals name states as they are stored and shown.
            try Self.raise(store, 2, key: "sw1/8")
            let second = try #require(try reader.incidents().first { $0.alarm.id == 2 }?.id)
            _ = try desk.acknowledge(second, by: "alice", at: Self.at(5))
            _ = try desk.addNote(second, text: "on it", by: "alice", at: Self.at(6))
            do {
                _ = try desk.close(second, by: "alice", at: Self.at(7))
                Issue.record("an incident in progress was closed")
            } catch {
                #expect("\(error)".contains("is in_progress; only a resolved incident can be closed"))
            }
        }
    }

    @Test("first acknowledgement takes ownership; hand-over is explicit; every step is journalled")
    func ownershipAndJournal() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1, attributes: ["criticality": "high"])
            let id = try #require(try reader.incidents().first?.id)

            let acked = try desk.acknowledge(id, by: "alice", at: Self.at(5))
            #expect(acked.state == .acknowledged && acked.owner == "alice" && acked.acknowledgedAt == Self.at(5))
            #expect(throws: IncidentRefusal.self) { try desk.acknowledge(id, by: "bob", at: Self.at(6)) }
            #expect(try desk.acknowledge(id, by: "alice", at: Self.at(6)).state == .acknowledged)  // idempotent

            #expect(
                try desk.addNote(id, text: "checking the optics", by: "alice", at: Self.at(7)).state == .inProgress)
            #expect(throws: IncidentRefusal.self) {
                try desk.handOver(id, to: "carol", by: "bob", reason: "shift change", at: Self.at(8))
            }
            #expect(throws: IncidentRefusal.self) {
                try desk.handOver(id, to: "bob", by: "alice", reason: " ", at: Self.at(8))
            }
            #expect(
                try desk.handOver(id, to: "bob", by: "alice", reason: "shift change", at: Self.at(9)).owner == "bob")
            #expect(try desk.assign(id, group: "network", by: "bob", at: Self.at(10)).assignmentGroup == "network")
            #expect(throws: IncidentRefusal.self) { try desk.resolve(id, by: "bob", note: "", at: Self.at(11)) }
            #expect(try desk.resolve(id, by: "bob", note: "replaced SFP", at: Self.at(12)).state == .resolved)
            #expect(throws: IncidentRefusal.self) { try desk.assign(id, group: "x", by: "bob", at: Self.at(13)) }
            let closed = try desk.close(id, by: "bob", at: Self.at(14))
            #expect(closed.state == .closed && closed.closedAt == Self.at(14))
            #expect(!closed.breached, "acknowledged in 5 min and resolved in 12, inside P1's 15 min / 4 h")

            let detail = try #require(try reader.incident(id: id))
            let lines = detail.journal.map { "\($0.actor) \($0.action.rawValue) \($0.old ?? "-")→\($0.new ?? "-")" }
            #expect(
                lines == [
                    "eccd opened -→new", "alice acknowledged new→acknowledged", "alice owner -→alice",
                    "alice note -→-", "alice in_progress acknowledged→in_progress", "alice handed_over alice→bob",
                    "bob assigned -→network", "bob resolved in_progress→resolved", "bob closed resolved→closed",
                ])
            #expect(detail.journal.first { $0.action.rawValue == "handed_over" }?.note == "shift change")
            #expect(detail.alarms.map(\.role) == [.alarm])
            #expect(throws: IncidentRefusal.self) { try desk.acknowledge(999, by: "alice", at: Self.at(1)) }
            #expect(try reader.incidents(.init(owner: "bob")).map(\.id) == [id])
            #expect(try reader.incidents(.init(group: "network")).map(\.id) == [id])
            #expect(try reader.incidents(.init(state: .open)).isEmpty)
        }
    }

    @Test("the journal is append-only")
    func appendOnly() throws {
        try withTempDir { dir in
            let (store, _, _) = try open(dir)
            try Self.raise(store, 1)
            let raw = try Connection(path: dir + "/ecc.db")
            #expect(throws: StoreError.self) { try raw.execute("UPDATE incident_journal SET actor = 'mallory'") }
        }
    }

    @Test("SLA clock: near-breach at 80 %, breach at the deadline, each announced once as a bus event")
    func slaClock() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1, attributes: ["criticality": "high"])  // P1: 15 min / 4 h
            let id = try #require(try reader.incidents().first?.id)
            #expect(try desk.sweep(at: Self.at(11)).isEmpty)
            let near = try desk.sweep(at: Self.at(12))
            #expect(near.map(\.type) == ["slaNearBreach"])
            #expect(
                near.first?.attributes["incident"] == .int(id) && near.first?.attributes["sla"] == .string("response"))
            #expect(try desk.sweep(at: Self.at(13)).isEmpty)
            let breach = try desk.sweep(at: Self.at(15))
            #expect(breach.map(\.type) == ["slaBreached"] && breach.first?.severity == .major)
            #expect(breach.first?.summary.contains("missed its response target") == true)
            #expect(try desk.sweep(at: Self.at(16)).isEmpty)
            #expect(try reader.incidents(.init(breached: true)).map(\.id) == [id])
            #expect(try reader.incidents(.init(breached: false)).isEmpty)
            // Acknowledged late: the response target stays missed; the resolution clock runs on.
            let late = try desk.acknowledge(id, by: "alice", at: Self.at(20))
            #expect(late.responseBreached && !late.resolutionBreached)
            #expect(try desk.sweep(at: Self.at(200)).map { $0.attributes["sla"] } == [.string("resolution")])
            #expect(try desk.sweep(at: Self.at(241)).map(\.type) == ["slaBreached"])
            let detail = try #require(try reader.incident(id: id))
            #expect(detail.journal.filter { $0.action.rawValue.hasPrefix("sla_") }.map(\.action.rawValue).count == 4)
        }
    }

    @Test("business hours: the clock stops at night and at the weekend")
    func businessHours() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let bh = BusinessHours(days: [2, 3, 4, 5, 6], start: 8 * 60, end: 18 * 60, timeZone: berlin)
        // Friday 2026-11-27 17:00 Berlin (16:00Z) + 2 business hours = Monday 2026-11-30 09:00 Berlin (08:00Z).
        let friday = try #require(RFC3339.parse("2026-11-27T16:00:00Z"))
        #expect(bh.adding(2 * 3_600_000_000_000, to: friday) == RFC3339.parse("2026-11-30T08:00:00Z"))
        // Saturday night + 30 min = Monday 08:30 Berlin.
        let saturday = try #require(RFC3339.parse("2026-11-28T22:00:00Z"))
        #expect(bh.adding(30 * Self.minute, to: saturday) == RFC3339.parse("2026-11-30T07:30:00Z"))
        var policy = IncidentPolicy(businessHours: bh)
        policy.sla[3] = SLATarget(response: 60 * Self.minute, resolution: 48 * 60 * Self.minute, businessHours: true)
        let due = policy.deadlines(priority: 3, opened: friday)
        #expect(due.response == RFC3339.parse("2026-11-27T17:00:00Z"))  // the last business hour of Friday
        policy.sla[3]?.response = 2 * 60 * Self.minute
        #expect(policy.deadlines(priority: 3, opened: friday).response == RFC3339.parse("2026-11-30T08:00:00Z"))
    }

    @Test("a CI flagged follow-up-required cannot be closed before a follow-up note")
    func followUp() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1, attributes: ["follow_up": "true"])
            let id = try #require(try reader.incidents().first?.id)
            #expect(try reader.incidents().first?.followUpRequired == true)
            _ = try desk.acknowledge(id, by: "alice", at: Self.at(1))
            _ = try desk.resolve(id, by: "alice", note: "fixed", at: Self.at(2))
            #expect(throws: IncidentRefusal.self) { try desk.close(id, by: "alice", at: Self.at(3)) }
            _ = try desk.addNote(
                id, text: "called the customer: service fine", followUp: true, by: "alice", at: Self.at(4))
            #expect(try desk.close(id, by: "alice", at: Self.at(5)).state == .closed)
        }
    }

    @Test("an alarm clear resolves; its return within the window reopens the same incident; later, a new one")
    func reopenByAlarm() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1)
            let id = try #require(try reader.incidents().first?.id)
            _ = try desk.acknowledge(id, by: "alice", at: Self.at(1))
            try Self.clear(store, 1, at: 10)
            #expect(try reader.incident(id: id)?.incident.state == .resolved)
            try Self.raise(store, 2, at: 40)  // back within the hour
            let detail = try #require(try reader.incident(id: id))
            #expect(detail.incident.state == .inProgress && detail.incident.owner == "alice")
            #expect(detail.incident.reopenCount == 1 && detail.incident.alarm.id == 2)
            #expect(detail.alarms.map { "\($0.role) \($0.alarm.id)" } == ["reopen 1", "alarm 2"])
            #expect(detail.journal.map(\.action.rawValue).suffix(2) == ["resolved", "reopened"])
            #expect(try reader.incidents().count == 1)
            try Self.clear(store, 2, at: 50)
            try Self.raise(store, 3, at: 200)  // more than an hour after
            #expect(try reader.incidents().count == 2)
            // An operator reopens a closed incident with a reason.
            _ = try desk.close(id, by: "alice", at: Self.at(210))
            #expect(throws: IncidentRefusal.self) {
                try desk.reopen(id, by: "alice", reason: "", at: Self.at(211))
            }
            let reopened = try desk.reopen(id, by: "bob", reason: "customer still down", at: Self.at(212))
            #expect(reopened.state == .inProgress && reopened.reopenCount == 2 && reopened.closedAt == nil)
        }
    }

    @Test("symptoms are linked to their root cause's incident and open none of their own")
    func symptoms() throws {
        try withTempDir { dir in
            let (store, _, reader) = try open(dir)
            try Self.raise(store, 1, key: "core1", rule: "node-down", host: "core1")
            try Self.raise(
                store, 2, key: "sw1/3", host: "sw1",
                suppression: Suppression(reason: .symptom, name: "node-down", cause: 1), at: 1)
            let all = try reader.incidents()
            #expect(all.count == 1)
            let detail = try #require(try reader.incident(id: all[0].id))
            #expect(detail.alarms.map { "\($0.role) \($0.alarm.id)" } == ["alarm 1", "symptom 2"])
            #expect(detail.journal.last?.action.rawValue == "symptom_linked")
        }
    }

    @Test("by policy, symptoms get incidents of their own")
    func symptomsOwnIncidents() throws {
        try withTempDir { dir in
            var policy = IncidentPolicy()
            policy.symptomIncidents = true
            let store = try AlarmStore(path: dir + "/ecc.db", policy: policy)
            let reader = try StoreReader(path: dir + "/ecc.db")
            try Self.raise(store, 1, key: "core1", rule: "node-down", host: "core1")
            try Self.raise(
                store, 2, key: "sw1/3", host: "sw1",
                suppression: Suppression(reason: .symptom, name: "node-down", cause: 1), at: 1)
            #expect(try reader.incidents().map(\.alarm.id) == [2, 1])
        }
    }

    @Test("escalation raises the incident's priority; rules with incident: false open none")
    func escalationAndOptOut() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let policy = IncidentPolicy(classify: { a, e in
                var c = IncidentPolicy.classifyByEvent(a, e)
                c.opensIncident = a.rule != "sla-breached"
                return c
            })
            let store = try AlarmStore(path: path, policy: policy)
            let reader = try StoreReader(path: path)
            try Self.raise(store, 1, severity: .minor)
            try Self.raise(store, 2, key: "x", rule: "sla-breached")
            #expect(try reader.incidents().map(\.priority) == [4])
            var a = try #require(try reader.incidents().first?.alarm)
            a.severity = .critical
            var b = ChangeBatch()
            b.append(AlarmChange(kind: .updated, alarm: a, at: Self.at(20)))
            try store.apply(b)
            let i = try #require(try reader.incidents().first)
            #expect(i.priority == 2 && i.severity == .critical)
            let detail = try #require(try reader.incident(id: i.id))
            #expect(
                detail.journal.last.map { "\($0.action.rawValue) \($0.old ?? "") → \($0.new ?? "")" }
                    == "priority P4 → P2")
        }
    }

    @Test("retention prunes closed incidents (archived first), cleared alarms nobody refers to, old change rows")
    func retention() throws {
        try withTempDir { dir in
            let (store, desk, reader) = try open(dir)
            try Self.raise(store, 1, key: "a")  // incident 1: closed on day 0
            try Self.raise(store, 2, key: "b")  // incident 2: stays open
            try Self.raise(store, 3, key: "c", rule: "link-flap")  // incident 3: closed, its alarm still active
            let first = try #require(try reader.incidents().first { $0.alarm.id == 1 }?.id)
            _ = try desk.resolve(first, by: "alice", note: "fixed", at: Self.at(1))
            _ = try desk.close(first, by: "alice", at: Self.at(2))
            try Self.clear(store, 1, key: "a", at: 3)
            let third = try #require(try reader.incidents().first { $0.alarm.id == 3 }?.id)
            _ = try desk.resolve(third, by: "alice", note: "fixed", at: Self.at(1))
            _ = try desk.close(third, by: "alice", at: Self.at(2))
            let day: Int64 = 86_400_000_000_000
            let policy = RetentionPolicy(
                closedIncidents: 30 * day, clearedAlarms: 30 * day, alarmChanges: 30 * day,
                archiveDirectory: dir + "/archive")
            // Nothing is old enough yet.
            #expect(try desk.prune(policy, at: Self.at(60 * 24 * 29)) == Pruned())
            let pruned = try desk.prune(policy, at: Self.at(60 * 24 * 31))
            #expect(pruned.incidents == 2)
            #expect(pruned.alarms == 1, "alarm 1 (cleared, its incident pruned); alarms 2 and 3 are active")
            #expect(pruned.alarmChanges >= 1)
            #expect(try reader.incidents().map(\.alarm.id) == [2])
            #expect(try reader.alarms(state: nil).map(\.id).sorted() == [2, 3])
            let archived = try String(contentsOfFile: dir + "/archive/incidents-2025-12-26.jsonl", encoding: .utf8)
            #expect(archived.split(separator: "\n").count == 2)
            #expect(archived.contains("\"action\":\"closed\""))
            #expect(try desk.prune(policy, at: Self.at(60 * 24 * 31)) == Pruned())
        }
    }
}
