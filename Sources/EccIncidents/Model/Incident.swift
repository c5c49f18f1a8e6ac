import EccCore

/// An incident: the work item opened for an alarm, with its owner, priority and SLA clocks.
public struct Incident: Sendable, Hashable {
    public var id: Int64
    public var state: IncidentState
    public var severity: Severity
    public var title: String
    public var host: String
    public var openedAt: EventTime
    public var updatedAt: EventTime
    public var resolvedAt: EventTime?
    /// 1 (P1, most urgent) to 5.
    public var priority: Int = 3
    /// The configuration item it is about.
    public var ci: String = ""
    public var assignmentGroup: String?
    /// Whoever acknowledged it first, until an explicit hand-over.
    public var owner: String?
    public var acknowledgedAt: EventTime?
    public var closedAt: EventTime?
    public var responseDue: EventTime?
    public var resolutionDue: EventTime?
    /// Near-breach was announced for the response / resolution target.
    public var responseWarned = false
    public var resolutionWarned = false
    public var responseBreached = false
    public var resolutionBreached = false
    public var reopenCount: Int64 = 0
    /// Closing needs a follow-up note (the CI or customer is flagged "follow-up required").
    public var followUpRequired = false
    public var followUpDone = false
    /// Its current alarm, as it stands now.
    public var alarm: Alarm

    /// True when either SLA target was missed.
    public var breached: Bool { responseBreached || resolutionBreached }

    public init(
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
public enum JournalAction: String, Sendable, Hashable, Codable, CaseIterable {
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

    public var isSLA: Bool { self == .slaBreached || self == .slaNearBreach }
}

/// One line of an incident's journal as stored: its sequence number and time, and what a transition
/// wrote (``JournalLine``: who changed what, from what to what, and why).
@dynamicMemberLookup
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int64
    public var at: EventTime
    public var line: JournalLine

    public init(seq: Int64, at: EventTime, _ line: JournalLine) {
        self.seq = seq
        self.at = at
        self.line = line
    }

    public subscript<T>(dynamicMember path: KeyPath<JournalLine, T>) -> T { line[keyPath: path] }
}

/// An incident with its timeline and its alarms.
public struct IncidentDetail: Sendable {
    public var incident: Incident
    public var journal: [JournalEntry]
    /// Every alarm linked to it: `alarm` (current), `reopen` (earlier alarms), `symptom`.
    public var alarms: [(role: IncidentAlarmRole, alarm: Alarm)]

    public init(
        incident: Incident, journal: [JournalEntry], alarms: [(role: IncidentAlarmRole, alarm: Alarm)]
    ) {
        self.incident = incident
        self.journal = journal
        self.alarms = alarms
    }
}
