import EccAPI
import EccCore

// Outbox messages as EccAPI's answers: the one place where that shape meets the outbox.

extension NotificationView {
    /// The view of `m`; `attempts` (for a test's answer) become its `attempt_log`.
    package init(_ m: OutboxMessage, attempts: [OutboxAttempt]? = nil) {
        self.init(
            id: m.uid, receiver: m.receiver, kind: m.kind, route: m.route, state: m.state, alarms: m.alarmIDs,
            createdAt: RFC3339.format(m.createdAt), nextAttempt: m.nextAttempt.map(RFC3339.format),
            attempts: m.attempts, lastError: m.lastError, sentAt: m.sentAt.map(RFC3339.format), digestRow: m.digestID,
            reason: m.reason, alarm: m.state == .skipped ? m.content : nil,
            attemptLog: attempts?.map {
                AttemptView(
                    at: RFC3339.format($0.at), result: $0.result, detail: $0.detail, durationMs: $0.durationMilliseconds
                )
            })
    }
}
