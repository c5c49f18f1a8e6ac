/// Whether an alarm still needs attention.
public enum AlarmState: String, Sendable, Hashable {
    case active
    case cleared
}

/// An alarm: the state of one (rule, key) pair, raised by the first matching event and updated by repeats.
public struct Alarm: Sendable, Hashable {
    /// Unique and increasing over the life of a store.
    public var id: UInt64
    /// The name of the rule that raised it.
    public var rule: String
    /// The rendered key template: one alarm per (rule, key).
    public var key: String
    public var state: AlarmState
    public var severity: Severity
    public var summary: String
    /// Source, host and type of the event that raised it.
    public var source: String
    public var host: String
    public var type: String
    /// Event time of the first and the latest matching event.
    public var firstSeen: EventTime
    public var lastSeen: EventTime
    /// How many matching events it has absorbed, including the first.
    public var count: Int64
    /// Event time of the clearing event, when cleared.
    public var clearedAt: EventTime?

    public init(
        id: UInt64, rule: String, key: String, state: AlarmState = .active, severity: Severity, summary: String,
        source: String, host: String, type: String, firstSeen: EventTime, lastSeen: EventTime, count: Int64 = 1,
        clearedAt: EventTime? = nil
    ) {
        self.id = id
        self.rule = rule
        self.key = key
        self.state = state
        self.severity = severity
        self.summary = summary
        self.source = source
        self.host = host
        self.type = type
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.clearedAt = clearedAt
    }
}
