import EccCore
import EccIncidents
import Foundation
import Synchronization

/// What the API and eccctl read from the outbox, and the alarms messages are about.
extension Outbox {
    // MARK: Queries

    /// Messages in these states (all when empty), newest first.
    package func messages(states: [MessageState], receiver: String? = nil, limit: Int = 100) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            var sql = "SELECT \(Self.messageColumns) FROM notifications WHERE 1"
            if !states.isEmpty { sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))" }
            if receiver != nil { sql += " AND receiver = ?\(states.count + 1)" }
            sql += " ORDER BY id DESC LIMIT \(max(1, min(limit, 10_000)))"
            let s = try c.prepare(sql)
            for (i, st) in states.enumerated() { s.bind(Int32(i + 1), st) }
            if let receiver { s.bind(Int32(states.count + 1), receiver) }
            var out: [OutboxMessage] = []
            while try s.step() { out.append(message(s)) }
            return out
        }
    }

    /// One message by row id.
    package func message(rowID: Int64) throws(StoreError) -> OutboxMessage? {
        try with { (c) throws(StoreError) -> OutboxMessage? in
            let s = try c.cached(text: "SELECT \(Self.messageColumns) FROM notifications WHERE id = ?1")
            defer { s.reset() }
            s.bind(1, rowID)
            return try s.step() ? message(s) : nil
        }
    }

    /// The attempts of a message, oldest first.
    package func attempts(rowID: Int64) throws(StoreError) -> [OutboxAttempt] {
        try with { (c) throws(StoreError) -> [OutboxAttempt] in
            let s = try c.cached(
                "SELECT at, result, detail, duration_ms FROM notification_attempts WHERE notification_id = ?1 ORDER BY seq"
            )
            s.bind(1, rowID)
            var out: [OutboxAttempt] = []
            while try s.step() {
                out.append(
                    OutboxAttempt(
                        at: EventTime(nanoseconds: s.int(0)), result: s.value(1, unknown: AttemptResult.temporary),
                        detail: s.text(2),
                        durationMilliseconds: s.int(3)))
            }
            s.reset()
            return out
        }
    }

    /// Messages waiting (pending, retrying, held), by state, for metrics.
    package func countsByState() throws(StoreError) -> [MessageState: Int] {
        try with { (c) throws(StoreError) -> [MessageState: Int] in
            let s = try c.cached(
                "SELECT state, count(*) FROM notifications WHERE state IN ('pending', 'retrying', 'held') GROUP BY state"
            )
            var out: [MessageState: Int] = [:]
            while try s.step() { out[s.value(0, unknown: MessageState.pending)] = Int(s.int(1)) }
            s.reset()
            return out
        }
    }

    // MARK: Alarms

    static func alarm(_ c: Connection, _ id: UInt64) throws(StoreError) -> AlarmInfo? {
        let s = try c.cached(
            """
            SELECT a.id, a.rule, a.key, a.state, a.severity, a.summary, a.host, a.source, a.type, a.first_seen,
                a.last_seen, a.count, a.cleared_at, i.id, i.priority
                FROM alarms a LEFT JOIN incident_alarms ia ON ia.alarm_id = a.id
                LEFT JOIN incidents i ON i.id = ia.incident_id WHERE a.id = ?1
            """)
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: id))
        guard try s.step() else { return nil }
        return AlarmInfo(
            id: UInt64(bitPattern: s.int(0)), rule: s.text(1), key: s.text(2),
            state: s.value(3, unknown: AlarmState.active), severity: Severity(name: s.text(4)) ?? .info,
            summary: s.text(5), host: s.text(6), source: s.text(7), type: s.text(8),
            firstSeen: EventTime(nanoseconds: s.int(9)), lastSeen: EventTime(nanoseconds: s.int(10)),
            count: s.int(11), clearedAt: s.optionalInt(12).map { EventTime(nanoseconds: $0) },
            incident: s.optionalInt(13),
            priority: s.optionalInt(14).map { Int($0) })
    }

    static func parseLabels(_ json: String) -> [String: String] {
        guard let data = json.data(using: .utf8),
            let v = (try? JSONSerialization.jsonObject(with: data)) as? [String: String]
        else { return [:] }
        return v
    }
}
