import EccCore

/// An incident: the work item opened for an alarm, with its owner, priority and SLA clocks.
package struct Incident: Sendable, Hashable {
    package var id: Int64
    package var state: IncidentState
    package var severity: Severity
    package var title: String
    package var host: String
    package var openedAt: EventTime
    package var updatedAt: EventTime
    package var resolvedAt: EventTime?
    /// 1 (P1, most urgent) to 5.
    package var priority: Int = 3
    /// The configuration item it is about.
    package var ci: String = ""
    package var assignmentGroup: String?
    /// Whoever acknowledged it first, until an explicit hand-over.
    package var owner: String?
    package var acknowledgedAt: EventTime?
    package var closedAt: EventTime?
    package var responseDue: EventTime?
    package var resolutionDue: EventTime?
    /// Near-breach was announced for the response / resolution target.
    package var responseWarned = false
    package var resolutionWarned = false
    package var responseBreached = false
    package var resolutionBreached = false
    package var reopenCount: Int64 = 0
    /// Closing needs a follow-up note (the CI or customer is flagged "follow-up required").
    package var followUpRequired = false
    package var followUpDone = false
    /// Its current alarm, as it stands now.
    package var alarm: Alarm

    /// True when either SLA target was missed.
    package var breached: Bool { responseBreached || resolutionBreached }

    package init(
        id: Int64, state: IncidentState, severity: Severity, title: String, host: String, openedAt: EventTime,
        updatedAt: EventTime, resolvedAt: EventTime? = nil, priority: Int = 3, ci: String = "",
        assignmentGroup: String? = nil, owner: String? = nil, acknowledgedAt: EventTime? = nil,
        closedAt: EventTime? = nil, responseDue: EventTime? = nil, resolutionDue: EventTime? = nil,
        responseWarned: Bool = false, resolutionWarned: Bool = false, responseBreached: Bool = false,
        resolutionBreached: Bool = false, reopenCount: Int64 = 0, followUpRequired: Bool = false,
        followUpDone: Bool = false, alarm: Alarm
    ) {
        self.id = id
        self.state = state
        self.severity = severity
        self.title = title
        self.host = host
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.resolvedAt = resolvedAt
        self.priority = priority
        self.ci = ci
        self.assignmentGroup = assignmentGroup
        self.owner = owner
        self.acknowledgedAt = acknowledgedAt
        self.closedAt = closedAt
        self.responseDue = responseDue
        self.resolutionDue = resolutionDue
        self.responseWarned = responseWarned
        self.resolutionWarned = resolutionWarned
        self.responseBreached = responseBreached
        self.resolutionBreached = resolutionBreached
        self.reopenCount = reopenCount
        self.followUpRequired = followUpRequired
        self.followUpDone = followUpDone
        self.alarm = alarm
    }
}

/// What a line of an incident's journal records (stored and shown as its raw value).
package enum JournalAction: String, Sendable, Hashable, Codable, CaseIterable {
    case opened, acknowledged, assigned, note, resolved, closed, reopened, priority
    /// The first acknowledgement took ownership.
    case owner
    case handedOver = "handed_over"
    /// Handed over by a supervisor, not by the owner.
    case handedOverByOverride = "handed_over (override)"
    case followUp = "follow_up"
    case inProgress = "in_progress"
    case symptomLinked = "symptom_linked"
    case symptomReleased = "symptom_released"
    case problemLinked = "problem_linked"
    case slaNearBreach = "sla_near_breach"
    case slaBreached = "sla_breached"
    /// Written by a newer eccd (or by hand): this version reads it but does not know it.
    case other

    package var isSLA: Bool { self == .slaBreached || self == .slaNearBreach }
}

/// One line of an incident's journal as stored: its sequence number and time, and what a transition
/// wrote (``JournalLine``: who changed what, from what to what, and why).
@dynamicMemberLookup
package struct JournalEntry: Sendable, Hashable {
    package var seq: Int64
    package var at: EventTime
    package var line: JournalLine
    /// The stored text of an action this version does not know (the line's action is then `other`).
    package var unknownAction: String?

    package init(seq: Int64, at: EventTime, _ line: JournalLine, unknownAction: String? = nil) {
        self.seq = seq
        self.at = at
        self.line = line
        self.unknownAction = unknownAction
    }

    /// The action as stored: its raw value, or the text this version does not know.
    package var actionText: String { unknownAction ?? line.action.rawValue }

    package subscript<T>(dynamicMember path: KeyPath<JournalLine, T>) -> T { line[keyPath: path] }
}

/// An incident with its timeline and its alarms.
package struct IncidentDetail: Sendable {
    package var incident: Incident
    package var journal: [JournalEntry]
    /// Every alarm linked to it: `alarm` (current), `reopen` (earlier alarms), `symptom`.
    package var alarms: [(role: IncidentAlarmRole, alarm: Alarm)]

    package init(
        incident: Incident, journal: [JournalEntry], alarms: [(role: IncidentAlarmRole, alarm: Alarm)]
    ) {
        self.incident = incident
        self.journal = journal
        self.alarms = alarms
    }
}
