/// `GET /v1/status`: eccd's main counters (`eccctl status` prints them).
package struct StatusView: Codable, Sendable, Equatable {
    /// Events each collector put on the bus, dropped, and refused as bad input.
    package struct CollectorCounts: Codable, Sendable, Equatable {
        package var accepted: Int64
        package var dropped: Int64
        /// Only for collectors that report bad input.
        package var badInput: Int64?

        package init(accepted: Int64, dropped: Int64, badInput: Int64? = nil) {
            self.accepted = accepted
            self.dropped = dropped
            self.badInput = badInput
        }

        enum CodingKeys: String, CodingKey {
            case accepted, dropped
            case badInput = "bad_input"
        }
    }

    package struct BusFill: Codable, Sendable, Equatable {
        package var depth: Int64
        package var capacity: Int64

        package init(depth: Int64, capacity: Int64) {
            self.depth = depth
            self.capacity = capacity
        }
    }

    package struct StoreStatus: Codable, Sendable, Equatable {
        package var path: String
        package var changesCommitted: Int64
        package var changesFailed: Int64
        /// A write failed and is being retried.
        package var retrying: Bool
        package var changesUncommitted: Int64
        /// The engine takes no events: the store is behind (`database.max_uncommitted`).
        package var engineWaiting: Bool

        package init(
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
    package struct NotificationCounts: Codable, Sendable, Equatable {
        package var pending: Int64
        package var retrying: Int64
        package var held: Int64
        package var sent: Int64
        package var retried: Int64
        package var failed: Int64

        package init(pending: Int64, retrying: Int64, held: Int64, sent: Int64, retried: Int64, failed: Int64) {
            self.pending = pending
            self.retrying = retrying
            self.held = held
            self.sent = sent
            self.retried = retried
            self.failed = failed
        }
    }

    /// The outbox's counts; in JSON the string `"off"` when no receivers are configured.
    package enum Notifications: Codable, Sendable, Equatable {
        case off
        case on(NotificationCounts)

        package init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self), text == "off" {
                self = .off
            } else {
                self = .on(try c.decode(NotificationCounts.self))
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .off: try c.encode("off")
            case .on(let counts): try c.encode(counts)
            }
        }
    }

    package var version: String
    package var started: String
    package var uptimeSeconds: Int64
    /// By collector name (`tcp`, `http`, `snmp`, `eccd`, `itsm`).
    package var collectors: [String: CollectorCounts]
    package var bus: BusFill
    package var eventsProcessed: Int64
    package var rules: Int64
    package var alarmsActive: Int64
    package var eventsLate: Int64
    package var eventsHistory: Int64
    package var eventsFuture: Int64
    package var historySenders: Int64
    package var store: StoreStatus
    package var streamSubscribers: Int64
    package var notifications: Notifications

    package init(
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
package struct ReadOnlyStatusView: Codable, Sendable, Equatable {
    package var version: String
    package var view: String
    package var readOnly: Bool

    package init(version: String, view: String) {
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
package struct NotReadyView: Codable, Sendable, Equatable {
    package var ready: Bool
    /// `starting`, `store_failing`, `engine_waiting_for_store`, `bus_full`, `notify_outbox_failing`,
    /// `shutting_down`.
    package var reasons: [String]

    package init(reasons: [String]) {
        self.ready = false
        self.reasons = reasons
    }
}

/// `POST /v1/rules/reload`: whether the new rules are in force (200) or refused (422), and the report:
/// rule counts, or the `file:line:column: message` lines of what is wrong.
package struct ReloadView: Codable, Sendable, Equatable {
    package var applied: Bool
    package var report: String

    package init(applied: Bool, report: String) {
        self.applied = applied
        self.report = report
    }
}

/// Every error answer: what is wrong, and where when a request's field (or a batch's element, or a
/// byte offset of a body) is to blame.
package struct ErrorView: Codable, Sendable, Equatable {
    package var error: String
    package var field: String?
    package var index: Int?
    package var offset: Int?

    package init(error: String, field: String? = nil, index: Int? = nil, offset: Int? = nil) {
        self.error = error
        self.field = field
        self.index = index
        self.offset = offset
    }
}
