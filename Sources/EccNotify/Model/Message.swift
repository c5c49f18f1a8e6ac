import EccCore

/// What a notification says: the content the dispatcher builds from the outbox and a channel renders
/// through its templates. Plain values, so a message can be stored (JSON) and rendered again unchanged.
package struct MessageContent: Sendable, Hashable, Codable {
    /// Why the message goes out.
    package typealias Kind = NotificationKind

    package var kind: Kind
    /// The receiver the message is for (its name in eccd.yaml).
    package var receiver: String
    /// The route (or escalation policy) that sent it; empty for tests and digests.
    package var route: String
    /// The group's `group_by` values (name → value), for templates and the webhook body.
    package var group: [String: String]
    /// The alarms the message is about, newest change last.
    package var alarms: [AlarmInfo]
    /// Escalations: the policy's step (1-based) and the delay it waited.
    package var escalationStep: Int?
    /// Digests: the messages that the rate limit held back, oldest first (at most 500 are listed).
    package var held: [HeldMessage]
    /// Digests: how many messages it stands for (more than `held` lists when a storm held thousands).
    package var heldTotal: Int?
    /// When the message was made (processing time).
    package var createdAt: EventTime

    package init(
        kind: Kind, receiver: String, route: String = "", group: [String: String] = [:], alarms: [AlarmInfo] = [],
        escalationStep: Int? = nil, held: [HeldMessage] = [], createdAt: EventTime
    ) {
        self.kind = kind
        self.receiver = receiver
        self.route = route
        self.group = group
        self.alarms = alarms
        self.escalationStep = escalationStep
        self.held = held
        self.createdAt = createdAt
    }
}

/// A message a rate limit held back, as a digest lists it.
package struct HeldMessage: Sendable, Hashable, Codable {
    /// The held message's stable id.
    package var id: String
    package var kind: MessageContent.Kind
    package var route: String
    /// One line: the alarm summaries it carried (or its kind when it had none).
    package var line: String
    package var createdAt: EventTime

    package init(id: String, kind: MessageContent.Kind, route: String, line: String, createdAt: EventTime) {
        self.id = id
        self.kind = kind
        self.route = route
        self.line = line
        self.createdAt = createdAt
    }
}

/// One message handed to a channel: its content and its stable id, which is the same on every attempt
/// (and after a restart): the e-mail Message-ID, the webhook idempotency key, Kannel's dlr reference.
package struct OutgoingMessage: Sendable, Hashable {
    /// Stable id, e.g. `ecc-1f3a9c2e-42` (unique across databases: it starts with the store's id).
    package var id: String
    /// 1 for the first attempt.
    package var attempt: Int
    package var content: MessageContent
    /// Pieces earlier attempts had accepted (keys a channel reported through
    /// ``Channel/deliver(_:accepted:)``, e.g. one SMS part to one number): not to be sent again.
    package var done: Set<String>

    package init(id: String, attempt: Int, content: MessageContent, done: Set<String> = []) {
        self.id = id
        self.attempt = attempt
        self.content = content
        self.done = done
    }
}

/// A configured receiver's way of delivering: e-mail, SMS, webhook. Called from the dispatcher's threads;
/// may block (with a bounded timeout) but must never crash on what a server answers.
package protocol Channel: Sendable {
    /// `email`, `sms`, `webhook` (for logs, metrics and `eccctl notify queue`).
    var kind: String { get }
    /// Renders the message with the receiver's templates and delivers it once.
    func deliver(_ message: OutgoingMessage) -> DeliveryResult
    /// Delivers, reporting by key each piece the server accepted on its own (an SMS part to one number),
    /// so that a retry after a later piece failed skips them (``OutgoingMessage/done``).
    func deliver(_ message: OutgoingMessage, accepted: (String) -> Void) -> DeliveryResult
}

extension Channel {
    /// Channels that send a message in one piece have nothing to report.
    package func deliver(_ message: OutgoingMessage, accepted: (String) -> Void) -> DeliveryResult { deliver(message) }
}
