import EccCore
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

/// SLA announcements: every breach and near-breach reaches the bus exactly once, whoever finds it.
@Suite("SLA announcements")
struct SLATests {
    typealias T = IncidentTests

    /// What a sweep returned, readably: `incident type sla`.
    static func lines(_ events: [Event]) -> [String] {
        events.map { e in
            "\(e.attributes["incident"]?.text ?? "?") \(e.type) \(e.attributes["sla"]?.text ?? "?")"
        }
    }

    static func slaJournal(_ reader: StoreReader, _ id: Int64) throws -> [String] {
        try #require(try reader.incident(id: id)).journal.filter { $0.action.rawValue.hasPrefix("sla_") }.map {
            "\($0.action.rawValue) \($0.field ?? "")"
        }
    }

    @Test("a breach found by a late acknowledgement or resolution is announced by the next sweep, once")
    func breachFoundByAction() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            let desk = try IncidentDesk(path: path)
            let reader = try StoreReader(path: path)
            try T.raise(store, 1, attributes: ["criticality": "high"])  // P1: 15 min / 4 h
            let id = try #require(try reader.incidents().first?.id)

            // Nobody swept before the acknowledgement 20 minutes in: it finds the response target missed.
            #expect(try desk.acknowledge(id, by: "alice", at: T.at(20)).responseBreached)
            #expect(Self.lines(try desk.sweep(at: T.at(21))) == ["\(id) slaBreached response"])
            #expect(try desk.sweep(at: T.at(22)).isEmpty)

            // Resolved after the 4 h target, no sweep in between: found by the resolution.
            #expect(try desk.resolve(id, by: "alice", note: "fixed", at: T.at(300)).resolutionBreached)
            #expect(Self.lines(try desk.sweep(at: T.at(301))) == ["\(id) slaBreached resolution"])
            #expect(try desk.sweep(at: T.at(302)).isEmpty)
            #expect(try Self.slaJournal(reader, id) == ["sla_breached response", "sla_breached resolution"])
        }
    }

    @Test("a breach found when the alarm clears is announced once; a queued announcement survives a restart")
    func breachFoundByClear() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            let reader = try StoreReader(path: path)
            do {
                let desk = try IncidentDesk(path: path)
                try T.raise(store, 1, attributes: ["criticality": "high"])
                let id = try #require(try reader.incidents().first?.id)
                _ = try desk.acknowledge(id, by: "alice", at: T.at(5))
                #expect(try desk.sweep(at: T.at(6)).isEmpty)
            }
            // The alarm clears after the resolution target, between two sweeps (and eccd restarts).
            try T.clear(store, 1, at: 250)
            let id = try #require(try reader.incidents().first?.id)
            #expect(try reader.incident(id: id)?.incident.resolutionBreached == true)
            let desk = try IncidentDesk(path: path)
            #expect(Self.lines(try desk.sweep(at: T.at(251))) == ["\(id) slaBreached resolution"])
            #expect(try desk.sweep(at: T.at(252)).isEmpty)
            #expect(try Self.slaJournal(reader, id) == ["sla_breached resolution"])
        }
    }

    @Test("the sweep announces each near-breach and breach once, and none for targets an action already met")
    func sweepOnce() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            let desk = try IncidentDesk(path: path)
            let reader = try StoreReader(path: path)
            try T.raise(store, 1, attributes: ["criticality": "high"])
            let id = try #require(try reader.incidents().first?.id)
            var seen: [String] = []
            for minute in stride(from: 0.0, through: 300, by: 0.5) {
                if minute == 14 { _ = try desk.acknowledge(id, by: "alice", at: T.at(minute)) }
                seen += Self.lines(try desk.sweep(at: T.at(minute)))
            }
            #expect(
                seen == [
                    "\(id) slaNearBreach response", "\(id) slaNearBreach resolution", "\(id) slaBreached resolution",
                ])
        }
    }
}

extension SLATests {
    @Test("business hours: the near-breach falls at 80 % of the business time, not of the clock time")
    func nearBreachInBusinessHours() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let bh = BusinessHours(days: [2, 3, 4, 5, 6], start: 8 * 60, end: 18 * 60, timeZone: berlin)
        var policy = IncidentPolicy(businessHours: bh)
        // P3 (major on a medium CI): 2 business hours to respond, 48 to resolve.
        policy.sla[3] = SLATarget(
            response: 120 * T.minute, resolution: 48 * 60 * T.minute, businessHours: true)
        // Friday 2026-11-27 17:00 Berlin: 1 business hour left on Friday, response due Monday 09:00 Berlin.
        let friday = try #require(RFC3339.parse("2026-11-27T16:00:00Z"))
        let clock = ManualClock(friday)
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path, policy: policy)
            let desk = try IncidentDesk(path: path, policy: policy)
            let reader = try StoreReader(path: path)
            let a = Alarm(
                id: 1, rule: "interface-down", key: "sw1/7", severity: .major, summary: "Interface down on sw1",
                source: "snmp", host: "sw1", type: "linkDown", firstSeen: clock.now(), lastSeen: clock.now())
            var b = ChangeBatch()
            b.append(AlarmChange(kind: .raised, alarm: a, at: clock.now(), origin: Event.make("linkDown", host: "sw1")))
            try store.apply(b)
            let incident = try #require(try reader.incidents().first)
            #expect(incident.priority == 3)
            #expect(incident.responseDue == RFC3339.parse("2026-11-30T08:00:00Z"))
            #expect(bh.duration(from: friday, to: try #require(incident.responseDue)) == 120 * T.minute)

            // 80 % of 64 clock hours would be Sunday 19:12Z; 80 % of 2 business hours is Monday 08:36 Berlin.
            var seen: [(String, EventTime)] = []
            for _ in 0..<(64 * 12) {  // every 5 minutes until the response deadline
                clock.advance(seconds: 300)
                for e in try desk.sweep(at: clock.now()) where e.attributes["sla"] == .string("response") {
                    seen.append((e.type, clock.now()))
                }
            }
            #expect(seen.map(\.0) == ["slaNearBreach", "slaBreached"])
            #expect(seen.first?.1 == RFC3339.parse("2026-11-30T07:40:00Z"), "the first sweep at or after 07:36Z")
            #expect(seen.last?.1 == RFC3339.parse("2026-11-30T08:00:00Z"))
        }
    }
}
