import EccCore

/// The transitions an incident's alarm causes (actor `eccd`), in the store writer's transaction for the
/// alarm change: opened for a raised alarm, resolved when it clears, re-prioritised when its severity
/// changes, reopened when it returns within the reopen window.
extension IncidentLifecycle {
    /// What a new incident for alarm `a` starts with: its priority (from the severity and the CI's
    /// criticality), SLA deadlines, and the `opened` journal line.
    package static func opening(
        for a: Alarm, _ cls: IncidentClassification, policy: IncidentPolicy, at now: EventTime
    ) -> (priority: Int, response: EventTime?, resolution: EventTime?, journal: JournalLine) {
        let priority = IncidentPolicy.priority(severity: a.severity, criticality: cls.criticality)
        let due = policy.deadlines(priority: priority, opened: now)
        let line = JournalLine(
            actor: "eccd", action: .opened, field: "state", new: IncidentState.new.rawValue,
            note:
                "P\(priority): \(a.severity.name) alarm #\(a.id) on \(cls.ci) (criticality \(cls.criticality.rawValue))"
                + (cls.followUp ? "; follow-up required" : ""))
        return (priority, due.response, due.resolution, line)
    }

    /// The alarm cleared: an open incident is resolved; a resolution target it missed unseen is marked
    /// now. Nil when the incident is not open.
    package static func alarmCleared(_ incident: Incident, at now: EventTime) -> IncidentTransition? {
        guard incident.state.isOpen else { return nil }
        var i = incident
        var effects = SLAClock.markIfMissed(&i, .resolution, at: now)
        effects.append(
            .journal(
                JournalLine(
                    actor: "eccd", action: .resolved, field: "state", old: i.state.rawValue,
                    new: IncidentState.resolved.rawValue, note: "alarm #\(i.alarm.id) cleared")))
        i.state = .resolved
        i.resolvedAt = now
        i.updatedAt = now
        return IncidentTransition(incident: i, effects: effects)
    }

    /// The alarm's severity changed (escalation): an open incident's severity and priority follow, the
    /// priority journalled when it moves. Nil when nothing changes.
    package static func severityChanged(
        _ incident: Incident, to severity: Severity, priority: Int, at now: EventTime
    ) -> IncidentTransition? {
        guard incident.state.isOpen, incident.severity != severity else { return nil }
        var i = incident
        var effects: [IncidentEffect] = []
        if priority != i.priority {
            effects.append(
                .journal(
                    JournalLine(
                        actor: "eccd", action: .priority, field: "priority", old: "P\(i.priority)",
                        new: "P\(priority)",
                        note: "alarm #\(i.alarm.id) is now \(severity.name)")))
        }
        i.severity = severity
        i.priority = priority
        i.updatedAt = now
        return IncidentTransition(incident: i, effects: effects)
    }

    /// A resolved incident's alarm returned as `alarm` within the reopen window: the same incident is
    /// reopened with it (its SLA clocks keep running from the first opening; its owner keeps it, in
    /// progress).
    package static func alarmReturned(_ incident: Incident, as alarm: Alarm, at now: EventTime) -> IncidentTransition {
        var i = incident
        let state: IncidentState = i.owner == nil ? .new : .inProgress
        let line = JournalLine(
            actor: "eccd", action: .reopened, field: "state", old: i.state.rawValue, new: state.rawValue,
            note: "alarm returned as #\(alarm.id) within the reopen window")
        i.state = state
        i.alarm = alarm
        i.severity = alarm.severity
        i.title = alarm.summary
        i.resolvedAt = nil
        i.reopenCount += 1
        i.updatedAt = now
        return IncidentTransition(incident: i, effects: [.journal(line)])
    }
}
