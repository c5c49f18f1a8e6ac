import EccCore

// The answers of `/v1/notify/...`, encoded by eccd and decoded by eccctl. Unlike incidents, a
// notification leaves out the keys that do not apply to it (`next_attempt`, `last_error`, …).

/// A message in the outbox: `GET /v1/notify/queue` (an array) and `POST /v1/notify/test` (with its
/// attempts).
package struct NotificationView: Codable, Sendable, Equatable {
    /// `ecc-<store id>-<row id>.<salt>`, the id an SMS gateway reports back.
    package var id: String
    package var receiver: String
    package var kind: NotificationKind
    package var route: String
    package var state: MessageState
    /// The alarms it is about.
    package var alarms: [UInt64]
    package var createdAt: String
    package var nextAttempt: String?
    package var attempts: Int
    package var lastError: String?
    package var sentAt: String?
    /// The digest that listed it (`digested`).
    package var digestRow: Int64?
    /// Why it was not sent (`skipped`), or why it failed without an attempt.
    package var reason: String?
    /// A skipped message's alarm, as the dispatcher encoded it.
    package var alarm: String?
    /// Its attempts and delivery reports, oldest first (only in the answer to a test).
    package var attemptLog: [AttemptView]?

    enum CodingKeys: String, CodingKey {
        case id, receiver, kind, route, state, alarms
        case createdAt = "created_at"
        case nextAttempt = "next_attempt"
        case attempts
        case lastError = "last_error"
        case sentAt = "sent_at"
        case digestRow = "digest_row"
        case reason, alarm
        case attemptLog = "attempt_log"
    }

    package init(
        id: String, receiver: String, kind: NotificationKind, route: String, state: MessageState, alarms: [UInt64],
        createdAt: String, nextAttempt: String?, attempts: Int, lastError: String?, sentAt: String?,
        digestRow: Int64?, reason: String?, alarm: String?, attemptLog: [AttemptView]?
    ) {
        self.id = id
        self.receiver = receiver
        self.kind = kind
        self.route = route
        self.state = state
        self.alarms = alarms
        self.createdAt = createdAt
        self.nextAttempt = nextAttempt
        self.attempts = attempts
        self.lastError = lastError
        self.sentAt = sentAt
        self.digestRow = digestRow
        self.reason = reason
        self.alarm = alarm
        self.attemptLog = attemptLog
    }
}

/// One delivery attempt (or delivery report) of a notification.
package struct AttemptView: Codable, Sendable, Equatable {
    package var at: String
    package var result: AttemptResult
    package var detail: String
    package var durationMs: Int64

    enum CodingKeys: String, CodingKey {
        case at, result, detail
        case durationMs = "duration_ms"
    }

    package init(at: String, result: AttemptResult, detail: String, durationMs: Int64) {
        self.at = at
        self.result = result
        self.detail = detail
        self.durationMs = durationMs
    }
}

/// A configured receiver: `GET /v1/notify/receivers` (an array).
package struct ReceiverView: Codable, Sendable, Equatable {
    package var name: String
    /// `email`, `sms` or `webhook`.
    package var channel: String
    /// Its rate limit, when it has one.
    package var ratePerMinute: Double?
    package var burst: Int?

    enum CodingKeys: String, CodingKey {
        case name, channel
        case ratePerMinute = "rate_per_minute"
        case burst
    }

    package init(name: String, channel: String, ratePerMinute: Double?, burst: Int?) {
        self.name = name
        self.channel = channel
        self.ratePerMinute = ratePerMinute
        self.burst = burst
    }
}
