/// An alarm as a notification shows it: the alarm row with its incident, read by the outbox when it
/// makes a message and stored in the message's content (JSON; the property names are its keys).
package struct AlarmInfo: Sendable, Hashable, Codable {
    package var id: UInt64
    package var rule: String
    package var key: String
    package var state: AlarmState
    /// Encoded by its name (``Severity/name``).
    package var severity: Severity
    package var summary: String
    package var host: String
    package var source: String
    package var type: String
    package var firstSeen: EventTime
    package var lastSeen: EventTime
    package var count: Int64
    package var clearedAt: EventTime?
    /// The incident the alarm opened or joined, and its priority (1…5).
    package var incident: Int64?
    package var priority: Int?
    package init(
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
