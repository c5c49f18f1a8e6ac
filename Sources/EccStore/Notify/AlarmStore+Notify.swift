import EccCore
import EccIncidents

/// The write side of the notification outbox, in the transaction of the alarm change that causes it. It
/// reads no rules: it writes what the engine's routes decided (``RouteDecision``, carried by the change).
/// A notifying change puts its alarm into the group of each route it takes (due after the group's wait, or
/// at its next interval) and starts the route's escalation; a clear marks the alarm resolved in its groups
/// (when their route sends resolved notifications, as recorded on the group) and stops its escalations; a
/// suppressed raise is recorded with the reason it notifies no one. Nothing here sends: the dispatcher
/// does, from these rows. eccd's own alarms have no group and may skip an escalation's first step: the
/// dispatcher sent them at once (``RuleSet/receivers(ofRoutes:)``) and records that.
extension AlarmStore {
    func planNotifications(_ change: AlarmChange) throws(StoreError) {
        // Repeats are most changes and notify no one.
        guard change.kind != .repeated, queuesNotifications else { return }
        let a = change.alarm
        switch change.kind {
        case .repeated: return
        case .cleared:
            try resolveInGroups(a, at: change.at)
            try OutboxRecords.stopEscalations(
                connection, alarm: a.id, incident: nil, reason: "alarm cleared", at: change.at)
        case .raised, .updated:
            guard !change.routes.isEmpty else {
                if change.kind == .raised, let s = a.suppression {
                    try OutboxRecords.skip(
                        connection, alarm: a, reason: "suppressed (\(s)): suppressed alarms notify no one",
                        at: change.at)
                }
                return
            }
            for d in change.routes {
                if let g = d.group { try joinGroup(a, route: d.route, g, at: change.at) }
                if let e = d.escalation {
                    try startEscalation(a, e, route: d.route, origin: change.origin, at: change.at)
                }
            }
        }
    }

    private func joinGroup(_ a: Alarm, route: String, _ g: RouteDecision.Group, at: EventTime) throws(StoreError) {
        let c = connection
        let find = try c.cached(
            """
            SELECT id, flush_at, last_flush, group_interval, send_resolved FROM notify_groups
                WHERE route = ?1 AND group_key = ?2
            """)
        find.bind(1, route)
        find.bind(2, g.key)
        var group: Int64
        if try find.step() {
            group = find.int(0)
            let flush = find.optionalInt(1)
            let last = find.optionalInt(2)
            let same = find.int(3) == g.interval && (find.int(4) != 0) == g.sendResolved
            find.reset()
            // The group keeps the timing of the route's latest decision (a reload may have changed it).
            if flush == nil || !same {
                try updateGroup(
                    group, due: flush ?? last.map { max(at.nanoseconds, $0 &+ g.interval) } ?? at.nanoseconds &+ g.wait,
                    g)
            }
        } else {
            find.reset()
            let ins = try c.cached(
                """
                INSERT INTO notify_groups(route, group_key, labels, created_at, flush_at, group_interval, send_resolved)
                    VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """)
            defer { ins.reset() }
            ins.bind(1, route)
            ins.bind(2, g.key)
            ins.bind(3, OutboxRecords.labelsJSON(g.labels))
            ins.bind(4, at.nanoseconds)
            ins.bind(5, at.nanoseconds &+ g.wait)
            ins.bind(6, g.interval)
            ins.bind(7, Int64(g.sendResolved ? 1 : 0))
            try ins.run()
            group = c.lastInsertRowID
        }
        // An alarm whose group_by values changed (its severity, say) leaves its old group on this route
        // (found through the alarm's own memberships: an index lookup, whatever the number of groups).
        let old = try c.cached(
            """
            SELECT m.group_id FROM notify_group_alarms m CROSS JOIN notify_groups g ON g.id = m.group_id
                WHERE m.alarm_id = ?1 AND m.group_id != ?2 AND g.route = ?3
            """)
        old.bind(1, Int64(bitPattern: a.id))
        old.bind(2, group)
        old.bind(3, route)
        var left: [Int64] = []
        while try old.step() { left.append(old.int(0)) }
        old.reset()
        for g in left { try leave(g, a.id) }
        let member = try c.cached(
            """
            INSERT INTO notify_group_alarms(group_id, alarm_id, state, pending) VALUES(?1, ?2, 'firing', 1)
                ON CONFLICT(group_id, alarm_id) DO UPDATE SET state = 'firing', pending = 1
            """)
        defer { member.reset() }
        member.bind(1, group)
        member.bind(2, Int64(bitPattern: a.id))
        try member.run()
    }

    private func updateGroup(_ group: Int64, due: Int64, _ g: RouteDecision.Group) throws(StoreError) {
        let u = try connection.cached(
            "UPDATE notify_groups SET flush_at = ?2, group_interval = ?3, send_resolved = ?4 WHERE id = ?1")
        defer { u.reset() }
        u.bind(1, group)
        u.bind(2, due)
        u.bind(3, g.interval)
        u.bind(4, Int64(g.sendResolved ? 1 : 0))
        try u.run()
    }

    /// The alarm cleared: in groups that were told it fired and whose route sends resolved notifications,
    /// it waits for the group's next interval as resolved; elsewhere it leaves the group (a blip that
    /// cleared within `group_wait` notifies no one, and that is recorded).
    private func resolveInGroups(_ a: Alarm, at: EventTime) throws(StoreError) {
        let c = connection
        let find = try c.cached(
            """
            SELECT g.id, g.route, g.flush_at, g.last_flush, m.notified, g.group_interval, g.send_resolved
                FROM notify_group_alarms m CROSS JOIN notify_groups g ON g.id = m.group_id WHERE m.alarm_id = ?1
            """)
        find.bind(1, Int64(bitPattern: a.id))
        var rows:
            [(
                group: Int64, route: String, flush: Int64?, last: Int64?, notified: Bool, interval: Int64,
                resolved: Bool
            )] = []
        while try find.step() {
            rows.append(
                (
                    find.int(0), find.text(1), find.optionalInt(2), find.optionalInt(3), find.int(4) != 0, find.int(5),
                    find.int(6) != 0
                ))
        }
        find.reset()
        for (group, routeName, flush, last, notified, interval, sendResolved) in rows {
            if notified && sendResolved {
                let u = try c.cached(
                    "UPDATE notify_group_alarms SET state = 'resolved', pending = 1 WHERE group_id = ?1 AND alarm_id = ?2"
                )
                u.bind(1, group)
                u.bind(2, Int64(bitPattern: a.id))
                try u.run()
                u.reset()
                if flush == nil {
                    let due = last.map { max(at.nanoseconds, $0 &+ interval) } ?? at.nanoseconds
                    let g = try c.cached("UPDATE notify_groups SET flush_at = ?2 WHERE id = ?1")
                    g.bind(1, group)
                    g.bind(2, due)
                    try g.run()
                    g.reset()
                }
            } else {
                try leave(group, a.id)
                if !notified {
                    try OutboxRecords.skip(
                        c, alarm: a, reason: "cleared before route '\(routeName)' notified (within group_wait)",
                        at: at)
                }
            }
        }
    }

    /// The alarm leaves the group; a group left empty goes.
    private func leave(_ group: Int64, _ alarm: UInt64) throws(StoreError) {
        let d = try connection.cached("DELETE FROM notify_group_alarms WHERE group_id = ?1 AND alarm_id = ?2")
        d.bind(1, group)
        d.bind(2, Int64(bitPattern: alarm))
        try d.run()
        d.reset()
        let empty = try connection.cached(
            """
            DELETE FROM notify_groups WHERE id = ?1
                AND NOT EXISTS (SELECT 1 FROM notify_group_alarms WHERE group_id = ?1)
            """)
        empty.bind(1, group)
        try empty.run()
        empty.reset()
    }

    private func startEscalation(
        _ a: Alarm, _ e: RouteDecision.Escalation, route: String, origin: Event?, at: EventTime
    ) throws(StoreError) {
        let c = connection
        // The incident whose acknowledgement stops it: the alarm's own, or, for alarms about an incident
        // (the SLA breach events of the store, source itsm), the incident they name.
        var incident: Int64?
        let own = try c.cached("SELECT incident_id FROM incident_alarms WHERE alarm_id = ?1")
        own.bind(1, Int64(bitPattern: a.id))
        if try own.step() { incident = own.int(0) }
        own.reset()
        if incident == nil, let text = (origin ?? storedOrigin(a.id))?.attributes["incident"]?.text,
            let id = Int64(text)
        {
            incident = id
        }
        let s = try c.cached(
            """
            INSERT INTO escalations(alarm_id, incident_id, policy, route, started_at, step, next_at)
                SELECT ?1, ?2, ?3, ?4, ?5, ?7, ?6
                WHERE NOT EXISTS (SELECT 1 FROM escalations WHERE alarm_id = ?1 AND policy = ?3)
            """)
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: a.id))
        s.bind(2, incident)
        s.bind(3, e.policy)
        s.bind(4, route)
        s.bind(5, at.nanoseconds)
        s.bind(6, at.nanoseconds &+ e.after)
        s.bind(7, Int64(e.step))
        try s.run()
    }
}

/// Outbox rows written from more than one place (the alarm writer, the incident desk, the dispatcher).
enum OutboxRecords {
    /// Records that an alarm notifies no one, and why (shown by `eccctl notify queue --state skipped`).
    static func skip(_ c: Connection, alarm a: Alarm, reason: String, at: EventTime) throws(StoreError) {
        let s = try c.cached(
            """
            INSERT INTO notifications(receiver, kind, route, alarm_ids, content, state, created_at, reason)
                VALUES('', 'firing', '', ?1, ?2, 'skipped', ?3, ?4)
            """)
        defer { s.reset() }
        s.bind(1, "\(a.id)")
        s.bind(2, "\(a.rule) [\(a.key)] \(a.summary)")
        s.bind(3, at.nanoseconds)
        s.bind(4, reason)
        try s.run()
    }

    /// Stops the running escalations of an alarm, or of every alarm of an incident (and those naming it).
    static func stopEscalations(_ c: Connection, alarm: UInt64?, incident: Int64?, reason: String, at: EventTime)
        throws(StoreError)
    {
        let s: Statement
        if let alarm {
            s = try c.cached(
                "UPDATE escalations SET next_at = NULL, stopped_at = ?2, stop_reason = ?3 WHERE alarm_id = ?1 AND next_at IS NOT NULL"
            )
            s.bind(1, Int64(bitPattern: alarm))
        } else if let incident {
            s = try c.cached(
                """
                UPDATE escalations SET next_at = NULL, stopped_at = ?2, stop_reason = ?3
                    WHERE next_at IS NOT NULL AND (incident_id = ?1
                        OR alarm_id IN (SELECT alarm_id FROM incident_alarms WHERE incident_id = ?1))
                """)
            s.bind(1, incident)
        } else {
            return
        }
        defer { s.reset() }
        s.bind(2, at.nanoseconds)
        s.bind(3, reason)
        try s.run()
    }

    static func labelsJSON(_ labels: [RouteDecision.Label]) -> String {
        var w = JSONWriter()
        w.beginObject()
        for l in labels { w.field(l.name, l.value) }
        w.endObject()
        return w.string
    }
}
