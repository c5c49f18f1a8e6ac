import EccCore

/// An incident as listed: the work item opened for an alarm.
///
/// The foundation opens one incident per raised alarm (state `new`) and resolves it when the alarm
/// clears; ownership, SLA clocks and the full lifecycle build on this table.
public struct Incident: Sendable, Hashable {
    public var id: Int64
    public var state: String
    public var severity: Severity
    public var title: String
    public var host: String
    public var openedAt: EventTime
    public var updatedAt: EventTime
    public var resolvedAt: EventTime?
    /// The alarm behind it, as it stands now.
    public var alarm: Alarm
}

extension JSONWriter {
    /// Writes an incident with its alarm nested.
    public mutating func write(_ i: Incident) {
        beginObject()
        field("id", i.id)
        field("state", i.state)
        field("severity", i.severity.name)
        field("title", i.title)
        field("host", i.host)
        field("opened_at", i.openedAt.description)
        field("updated_at", i.updatedAt.description)
        key("resolved_at")
        if let r = i.resolvedAt { value(r.description) } else { null() }
        key("alarm")
        write(i.alarm)
        endObject()
    }
}
