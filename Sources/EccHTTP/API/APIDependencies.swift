import EccAPI
import EccBus
import EccCollectors
import EccCore
import EccIncidents
import EccStore

/// What the HTTP API needs from the daemon; the daemon library fills it in.
package struct APIDependencies: Sendable {
    /// The event bus, for `POST /v1/events`.
    package var ring: Ring<Event>
    /// Counters for events accepted over HTTP.
    package var httpStats: ProducerStats
    /// Read access to alarms, incidents and the rest of the store.
    package var reader: any StoreQueries
    /// Live alarm changes.
    package var alarms: Broadcast<AlarmChange>
    /// Receive timestamps.
    package var clock: any EccCore.Clock
    /// The daemon's status: EccAPI's `StatusView` (a read-only view's `ReadOnlyStatusView`).
    package var status: @Sendable () -> any Encodable & Sendable
    /// Prometheus exposition text.
    package var metrics: @Sendable () -> [UInt8]
    /// Why eccd is not ready to take events now (empty: ready), for `GET /readyz`.
    package var notReady: @Sendable () -> [String] = { [] }
    /// Reloads the rules; returns whether they were applied and a human-readable report.
    package var reloadRules: @Sendable () async -> (applied: Bool, report: String)
    /// Largest accepted request body.
    package var maxBodyBytes: Int
    /// The rules in force (to explain alarms).
    package var rules: @Sendable () -> RuleSet
    /// Operator actions on incidents (nil: read-only API).
    package var desk: (any DeskActions)?
    /// The database file (for `GET /v1/backup`; empty: no backups).
    package var databasePath: String
    /// The notification outbox (nil: notifications are off, no receivers configured).
    package var notify: NotifyEndpoints?
    /// What one event may hold.
    package var input = InputLimits.outside
    /// Connection bounds and the refusal counter of the HTTP listener.
    package var edge: HTTPEdge
    /// Live-stream bounds: most subscribers, and changes queued for one before it is dropped.
    package var streamMaxSubscribers = 64
    package var streamBacklog = 1024
    /// Who may call what (default: tokenless loopback mode).
    package var access: APIAccess = .open
    /// Set for a read-only API (`eccd --view`): why nothing can be changed. Every request but GET and HEAD
    /// is then refused with 405 and this text, before its route runs.
    package var readOnly: String?

    package init(
        ring: Ring<Event>, httpStats: ProducerStats, reader: any StoreQueries, alarms: Broadcast<AlarmChange>,
        clock: any EccCore.Clock, status: @escaping @Sendable () -> any Encodable & Sendable,
        metrics: @escaping @Sendable () -> [UInt8],
        reloadRules: @escaping @Sendable () async -> (applied: Bool, report: String), maxBodyBytes: Int = 64 << 20,
        rules: @escaping @Sendable () -> RuleSet = { .empty }, desk: (any DeskActions)? = nil,
        databasePath: String = "",
        edge: HTTPEdge
    ) {
        self.edge = edge
        self.databasePath = databasePath
        self.desk = desk
        self.rules = rules
        self.ring = ring
        self.httpStats = httpStats
        self.reader = reader
        self.alarms = alarms
        self.clock = clock
        self.status = status
        self.metrics = metrics
        self.reloadRules = reloadRules
        self.maxBodyBytes = maxBodyBytes
    }
}

/// What `/v1/notify/...` needs: the daemon's outbox and dispatcher, as closures giving EccAPI's answers.
package struct NotifyEndpoints: Sendable {
    /// `GET /v1/notify/queue`: messages in these states (all when empty), for one receiver or all.
    package var queue:
        @Sendable (_ states: [MessageState], _ receiver: String?, _ limit: Int) throws -> [NotificationView]
    /// `POST /v1/notify/test`: sends a test message to a receiver and waits (bounded) for its outcome.
    /// Nil when there is no such receiver; throws when the outbox cannot take or show it.
    package var test: @Sendable (_ receiver: String, _ wait: Duration) async throws -> NotificationView?
    /// `GET /v1/notify/receivers`: the receivers configured.
    package var receivers: @Sendable () -> [ReceiverView]
    /// `GET /v1/notify/dlr`: an SMS gateway's delivery report (message id, Kannel's status, number, the
    /// SMSC's answer, the receiver's `dlr_secret` as the gateway was given it).
    package var report:
        @Sendable (_ id: String, _ status: Int, _ to: String?, _ answer: String?, _ secret: String?) async ->
            DeliveryReportOutcome

    package init(
        queue: @escaping @Sendable ([MessageState], String?, Int) throws -> [NotificationView],
        test: @escaping @Sendable (String, Duration) async throws -> NotificationView?,
        receivers: @escaping @Sendable () -> [ReceiverView],
        report: @escaping @Sendable (String, Int, String?, String?, String?) async -> DeliveryReportOutcome = {
            _, _, _, _, _ in .unknownMessage
        }
    ) {
        self.queue = queue
        self.test = test
        self.receivers = receivers
        self.report = report
    }
}

/// What became of a delivery report.
package enum DeliveryReportOutcome: Sendable {
    /// Recorded with the message's attempts.
    case recorded
    /// No message with that id.
    case unknownMessage
    /// The message's receiver has no `dlr_secret`, or the report did not carry it.
    case badSecret
}
