import EccCore

/// A notification group that is due: its route, `group_by` values and alarms.
package struct OutboxGroup: Sendable {
    package var id: Int64
    package var route: String
    package var labels: [String: String]
    /// Every firing alarm of the group (the message lists them all).
    package var firing: [AlarmInfo]
    /// True when some firing alarm is new or changed since the group's last message.
    package var changed: Bool
    /// Alarms that cleared since the last message (routes with `send_resolved`).
    package var resolved: [AlarmInfo]
}

/// An escalation whose next step is due.
package struct OutboxEscalation: Sendable {
    package var id: Int64
    package var alarmID: UInt64
    package var incidentID: Int64?
    package var policy: String
    package var route: String
    package var startedAt: EventTime
    /// The index of the step that is due (0-based).
    package var step: Int
    /// The alarm now (nil when it is gone: pruned).
    package var alarm: AlarmInfo?
    /// The state of the incident whose acknowledgement stops the escalation.
    package var incidentState: IncidentState?
    /// When that incident was (last) acknowledged.
    package var incidentAcknowledgedAt: EventTime?
}

/// A message to add to the outbox.
package struct NewMessage: Sendable {
    package var receiver: String
    package var kind: NotificationKind
    package var route: String
    package var alarmIDs: [UInt64]
    /// What the message says, as JSON (the dispatcher's encoding of its content).
    package var content: String

    package init(receiver: String, kind: NotificationKind, route: String, alarmIDs: [UInt64], content: String) {
        self.receiver = receiver
        self.kind = kind
        self.route = route
        self.alarmIDs = alarmIDs
        self.content = content
    }
}

/// A message in the outbox.
package struct OutboxMessage: Sendable, Hashable {
    package var rowID: Int64
    /// The stable id: `ecc-<store id>-<row id>.<salt>`.
    package var uid: String
    package var receiver: String
    package var kind: NotificationKind
    package var route: String
    package var alarmIDs: [UInt64]
    package var content: String
    package var state: MessageState
    package var createdAt: EventTime
    package var nextAttempt: EventTime?
    package var attempts: Int
    package var lastError: String?
    package var sentAt: EventTime?
    package var digestID: Int64?
    package var reason: String?
    /// Pieces accepted by earlier attempts (SMS parts per number), skipped by the next.
    package var progress: [String] = []
}

/// One delivery attempt of a message.
package struct OutboxAttempt: Sendable, Hashable {
    package var at: EventTime
    package var result: AttemptResult
    package var detail: String
    package var durationMilliseconds: Int64
}

/// How a delivery attempt ended, as the outbox records it.
package struct AttemptOutcome: Sendable, Hashable {
    /// What the channel said.
    package var delivery: DeliveryResult
    /// A temporary failure is tried again then (nil: given up, the message failed).
    package var retryAt: EventTime?

    package init(_ delivery: DeliveryResult, retryAt: EventTime? = nil) {
        self.delivery = delivery
        self.retryAt = delivery.result == .temporary ? retryAt : nil
    }

    /// The state the attempt leaves its message in (`retrying` until ``retryAt``).
    var state: MessageState {
        switch delivery {
        case .delivered: .sent
        case .temporary: retryAt == nil ? .failed : .retrying
        case .permanent: .failed
        }
    }
}
