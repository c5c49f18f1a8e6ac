/// Where an incident stands. New → Acknowledged → In progress → Resolved → Closed; a resolved or closed
/// incident can be reopened (by an operator, or by its alarm returning within the reopen window).
package enum IncidentState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case new
    case acknowledged
    case inProgress = "in_progress"
    case resolved
    case closed

    /// Still someone's work: not resolved or closed.
    package var isOpen: Bool { self == .new || self == .acknowledged || self == .inProgress }

    /// As stored and shown: `in_progress`, not the case's name.
    package var description: String { rawValue }
}

/// How an alarm is linked to an incident (stored as the raw value).
package enum IncidentAlarmRole: String, Sendable, Hashable, Codable, CaseIterable {
    /// Its current alarm.
    case alarm
    /// An earlier alarm of the incident, before it was reopened by the alarm's return.
    case reopen
    /// A symptom of the incident's root cause, linked instead of getting an incident of its own.
    case symptom
}
