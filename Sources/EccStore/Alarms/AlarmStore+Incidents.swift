import EccCore

/// Incidents driven by alarm changes, in the same transaction as the change: opened for a raised (or
/// released) alarm, reopened when a resolved incident's alarm returns within the reopen window, linked
/// with the symptoms of its root cause, re-prioritised when the alarm's severity changes, resolved when
/// the alarm clears. Every step is journalled (actor `eccd`).
extension AlarmStore {
    /// A new (`isNew`: just raised, so linked to nothing yet) or released alarm that is not suppressed.
    func openIncident(for a: Alarm, origin: Event?, at: EventTime, isNew: Bool = false) throws(StoreError) {
        let c = connection
        var linked: (Int64, String)?
        if !isNew {
            let existing = try c.cached("SELECT incident_id, role FROM incident_alarms WHERE alarm_id = ?1")
            existing.bind(1, Int64(bitPattern: a.id))
            linked = try existing.step() ? (existing.int(0), existing.text(1)) : nil
            existing.reset()
        }
        // A symptom released while its root cause's incident is over is a problem of its own now.
        var releasedFrom: Int64?
        if let (incident, role) = linked {
            guard role == "symptom" else { return }
            releasedFrom = incident
        }
        let cls = policy.classify(a, origin ?? storedOrigin(a.id))
        guard cls.opensIncident else { return }
        if let old = releasedFrom {
            let unlink = try c.cached("DELETE FROM incident_alarms WHERE alarm_id = ?1")
            unlink.bind(1, Int64(bitPattern: a.id))
            try unlink.run()
            try IncidentRecords.journal(
                c, incident: old, at: at, actor: "eccd", action: "symptom_released",
                note: "alarm #\(a.id) outlived its root cause and gets an incident of its own")
        }
        if try reopenIncident(for: a, at: at) { return }
        let priority = IncidentPolicy.priority(severity: a.severity, criticality: cls.criticality)
        let due = policy.deadlines(priority: priority, opened: at)
        let s = try c.cached(
            """
            INSERT INTO incidents(alarm_id, state, severity, title, host, opened_at, updated_at, priority, ci,
                response_due, resolution_due, follow_up_required, rule, alarm_key)
                VALUES(?1, 'new', ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """)
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: a.id))
        s.bind(2, a.severity.name)
        s.bind(3, a.summary)
        s.bind(4, a.host)
        s.bind(5, at.nanoseconds)
        s.bind(6, Int64(priority))
        s.bind(7, cls.ci)
        s.bind(8, due.response?.nanoseconds)
        s.bind(9, due.resolution?.nanoseconds)
        s.bind(10, Int64(cls.followUp ? 1 : 0))
        s.bind(11, a.rule)
        s.bind(12, a.key)
        try s.run()
        let id = c.lastInsertRowID
        try IncidentRecords.link(c, incident: id, alarm: a.id, role: "alarm")
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: "eccd", action: "opened", field: "state", new: "new",
            note:
                "P\(priority): \(a.severity.name) alarm #\(a.id) on \(cls.ci) (criticality \(cls.criticality.rawValue))"
                + (cls.followUp ? "; follow-up required" : ""))
    }

    /// The alarm of a recently resolved incident returned: the same incident is reopened (its SLA clocks
    /// keep running from the first opening). Returns false when there is none to reopen.
    private func reopenIncident(for a: Alarm, at: EventTime) throws(StoreError) -> Bool {
        let c = connection
        let find = try c.cached(
            """
            SELECT id, alarm_id, owner FROM incidents
                WHERE rule = ?1 AND alarm_key = ?2 AND state = 'resolved' AND resolved_at >= ?3
                ORDER BY resolved_at DESC LIMIT 1
            """)
        defer { find.reset() }
        find.bind(1, a.rule)
        find.bind(2, a.key)
        find.bind(3, at.nanoseconds &- policy.reopenWindow)
        guard try find.step() else { return false }
        let id = find.int(0)
        let previous = find.int(1)
        let state = find.isNull(2) ? IncidentState.new : .inProgress
        let u = try c.cached(
            """
            UPDATE incidents SET state = ?2, alarm_id = ?3, severity = ?4, title = ?5, updated_at = ?6,
                resolved_at = NULL, reopen_count = reopen_count + 1 WHERE id = ?1
            """)
        defer { u.reset() }
        u.bind(1, id)
        u.bind(2, state.rawValue)
        u.bind(3, Int64(bitPattern: a.id))
        u.bind(4, a.severity.name)
        u.bind(5, a.summary)
        u.bind(6, at.nanoseconds)
        try u.run()
        let relink = try c.cached("UPDATE incident_alarms SET role = 'reopen' WHERE alarm_id = ?1")
        defer { relink.reset() }
        relink.bind(1, previous)
        try relink.run()
        try IncidentRecords.link(c, incident: id, alarm: a.id, role: "alarm")
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: "eccd", action: "reopened", field: "state", old: "resolved",
            new: state.rawValue, note: "alarm returned as #\(a.id) within the reopen window")
        return true
    }

    /// A symptom (suppressed by a root cause) is linked to the root cause's incident.
    func linkSymptom(_ a: Alarm, at: EventTime) throws(StoreError) {
        guard let s = a.suppression, s.reason == .symptom, let cause = s.cause else { return }
        let c = connection
        let find = try c.cached("SELECT incident_id FROM incident_alarms WHERE alarm_id = ?1")
        defer { find.reset() }
        find.bind(1, Int64(bitPattern: cause))
        guard try find.step() else { return }
        let id = find.int(0)
        try IncidentRecords.link(c, incident: id, alarm: a.id, role: "symptom")
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: "eccd", action: "symptom_linked",
            note: "alarm #\(a.id) (\(a.rule) [\(a.key)]) is a symptom of #\(cause)")
    }

    /// The alarm's severity changed (escalation): its open incident's priority follows.
    func updateIncidentSeverity(_ a: Alarm, at: EventTime) throws(StoreError) {
        let c = connection
        let find = try c.cached(
            "SELECT id, severity, priority, ci FROM incidents WHERE alarm_id = ?1 AND state IN ('new', 'acknowledged', 'in_progress')"
        )
        defer { find.reset() }
        find.bind(1, Int64(bitPattern: a.id))
        guard try find.step(), find.text(1) != a.severity.name else { return }
        let id = find.int(0)
        let old = Int(find.int(2))
        let cls = policy.classify(a, storedOrigin(a.id))
        let priority = IncidentPolicy.priority(severity: a.severity, criticality: cls.criticality)
        let u = try c.cached("UPDATE incidents SET severity = ?2, priority = ?3, updated_at = ?4 WHERE id = ?1")
        defer { u.reset() }
        u.bind(1, id)
        u.bind(2, a.severity.name)
        u.bind(3, Int64(priority))
        u.bind(4, at.nanoseconds)
        try u.run()
        if priority != old {
            try IncidentRecords.journal(
                c, incident: id, at: at, actor: "eccd", action: "priority", field: "priority", old: "P\(old)",
                new: "P\(priority)", note: "alarm #\(a.id) is now \(a.severity.name)")
        }
    }

    /// The alarm cleared: its open incident is resolved. Cleared after the resolution deadline, before the
    /// SLA sweep saw it: the breach is marked and its event queued for the next sweep.
    func resolveIncident(for a: Alarm, at: EventTime) throws(StoreError) {
        let c = connection
        let find = try c.cached(
            """
            SELECT id, state, resolution_due, resolution_breached FROM incidents
                WHERE alarm_id = ?1 AND state IN ('new', 'acknowledged', 'in_progress')
            """)
        defer { find.reset() }
        find.bind(1, Int64(bitPattern: a.id))
        guard try find.step() else { return }
        let id = find.int(0)
        let old = find.text(1)
        if let due = find.optionalInt(2).map({ EventTime(nanoseconds: $0) }), at > due, find.int(3) == 0 {
            try IncidentRecords.markBreached(c, incident: id, target: "resolution", due: due, at: at)
            try IncidentRecords.queueSLAEvent(c, incident: id, target: "resolution", breached: true, due: due)
        }
        let u = try c.cached("UPDATE incidents SET state = 'resolved', updated_at = ?2, resolved_at = ?2 WHERE id = ?1")
        defer { u.reset() }
        u.bind(1, id)
        u.bind(2, at.nanoseconds)
        try u.run()
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: "eccd", action: "resolved", field: "state", old: old, new: "resolved",
            note: "alarm #\(a.id) cleared")
    }

    /// The raising event stored with an alarm.
    func storedOrigin(_ id: UInt64) -> Event? {
        guard let s = try? connection.cached("SELECT event FROM alarm_origins WHERE alarm_id = ?1") else { return nil }
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: id))
        guard (try? s.step()) == true else { return nil }
        return try? JSONEventDecoder.decodeEvent(s.text(0), receivedAt: .zero)
    }
}
