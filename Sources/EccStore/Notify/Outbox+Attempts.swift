import EccCore
import EccIncidents

/// Attempts as the outbox records them: one attempt's row, and messages eccd sent without the outbox
/// (its own alarms, while the database may not be writable), recorded once final so that they are
/// listed like any other.
extension Outbox {
    /// One attempt's row.
    static func insertAttempt(
        _ c: Connection, _ rowID: Int64, _ outcome: AttemptOutcome, milliseconds: Int64, at: EventTime
    ) throws(StoreError) {
        let a = try c.cached(
            "INSERT INTO notification_attempts(notification_id, at, result, detail, duration_ms) VALUES(?1, ?2, ?3, ?4, ?5)"
        )
        defer { a.reset() }
        a.bind(1, rowID)
        a.bind(2, at.nanoseconds)
        a.bind(3, outcome.delivery.result)
        a.bind(4, outcome.delivery.detail)
        a.bind(5, milliseconds)
        try a.run()
    }

    /// One try of a message sent without the outbox (see ``recordSentAtOnce(_:id:attempts:progress:createdAt:)``).
    package struct Attempt: Sendable {
        package var at: EventTime
        package var outcome: AttemptOutcome
        package var milliseconds: Int64

        package init(at: EventTime, outcome: AttemptOutcome, milliseconds: Int64) {
            self.at = at
            self.outcome = outcome
            self.milliseconds = milliseconds
        }
    }

    /// Records a message that was sent without going through the outbox (eccd's own alarms, sent at once
    /// while the store may not be writable), in its final state with every attempt, so `eccctl notify`
    /// lists it like any other: `sent` when an attempt delivered it, else `failed`. `id` is the stable id it
    /// was sent with (the row's own differs), `progress` the pieces accepted. Returns the row id.
    @discardableResult
    package func recordSentAtOnce(
        _ m: NewMessage, id: String, attempts: [Attempt], progress: [String], createdAt: EventTime
    ) throws(StoreError) -> Int64 {
        func delivered(_ a: Attempt) -> Bool { a.outcome.delivery.result == .delivered }
        return try tx { (c) throws(StoreError) -> Int64 in
            let row = try Self.insert(c, m, at: createdAt)
            for a in attempts { try Self.insertAttempt(c, row, a.outcome, milliseconds: a.milliseconds, at: a.at) }
            let sent = attempts.last(where: delivered)
            let u = try c.cached(
                """
                UPDATE notifications SET state = ?2, attempts = ?3, next_attempt = NULL, last_error = ?4, sent_at = ?5,
                    reason = ?6, progress = ?7 WHERE id = ?1
                """)
            defer { u.reset() }
            u.bind(1, row)
            u.bind(2, sent == nil ? MessageState.failed : .sent)
            u.bind(3, Int64(attempts.count))
            u.bind(4, attempts.last { !delivered($0) }?.outcome.delivery.detail)
            u.bind(5, sent?.at.nanoseconds)
            u.bind(6, "eccd's own alarm: sent at once as \(id), not through the outbox")
            u.bind(7, progress.joined(separator: "\u{1F}"))
            try u.run()
            return row
        }
    }
}
