import EccCore

/// A notification group that is due: its route, `group_by` values and alarms.
public struct OutboxGroup: Sendable {
    public var id: Int64
    public var route: String
    public var labels: [String: String]
    /// Every firing alarm of the group (the message lists them all).
    public var firing: [AlarmInfo]
    /// True when some firing alarm is new or changed since the group's last message.
    public var changed: Bool
    /// Alarms that cleared since the last message (routes with `send_resolved`).
    public var resolved: [AlarmInfo]
}

/// An escalation whose next step is due.
public struct OutboxEscalation: Sendable {
    public var id: Int64
    public var alarmID: UInt64
    public var incidentID: Int64?
    public var policy: String
    public var route: String
    public var startedAt: EventTime
    /// The index of the step that is due (0-based).
    public var step: Int
    /// The alarm now (nil when it is gone: pruned).
    public var alarm: AlarmInfo?
    /// The state of the incident whose acknowledgement stops the escalation.
    public var incidentState: IncidentState?
    /// When that incident was (last) acknowledged.
    public var incidentAcknowledgedAt: EventTime?
}

/// A message to add to the outbox.
public struct NewMessage: Sendable {
    public var receiver: String
    public var kind: NotificationKind
    public var route: String
    public var alarmIDs: [UInt64]
    /// What the message says, as JSON (the dispatcher's encoding of its content).
    public var content: String

    public init(receiver: String, kind: NotificationKind, route: String, alarmIDs: [UInt64], content: String) {
        self.receiver = receiver
        self.kind = kind
        self.route = route
        self.alarmIDs = alarmIDs
        self.content = content
    }
}

/// A message in the outbox.
public struct OutboxMessage: Sendable, Hashable {
    public var rowID: Int64
    /// The stable id: `ecc-<store id>-<row id>.<salt>`.
    public var uid: String
    public var receiver: String
    public var kind: NotificationKind
    public var route: String
    public var alarmIDs: [UInt64]
    public var content: String
    public var state: MessageState
    public var createdAt: EventTime
    public var nextAttempt: EventTime?
    public var attempts: Int
    public var lastError: String?
    public var sentAt: EventTime?
    public var digestID: Int64?
    public var reason: String?
    /// Pieces accepted by earlier attempts (SMS parts per number), skipped by the next.
    public var progress: [String] = []
}

/// One delivery attempt of a message.
public struct OutboxAttempt: Sendable, Hashable {
    public var at: EventTime
    public var result: AttemptResult
    public var detail: String
    public var durationMilliseconds: Int64
}

/// How a delivery attempt ended, as the outbox records it.
public struct AttemptOutcome: Sendable, Hashable {
    /// What the channel said.
    public var delivery: DeliveryResult
    /// A temporary failure is tried again then (nil: given up, the message failed).
    public var retryAt: EventTime?

    public init(_ delivery: DeliveryResult, retryAt: EventTime? = nil) {
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
