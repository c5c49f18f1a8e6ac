import EccCore
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
        try #require(try reader.incident(id: id)).journal.filter { $0.action.hasPrefix("sla_") }.map {
            "\($0.action) \($0.field ?? "")"
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
