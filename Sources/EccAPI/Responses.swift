import EccCore

// The answers of the API's alarm and incident routes, shared by eccd (which encodes them, except the
// alarm lists and the live stream, written by hand for speed and checked against `AlarmView` by a test)
// and eccctl (which decodes them). Times are RFC 3339 text as eccd writes them; an optional field is
// written as null when it has no value, so the key is there for scripts (`jq`), except the few an
// alarm carries only when they apply (`suppressed_by`, `cause`, `flapping`, `members`).

/// An alarm: `GET /v1/alarms` (an array), inside incidents, `GET /v1/alarms/{id}/why`.
package struct AlarmView: Codable, Sendable, Equatable {
    package var id: UInt64
    package var rule: String
    package var key: String
    package var state: AlarmState
    /// ``Severity/name``.
    package var severity: String
    package var summary: String
    package var source: String
    package var host: String
    package var type: String
    package var firstSeen: String
    package var lastSeen: String
    package var count: Int64
    package var clearedAt: String?
    /// Why it is not notified (maintenance, a root cause, an inhibiting alarm); left out when it is.
    package var suppressedBy: String?
    /// The alarm that causes it, for a symptom; left out otherwise.
    package var cause: UInt64?
    /// Present (true) only while it flaps.
    package var flapping: Bool?
    /// A group alarm's members' keys; left out for others.
    package var members: [String]?

    enum CodingKeys: String, CodingKey {
        case id, rule, key, state, severity, summary, source, host, type
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case count
        case clearedAt = "cleared_at"
        case suppressedBy = "suppressed_by"
        case cause, flapping, members
    }

    /// The view of `a`, as eccd writes it.
    package init(_ a: Alarm) {
        id = a.id
        rule = a.rule
        key = a.key
        state = a.state
        severity = a.severity.name
        summary = a.summary
        source = a.source
        host = a.host
        type = a.type
        firstSeen = a.firstSeen.description
        lastSeen = a.lastSeen.description
        count = a.count
        clearedAt = a.clearedAt?.description
        suppressedBy = a.suppression?.description
        cause = a.suppression?.cause
        flapping = a.flapping ? true : nil
        members = a.members.isEmpty ? nil : a.members
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(rule, forKey: .rule)
        try c.encode(key, forKey: .key)
        try c.encode(state, forKey: .state)
        try c.encode(severity, forKey: .severity)
        try c.encode(summary, forKey: .summary)
        try c.encode(source, forKey: .source)
        try c.encode(host, forKey: .host)
        try c.encode(type, forKey: .type)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encode(lastSeen, forKey: .lastSeen)
        try c.encode(count, forKey: .count)
        try c.encode(clearedAt, forKey: .clearedAt)
        try c.encodeIfPresent(suppressedBy, forKey: .suppressedBy)
        try c.encodeIfPresent(cause, forKey: .cause)
        try c.encodeIfPresent(flapping, forKey: .flapping)
        try c.encodeIfPresent(members, forKey: .members)
    }
}

/// An incident with its current alarm: `GET /v1/incidents` (an array) and the answer to every action.
package struct IncidentView: Codable, Sendable, Equatable {
    package var id: Int64
    package var state: IncidentState
    /// `P1` (most urgent) to `P5`.
    package var priority: String
    package var severity: String
    package var title: String
    package var host: String
    package var ci: String
    package var assignmentGroup: String?
    package var owner: String?
    package var openedAt: String
    package var updatedAt: String
    package var acknowledgedAt: String?
    package var resolvedAt: String?
    package var closedAt: String?
    package var responseDue: String?
    package var resolutionDue: String?
    package var responseBreached: Bool
    package var resolutionBreached: Bool
    package var reopenCount: Int64
    package var followUpRequired: Bool
    package var followUpDone: Bool
    package var alarm: AlarmView

    package init(
        id: Int64, state: IncidentState, priority: String, severity: String, title: String, host: String, ci: String,
        assignmentGroup: String?, owner: String?, openedAt: String, updatedAt: String, acknowledgedAt: String?,
        resolvedAt: String?, closedAt: String?, responseDue: String?, resolutionDue: String?, responseBreached: Bool,
        resolutionBreached: Bool, reopenCount: Int64, followUpRequired: Bool, followUpDone: Bool, alarm: AlarmView
    ) {
        self.id = id
        self.state = state
        self.priority = priority
        self.severity = severity
        self.title = title
        self.host = host
        self.ci = ci
        self.assignmentGroup = assignmentGroup
        self.owner = owner
        self.openedAt = openedAt
        self.updatedAt = updatedAt
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
        self.closedAt = closedAt
        self.responseDue = responseDue
        self.resolutionDue = resolutionDue
        self.responseBreached = responseBreached
        self.resolutionBreached = resolutionBreached
        self.reopenCount = reopenCount
        self.followUpRequired = followUpRequired
        self.followUpDone = followUpDone
        self.alarm = alarm
    }

    /// True when either SLA target was missed.
    package var breached: Bool { responseBreached || resolutionBreached }

    enum CodingKeys: String, CodingKey {
        case id, state, priority, severity, title, host, ci
        case assignmentGroup = "assignment_group"
        case owner
        case openedAt = "opened_at"
        case updatedAt = "updated_at"
        case acknowledgedAt = "acknowledged_at"
        case resolvedAt = "resolved_at"
        case closedAt = "closed_at"
        case responseDue = "response_due"
        case resolutionDue = "resolution_due"
        case responseBreached = "response_breached"
        case resolutionBreached = "resolution_breached"
        case reopenCount = "reopen_count"
        case followUpRequired = "follow_up_required"
        case followUpDone = "follow_up_done"
        case alarm
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(state, forKey: .state)
        try c.encode(priority, forKey: .priority)
        try c.encode(severity, forKey: .severity)
        try c.encode(title, forKey: .title)
        try c.encode(host, forKey: .host)
        try c.encode(ci, forKey: .ci)
        try c.encode(assignmentGroup, forKey: .assignmentGroup)
        try c.encode(owner, forKey: .owner)
        try c.encode(openedAt, forKey: .openedAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(acknowledgedAt, forKey: .acknowledgedAt)
        try c.encode(resolvedAt, forKey: .resolvedAt)
        try c.encode(closedAt, forKey: .closedAt)
        try c.encode(responseDue, forKey: .responseDue)
        try c.encode(resolutionDue, forKey: .resolutionDue)
        try c.encode(responseBreached, forKey: .responseBreached)
        try c.encode(resolutionBreached, forKey: .resolutionBreached)
        try c.encode(reopenCount, forKey: .reopenCount)
        try c.encode(followUpRequired, forKey: .followUpRequired)
        try c.encode(followUpDone, forKey: .followUpDone)
        try c.encode(alarm, forKey: .alarm)
    }
}

/// One line of an incident's journal: who changed what, when, from what to what, and why.
package struct JournalEntryView: Codable, Sendable, Equatable {
    package var seq: Int64
    package var at: String
    package var actor: String
    /// `opened`, `acknowledged`, `assigned`, `handed_over`, `note`, `follow_up`, `resolved`, `closed`,
    /// `reopened`, `priority`, `symptom_linked`, `sla_near_breach`, `sla_breached`.
    package var action: String
    package var field: String?
    package var old: String?
    package var new: String?
    package var note: String?

    package init(
        seq: Int64, at: String, actor: String, action: String, field: String?, old: String?, new: String?,
        note: String?
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.field = field
        self.old = old
        self.new = new
        self.note = note
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(at, forKey: .at)
        try c.encode(actor, forKey: .actor)
        try c.encode(action, forKey: .action)
        try c.encode(field, forKey: .field)
        try c.encode(old, forKey: .old)
        try c.encode(new, forKey: .new)
        try c.encode(note, forKey: .note)
    }
}

/// A fix suggested for an incident: a knowledge article or a known error's workaround.
package struct SuggestionView: Codable, Sendable, Equatable {
    package var kind: SuggestionKind
    package var id: Int64
    package var title: String
    /// The article's body or the known error's workaround.
    package var text: String
    /// `rule interface-down`, `ci core1`, `text "optic"`.
    package var matchedBy: String

    package init(kind: SuggestionKind, id: Int64, title: String, text: String, matchedBy: String) {
        self.kind = kind
        self.id = id
        self.title = title
        self.text = text
        self.matchedBy = matchedBy
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, title, text
        case matchedBy = "matched_by"
    }
}

/// `GET /v1/incidents/{id}`: the incident, its timeline, its alarms (with their role), the fixes
/// suggested for it and the problems it is linked to.
package struct IncidentDetailView: Codable, Sendable, Equatable {
    /// One of the incident's alarms: `alarm` (its current one), `reopen` (earlier ones) or `symptom`.
    package struct LinkedAlarm: Codable, Sendable, Equatable {
        package var role: IncidentAlarmRole
        package var alarm: AlarmView
        package init(role: IncidentAlarmRole, alarm: AlarmView) {
            self.role = role
            self.alarm = alarm
        }
    }

    package var suggestions: [SuggestionView]
    package var problems: [Int64]
    package var incident: IncidentView
    package var journal: [JournalEntryView]
    package var alarms: [LinkedAlarm]

    package init(
        suggestions: [SuggestionView], problems: [Int64], incident: IncidentView, journal: [JournalEntryView],
        alarms: [LinkedAlarm]
    ) {
        self.suggestions = suggestions
        self.problems = problems
        self.incident = incident
        self.journal = journal
        self.alarms = alarms
    }
}

/// `GET /v1/alarms/{id}/why`: the alarm, the routes it notified, and the trace of the engine's decisions.
package struct AlarmWhyView: Codable, Sendable, Equatable {
    package var alarm: AlarmView
    package var notify: [String]
    package var trace: [String]
    package init(alarm: AlarmView, notify: [String], trace: [String]) {
        self.alarm = alarm
        self.notify = notify
        self.trace = trace
    }
}
