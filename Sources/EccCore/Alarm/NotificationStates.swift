/// Why a notification goes out: the kind of a message in the outbox and of the content a channel
/// renders (stored as its raw value in both).
package enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
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

/// Where a message stands in the outbox (stored as the raw value).
package enum MessageState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its first attempt.
    case pending
    /// An attempt failed for a reason worth retrying; the next is due at `next_attempt`.
    case retrying
    /// Held back by the receiver's rate limit, for the next digest.
    case held
    /// Given up: a permanent error, or the retries ran out.
    case failed
    /// A server accepted it.
    case sent
    /// Listed in a digest instead of being sent on its own.
    case digested
    /// Never sent: an alarm that notifies no one, with the reason.
    case skipped
}

/// How one delivery attempt ended (stored as the raw value).
package enum AttemptResult: String, Sendable, Hashable, Codable, CaseIterable {
    case delivered
    /// Worth retrying.
    case temporary
    /// Retrying cannot help.
    case permanent
    /// Not an attempt: a delivery report (Kannel's dlr-url) for the message, recorded beside its attempts.
    case report
}

/// How one delivery attempt ended, as a channel says (the outbox records it as an ``AttemptResult`` and
/// its detail).
package enum DeliveryResult: Sendable, Hashable {
    /// The server accepted the message; `detail` is what it said (SMTP reply, HTTP status and body start).
    case delivered(detail: String)
    /// Worth retrying: connection refused or reset, timeout, SMTP 4xx, HTTP 5xx/429, Kannel "queued" errors.
    case temporary(String)
    /// Retrying cannot help: SMTP 5xx, an invalid address, HTTP 4xx, a gateway rejecting the message.
    case permanent(String)
}

extension DeliveryResult {
    /// The result as the outbox records it.
    package var result: AttemptResult {
        switch self {
        case .delivered: .delivered
        case .temporary: .temporary
        case .permanent: .permanent
        }
    }

    /// What the server said, or why it failed.
    package var detail: String {
        switch self {
        case .delivered(let d), .temporary(let d), .permanent(let d): d
        }
    }
}
