/// `GET /v1/status`: eccd's main counters (`eccctl status` prints them).
public struct StatusView: Codable, Sendable, Equatable {
    /// Events each collector put on the bus, dropped, and refused as bad input.
    public struct CollectorCounts: Codable, Sendable, Equatable {
        public var accepted: Int64
        public var dropped: Int64
        /// Only for collectors that report bad input.
        public var badInput: Int64?

        public init(accepted: Int64, dropped: Int64, badInput: Int64? = nil) {
            self.accepted = accepted
            self.dropped = dropped
            self.badInput = badInput
        }

        enum CodingKeys: String, CodingKey {
            case accepted, dropped
            case badInput = "bad_input"
        }
    }

    public struct BusFill: Codable, Sendable, Equatable {
        public var depth: Int64
        public var capacity: Int64

        public init(depth: Int64, capacity: Int64) {
            self.depth = depth
            self.capacity = capacity
        }
    }

    public struct StoreStatus: Codable, Sendable, Equatable {
        public var path: String
        public var changesCommitted: Int64
        public var changesFailed: Int64
        /// A write failed and is being retried.
        public var retrying: Bool
        public var changesUncommitted: Int64
        /// The engine takes no events: the store is behind (`database.max_uncommitted`).
        public var engineWaiting: Bool

        public init(
            path: String, changesCommitted: Int64, changesFailed: Int64, retrying: Bool, changesUncommitted: Int64,
            engineWaiting: Bool
        ) {
            self.path = path
            self.changesCommitted = changesCommitted
            self.changesFailed = changesFailed
            self.retrying = retrying
            self.changesUncommitted = changesUncommitted
            self.engineWaiting = engineWaiting
        }

        enum CodingKeys: String, CodingKey {
            case path, retrying
            case changesCommitted = "changes_committed"
            case changesFailed = "changes_failed"
            case changesUncommitted = "changes_uncommitted"
            case engineWaiting = "engine_waiting"
        }
    }

    /// Messages waiting in the outbox by state, and attempts since start by result.
    public struct NotificationCounts: Codable, Sendable, Equatable {
        public var pending: Int64
        public var retrying: Int64
        public var held: Int64
        public var sent: Int64
        public var retried: Int64
        public var failed: Int64

        public init(pending: Int64, retrying: Int64, held: Int64, sent: Int64, retried: Int64, failed: Int64) {
            self.pending = pending
            self.retrying = retrying
            self.held = held
            self.sent = sent
            self.retried = retried
            self.failed = failed
        }
    }

    /// The outbox's counts; in JSON the string `"off"` when no receivers are configured.
    public enum Notifications: Codable, Sendable, Equatable {
        case off
        case on(NotificationCounts)

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self), text == "off" {
                self = .off
            } else {
                self = .on(try c.decode(NotificationCounts.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .off: try c.encode("off")
            case .on(let counts): try c.encode(counts)
            }
        }
    }

    public var version: String
    public var started: String
    public var uptimeSeconds: Int64
    /// By collector name (`tcp`, `http`, `snmp`, `eccd`, `itsm`).
    public var collectors: [String: CollectorCounts]
    public var bus: BusFill
    public var eventsProcessed: Int64
    public var rules: Int64
    public var alarmsActive: Int64
    public var eventsLate: Int64
    public var eventsHistory: Int64
    public var eventsFuture: Int64
    public var historySenders: Int64
    public var store: StoreStatus
    public var streamSubscribers: Int64
    public var notifications: Notifications

    public init(
        version: String, started: String, uptimeSeconds: Int64, collectors: [String: CollectorCounts], bus: BusFill,
        eventsProcessed: Int64, rules: Int64, alarmsActive: Int64, eventsLate: Int64, eventsHistory: Int64,
        eventsFuture: Int64, historySenders: Int64, store: StoreStatus, streamSubscribers: Int64,
        notifications: Notifications
    ) {
        self.version = version
        self.started = started
        self.uptimeSeconds = uptimeSeconds
        self.collectors = collectors
        self.bus = bus
        self.eventsProcessed = eventsProcessed
        self.rules = rules
        self.alarmsActive = alarmsActive
        self.eventsLate = eventsLate
        self.eventsHistory = eventsHistory
        self.eventsFuture = eventsFuture
        self.historySenders = historySenders
        self.store = store
        self.streamSubscribers = streamSubscribers
        self.notifications = notifications
    }

    enum CodingKeys: String, CodingKey {
        case version, started, collectors, bus, rules, store, notifications
        case uptimeSeconds = "uptime_seconds"
        case eventsProcessed = "events_processed"
        case alarmsActive = "alarms_active"
        case eventsLate = "events_late"
        case eventsHistory = "events_history"
        case eventsFuture = "events_future"
        case historySenders = "history_senders"
        case streamSubscribers = "stream_subscribers"
    }
}

/// `GET /v1/status` of a read-only view (`eccd --view`): which database it shows.
public struct ReadOnlyStatusView: Codable, Sendable, Equatable {
    public var version: String
    public var view: String
    public var readOnly: Bool

    public init(version: String, view: String) {
        self.version = version
        self.view = view
        self.readOnly = true
    }

    enum CodingKeys: String, CodingKey {
        case version, view
        case readOnly = "read_only"
    }
}

/// `GET /readyz` when eccd cannot take events (503): why. (Ready is the text `ready`.)
public struct NotReadyView: Codable, Sendable, Equatable {
    public var ready: Bool
    /// `starting`, `store_failing`, `engine_waiting_for_store`, `bus_full`, `notify_outbox_failing`,
    /// `shutting_down`.
    public var reasons: [String]

    public init(reasons: [String]) {
        self.ready = false
        self.reasons = reasons
    }
}

/// `POST /v1/rules/reload`: whether the new rules are in force (200) or refused (422), and the report:
/// rule counts, or the `file:line:column: message` lines of what is wrong.
public struct ReloadView: Codable, Sendable, Equatable {
    public var applied: Bool
    public var report: String

    public init(applied: Bool, report: String) {
        self.applied = applied
        self.report = report
    }
}

/// Every error answer: what is wrong, and where when a request's field (or a batch's element, or a
/// byte offset of a body) is to blame.
public struct ErrorView: Codable, Sendable, Equatable {
    public var error: String
    public var field: String?
    public var index: Int?
    public var offset: Int?

    public init(error: String, field: String? = nil, index: Int? = nil, offset: Int? = nil) {
        self.error = error
        self.field = field
        self.index = index
        self.offset = offset
    }
}
