/// An alarm as a notification shows it: the alarm row with its incident, read by the outbox when it
/// makes a message and stored in the message's content (JSON; the property names are its keys).
public struct AlarmInfo: Sendable, Hashable, Codable {
    public var id: UInt64
    public var rule: String
    public var key: String
    public var state: AlarmState
    /// Encoded by its name (``Severity/name``).
    public var severity: Severity
    public var summary: String
    public var host: String
    public var source: String
    public var type: String
    public var firstSeen: EventTime
    public var lastSeen: EventTime
    public var count: Int64
    public var clearedAt: EventTime?
    /// The incident the alarm opened or joined, and its priority (1…5).
    public var incident: Int64?
    public var priority: Int?
    public init(
        id: UInt64, rule: String, key: String, state: AlarmState, severity: Severity, summary: String, host: String,
        source: String, type: String, firstSeen: EventTime, lastSeen: EventTime, count: Int64,
        clearedAt: EventTime? = nil, incident: Int64? = nil, priority: Int? = nil
    ) {
        self.id = id
        self.rule = rule
        self.key = key
        self.state = state
        self.severity = severity
        self.summary = summary
        self.host = host
        self.source = source
        self.type = type
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.clearedAt = clearedAt
        self.incident = incident
        self.priority = priority
    }
}
