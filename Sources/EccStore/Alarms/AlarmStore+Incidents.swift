import EccCore
import EccIncidents

/// Incidents driven by alarm changes, in the same transaction as the change: opened for a raised (or
/// released) alarm, reopened when a resolved incident's alarm returns within the reopen window, linked
/// with the symptoms of its root cause, re-prioritised when the alarm's severity changes, resolved when
/// the alarm clears. Every step is journalled (actor `eccd`).
extension AlarmStore {
    /// A new (`isNew`: just raised, so linked to nothing yet) or released alarm that is not suppressed.
    func openIncident(for a: Alarm, origin: Event?, at: EventTime, isNew: Bool = false) throws(StoreError) {
        let c = connection
        var linked: (Int64, IncidentAlarmRole)?
        if !isNew {
            let existing = try c.cached("SELECT incident_id, role FROM incident_alarms WHERE alarm_id = ?1")
            existing.bind(1, Int64(bitPattern: a.id))
            linked = try existing.step() ? (existing.int(0), existing.value(1, unknown: IncidentAlarmRole.alarm)) : nil
            existing.reset()
        }
        // A symptom released while its root cause's incident is over is a problem of its own now.
        var releasedFrom: Int64?
        if let (incident, role) = linked {
            guard role == .symptom else { return }
            releasedFrom = incident
        }
        let cls = policy.classify(a, origin ?? storedOrigin(a.id))
        guard cls.opensIncident else { return }
        if let old = releasedFrom {
            let unlink = try c.cached("DELETE FROM incident_alarms WHERE alarm_id = ?1")
            unlink.bind(1, Int64(bitPattern: a.id))
            try unlink.run()
            try IncidentRecords.journal(
                c, incident: old, at: at, actor: "eccd", action: .symptomReleased,
                note: "alarm #\(a.id) outlived its root cause and gets an incident of its own")
        }
        if try reopenIncident(for: a, at: at) { return }
        let opening = IncidentLifecycle.opening(for: a, cls, policy: policy, at: at)
        let s = try c.cached(
            """
            INSERT INTO incidents(alarm_id, state, severity, title, host, opened_at, updated_at, priority, ci,
                response_due, resolution_due, follow_up_required, rule, alarm_key)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """)
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: a.id))
        s.bind(2, IncidentState.new)
        s.bind(3, a.severity.name)
        s.bind(4, a.summary)
        s.bind(5, a.host)
        s.bind(6, at.nanoseconds)
        s.bind(7, Int64(opening.priority))
        s.bind(8, cls.ci)
        s.bind(9, opening.response?.nanoseconds)
        s.bind(10, opening.resolution?.nanoseconds)
        s.bind(11, Int64(cls.followUp ? 1 : 0))
        s.bind(12, a.rule)
        s.bind(13, a.key)
        try s.run()
        let id = c.lastInsertRowID
        try IncidentRecords.link(c, incident: id, alarm: a.id, role: .alarm)
        try IncidentRecords.journal(c, incident: id, at: at, opening.journal)
    }

    /// The alarm of a recently resolved incident returned: the same incident is reopened
    /// (``IncidentLifecycle/alarmReturned(_:as:at:)``). Returns false when there is none to reopen.
    private func reopenIncident(for a: Alarm, at: EventTime) throws(StoreError) -> Bool {
        let c = connection
        let find = try c.cached(Self.resolvedIncidentOfKey)
        find.bind(1, a.rule)
        find.bind(2, a.key)
        find.bind(3, at.nanoseconds &- policy.reopenWindow)
        let found = try find.step() ? IncidentRecords.read(find) : nil
        find.reset()
        guard let before = found else { return false }
        let t = IncidentLifecycle.alarmReturned(before, as: a, at: at)
        let relink = try c.cached(
            text: "UPDATE incident_alarms SET role = '\(IncidentAlarmRole.reopen.rawValue)' WHERE alarm_id = ?1")
        defer { relink.reset() }
        relink.bind(1, Int64(bitPattern: before.alarm.id))
        try relink.run()
        try IncidentRecords.link(c, incident: before.id, alarm: a.id, role: .alarm)
        try IncidentRecords.apply(c, before: before, t, at: at)
        return true
    }

    /// Asked on every raise; composed once (the statement cache finds it by identity).
    private static let resolvedIncidentOfKey = SQL(
        IncidentRecords.select(
            where: """
                i.rule = ?1 AND i.alarm_key = ?2 AND i.state = 'resolved' AND i.resolved_at >= ?3
                ORDER BY i.resolved_at DESC LIMIT 1
                """))

    /// The open incident whose current alarm is `alarm`, if any (with `alarm` as it is now).
    private func openIncident(ofAlarm alarm: Alarm) throws(StoreError) -> Incident? {
        let find = try connection.cached(Self.openIncidentOfAlarm)
        defer { find.reset() }
        find.bind(1, Int64(bitPattern: alarm.id))
        return try find.step() ? IncidentRecords.read(find, alarm: alarm) : nil
    }

    private static let openIncidentOfAlarm = SQL(
        IncidentRecords.selectWithoutAlarm(
            where: "i.alarm_id = ?1 AND i.state IN ('new', 'acknowledged', 'in_progress')"))

    /// A symptom (suppressed by a root cause) is linked to the root cause's incident.
    func linkSymptom(_ a: Alarm, at: EventTime) throws(StoreError) {
        guard let s = a.suppression, s.reason == .symptom, let cause = s.cause else { return }
        let c = connection
        let find = try c.cached("SELECT incident_id FROM incident_alarms WHERE alarm_id = ?1")
        defer { find.reset() }
        find.bind(1, Int64(bitPattern: cause))
        guard try find.step() else { return }
        let id = find.int(0)
        try IncidentRecords.link(c, incident: id, alarm: a.id, role: .symptom)
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: "eccd", action: .symptomLinked,
            note: "alarm #\(a.id) (\(a.rule) [\(a.key)]) is a symptom of #\(cause)")
    }

    /// The alarm's severity changed (escalation): its open incident's priority follows
    /// (``IncidentLifecycle/severityChanged(_:to:priority:at:)``).
    func updateIncidentSeverity(_ a: Alarm, at: EventTime) throws(StoreError) {
        guard let before = try openIncident(ofAlarm: a), before.severity != a.severity else { return }
        let cls = policy.classify(a, storedOrigin(a.id))
        let priority = IncidentPolicy.priority(severity: a.severity, criticality: cls.criticality)
        guard let t = IncidentLifecycle.severityChanged(before, to: a.severity, priority: priority, at: at) else {
            return
        }
        try IncidentRecords.apply(connection, before: before, t, at: at)
    }

    /// The alarm cleared: its open incident is resolved (``IncidentLifecycle/alarmCleared(_:at:)``).
    func resolveIncident(for a: Alarm, at: EventTime) throws(StoreError) {
        guard let before = try openIncident(ofAlarm: a), let t = IncidentLifecycle.alarmCleared(before, at: at)
        else { return }
        try IncidentRecords.apply(connection, before: before, t, at: at)
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
