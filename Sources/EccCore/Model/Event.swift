/// A normalised event: the unit every collector produces and the engine consumes.
///
/// Designed for the hot path: short strings (up to 15 UTF-8 bytes, e.g. most host names, sources and
/// types) live inline without allocation, attributes are one flat array, and the whole value moves
/// across the bus with a handful of reference-count operations.
package struct Event: Sendable, Hashable {
    /// When the event happened, as the sender says (or `receivedAt` when it did not say).
    package var time: EventTime
    /// When eccd received it.
    package var receivedAt: EventTime
    /// The collector or sending system, e.g. `snmp`, `syslog`, `demo`.
    package var source: String
    /// The host or device the event is about.
    package var host: String
    /// What happened, e.g. `linkDown`, `auth_failure`, `heartbeat`.
    package var type: String
    /// How bad the sender thinks it is.
    package var severity: Severity
    /// Free text from the sender; may be empty.
    package var summary: String
    /// Everything else, typed.
    package var attributes: Attributes

    /// The source of eccd's own events (its self-monitoring: store unwritable, bus full, clock jump…).
    /// Events from outside may not claim it (``InputLimits/reservedSource``).
    package static let eccdSource = "eccd"

    /// Creates an event; `receivedAt` defaults to `time`.
    @inlinable
    package init(
        time: EventTime,
        receivedAt: EventTime? = nil,
        source: String,
        host: String,
        type: String,
        severity: Severity = .info,
        summary: String = "",
        attributes: Attributes = Attributes()
    ) {
        self.time = time
        self.receivedAt = receivedAt ?? time
        self.source = source
        self.host = host
        self.type = type
        self.severity = severity
        self.summary = summary
        self.attributes = attributes
    }
}
