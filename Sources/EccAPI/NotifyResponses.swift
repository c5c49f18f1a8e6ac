import EccCore

// The answers of `/v1/notify/...`, encoded by eccd and decoded by eccctl. Unlike incidents, a
// notification leaves out the keys that do not apply to it (`next_attempt`, `last_error`, …).

/// A message in the outbox: `GET /v1/notify/queue` (an array) and `POST /v1/notify/test` (with its
/// attempts).
public struct NotificationView: Codable, Sendable, Equatable {
    /// `ecc-<store id>-<row id>.<salt>`, the id an SMS gateway reports back.
    public var id: String
    public var receiver: String
    public var kind: NotificationKind
    public var route: String
    public var state: MessageState
    /// The alarms it is about.
    public var alarms: [UInt64]
    public var createdAt: String
    public var nextAttempt: String?
    public var attempts: Int
    public var lastError: String?
    public var sentAt: String?
    /// The digest that listed it (`digested`).
    public var digestRow: Int64?
    /// Why it was not sent (`skipped`), or why it failed without an attempt.
    public var reason: String?
    /// A skipped message's alarm, as the dispatcher encoded it.
    public var alarm: String?
    /// Its attempts and delivery reports, oldest first (only in the answer to a test).
    public var attemptLog: [AttemptView]?

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

    public init(
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
public struct AttemptView: Codable, Sendable, Equatable {
    public var at: String
    public var result: AttemptResult
    public var detail: String
    public var durationMs: Int64

    enum CodingKeys: String, CodingKey {
        case at, result, detail
        case durationMs = "duration_ms"
    }

    public init(at: String, result: AttemptResult, detail: String, durationMs: Int64) {
        self.at = at
        self.result = result
        self.detail = detail
        self.durationMs = durationMs
    }
}

/// A configured receiver: `GET /v1/notify/receivers` (an array).
public struct ReceiverView: Codable, Sendable, Equatable {
    public var name: String
    /// `email`, `sms` or `webhook`.
    public var channel: String
    /// Its rate limit, when it has one.
    public var ratePerMinute: Double?
    public var burst: Int?

    enum CodingKeys: String, CodingKey {
        case name, channel
        case ratePerMinute = "rate_per_minute"
        case burst
    }

    public init(name: String, channel: String, ratePerMinute: Double?, burst: Int?) {
        self.name = name
        self.channel = channel
        self.ratePerMinute = ratePerMinute
        self.burst = burst
    }
}
