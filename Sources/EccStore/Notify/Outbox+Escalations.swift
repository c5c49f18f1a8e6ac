import EccCore
import EccIncidents
import Foundation
import Synchronization

/// Escalations: the steps that are due, and what a step writes (messages, the next step, the end).
extension Outbox {
    // MARK: Escalations

    /// What an escalation step that is due comes to.
    package enum EscalationStep: Sendable {
        /// The escalation ends without a message (its alarm cleared, its incident was acknowledged).
        case stop(String)
        /// These messages go out; `nextAt` nil ends the escalation (`reason` says why).
        case send([NewMessage], nextAt: EventTime?, reason: String)
    }

    /// Each escalation whose next step is due: read (with its alarm and the incident whose acknowledgement
    /// stops it) and committed with what `decide` makes of it in one transaction, so an acknowledgement
    /// committed first always wins: no step goes out after it. Returns how many steps were sent.
    @discardableResult
    package func escalateDue(at now: EventTime, limit: Int = 200, _ decide: (OutboxEscalation) -> EscalationStep)
        throws(StoreError) -> Int
    {
        let ids = try dueIDs("SELECT id FROM escalations WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2", now, limit)
        var sent = 0
        for id in ids {
            let done = try tx { (c) throws(StoreError) -> Bool in
                guard let e = try Self.escalation(c, id: id, now) else { return false }
                switch decide(e) {
                case .stop(let reason):
                    let u = try c.cached(
                        "UPDATE escalations SET next_at = NULL, stopped_at = ?2, stop_reason = ?3 WHERE id = ?1")
                    defer { u.reset() }
                    u.bind(1, id)
                    u.bind(2, now.nanoseconds)
                    u.bind(3, reason)
                    try u.run()
                    return false
                case .send(let messages, let nextAt, let reason):
                    for m in messages { _ = try Self.insert(c, m, at: now) }
                    let u = try c.cached(
                        """
                        UPDATE escalations SET step = step + 1, next_at = ?2,
                            stopped_at = CASE WHEN ?2 IS NULL THEN ?3 END,
                            stop_reason = CASE WHEN ?2 IS NULL THEN ?4 END WHERE id = ?1
                        """)
                    defer { u.reset() }
                    u.bind(1, id)
                    u.bind(2, nextAt?.nanoseconds)
                    u.bind(3, now.nanoseconds)
                    u.bind(4, reason)
                    try u.run()
                    return true
                }
            }
            if done { sent += 1 }
        }
        return sent
    }

    private static func escalation(_ c: Connection, id: Int64, _ now: EventTime) throws(StoreError) -> OutboxEscalation?
    {
        let s = try c.cached(
            """
            SELECT id, alarm_id, incident_id, policy, route, started_at, step FROM escalations
                WHERE id = ?1 AND next_at <= ?2
            """)
        s.bind(1, id)
        s.bind(2, now.nanoseconds)
        guard try s.step() else {
            s.reset()
            return nil
        }
        var e = OutboxEscalation(
            id: s.int(0), alarmID: UInt64(bitPattern: s.int(1)), incidentID: s.optionalInt(2), policy: s.text(3),
            route: s.text(4), startedAt: EventTime(nanoseconds: s.int(5)), step: Int(s.int(6)), alarm: nil,
            incidentState: nil)
        s.reset()
        e.alarm = try alarm(c, e.alarmID)
        if let inc = e.incidentID ?? e.alarm?.incident {
            let q = try c.cached("SELECT state, acknowledged_at FROM incidents WHERE id = ?1")
            q.bind(1, inc)
            if try q.step() {
                e.incidentState = q.value(0, unknown: IncidentState.new)
                e.incidentAcknowledgedAt = q.optionalInt(1).map { EventTime(nanoseconds: $0) }
            }
            q.reset()
            e.incidentID = inc
        }
        return e
    }
}
