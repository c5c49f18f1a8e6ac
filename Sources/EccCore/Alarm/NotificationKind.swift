/// Why a notification goes out: the kind of a message in the outbox and of the content a channel
/// renders (stored as its raw value in both).
public enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Alarms of a group started (or joined it): the first message of a group after `group_wait`, and
    /// later ones every `group_interval` while alarms are added.
    case firing
    /// Alarms of a group cleared (routes with `send_resolved`).
    case resolved
    /// A group's alarms are still active after `repeat_interval`.
    case `repeat`
    /// A step of an escalation policy: the alarm is still unacknowledged.
    case escalation
    /// The receiver's rate limit was exceeded: one message listing what was held back.
    case digest
    /// `eccctl notify test RECEIVER`.
    case test
}
