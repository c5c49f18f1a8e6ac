import EccCore

/// An incident: the work item opened for an alarm, with its owner, priority and SLA clocks.
public struct Incident: Sendable, Hashable {
    public var id: Int64
    public var state: IncidentState
    public var severity: Severity
    public var title: String
    public var host: String
    public var openedAt: EventTime
    public var updatedAt: EventTime
    public var resolvedAt: EventTime?
    /// 1 (P1, most urgent) to 5.
    public var priority: Int = 3
    /// The configuration item it is about.
    public var ci: String = ""
    public var assignmentGroup: String?
    /// Whoever acknowledged it first, until an explicit hand-over.
    public var owner: String?
    public var acknowledgedAt: EventTime?
    public var closedAt: EventTime?
    public var responseDue: EventTime?
    public var resolutionDue: EventTime?
    /// Near-breach was announced for the response / resolution target.
    public var responseWarned = false
    public var resolutionWarned = false
    public var responseBreached = false
    public var resolutionBreached = false
    public var reopenCount: Int64 = 0
    /// Closing needs a follow-up note (the CI or customer is flagged "follow-up required").
    public var followUpRequired = false
    public var followUpDone = false
    /// Its current alarm, as it stands now.
    public var alarm: Alarm

    /// True when either SLA target was missed.
    public var breached: Bool { responseBreached || resolutionBreached }
}

/// One line of an incident's journal: who changed what, when, from what to what, and why.
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int64
    public var at: EventTime
    public var actor: String
    /// `opened`, `acknowledged`, `assigned`, `handed_over`, `note`, `follow_up`, `resolved`, `closed`,
    /// `reopened`, `priority`, `symptom_linked`, `sla_near_breach`, `sla_breached`.
    public var action: String
    public var field: String?
    public var old: String?
    public var new: String?
    public var note: String?
}

/// An incident with its timeline and its alarms.
public struct IncidentDetail: Sendable {
    public var incident: Incident
    public var journal: [JournalEntry]
    /// Every alarm linked to it: `alarm` (current), `reopen` (earlier alarms), `symptom`.
    public var alarms: [(role: String, alarm: Alarm)]
}

/// SQL shared by the writers of incidents (the alarm writer and the operator desk) and the reader.
enum IncidentRecords {
    static let columns = """
        i.id, i.state, i.severity, i.title, i.host, i.opened_at, i.updated_at, i.resolved_at, i.priority, i.ci,
        i.assignment_group, i.owner, i.acknowledged_at, i.closed_at, i.response_due, i.resolution_due,
        i.response_breached, i.resolution_breached, i.reopen_count, i.follow_up_required, i.follow_up_done,
        i.response_warned, i.resolution_warned
        """
    static let columnCount: Int32 = 23

    /// Reads ``columns`` followed by ``AlarmQueries/columns`` (of the incident's current alarm).
    static func read(_ s: Statement) -> Incident {
        func time(_ c: Int32) -> EventTime? { s.optionalInt(c).map { EventTime(nanoseconds: $0) } }
        // A state this version does not know (written by a newer eccd, or by hand) reads as closed: the desk
        // then refuses to act on it (only an explicit reopen, journalled, changes it) instead of overwriting it.
        return Incident(
            id: s.int(0), state: s.value(1, unknown: IncidentState.closed),
            severity: Severity(name: s.text(2)) ?? .info, title: s.text(3),
            host: s.text(4), openedAt: EventTime(nanoseconds: s.int(5)), updatedAt: EventTime(nanoseconds: s.int(6)),
            resolvedAt: time(7), priority: Int(s.int(8)), ci: s.text(9), assignmentGroup: s.optionalText(10),
            owner: s.optionalText(11), acknowledgedAt: time(12), closedAt: time(13), responseDue: time(14),
            resolutionDue: time(15), responseWarned: s.int(21) != 0, resolutionWarned: s.int(22) != 0,
            responseBreached: s.int(16) != 0, resolutionBreached: s.int(17) != 0,
            reopenCount: s.int(18), followUpRequired: s.int(19) != 0, followUpDone: s.int(20) != 0,
            alarm: AlarmQueries.read(s, from: columnCount))
    }

    static func select(where condition: String) -> String {
        let alarmColumns = AlarmQueries.columnNames.map { "a." + $0 }.joined(separator: ", ")
        return
            "SELECT \(columns), \(alarmColumns) FROM incidents i JOIN alarms a ON a.id = i.alarm_id WHERE \(condition)"
    }

    static func load(_ c: Connection, id: Int64) throws(StoreError) -> Incident? {
        let s = try c.cached(select(where: "i.id = ?1"))
        defer { s.reset() }
        s.bind(1, id)
        return try s.step() ? read(s) : nil
    }

    /// Appends to the journal (the table refuses updates).
    static func journal(
        _ c: Connection, incident: Int64, at: EventTime, actor: String, action: String, field: String? = nil,
        old: String? = nil, new: String? = nil, note: String? = nil
    ) throws(StoreError) {
        let s = try c.cached(
            """
            INSERT INTO incident_journal(incident_id, at, actor, action, field, old, new, note)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """)
        defer { s.reset() }
        s.bind(1, incident)
        s.bind(2, at.nanoseconds)
        s.bind(3, actor)
        s.bind(4, action)
        s.bind(5, field)
        s.bind(6, old)
        s.bind(7, new)
        s.bind(8, note)
        try s.run()
    }

    static func journal(_ c: Connection, incident: Int64) throws(StoreError) -> [JournalEntry] {
        let s = try c.cached(
            "SELECT seq, at, actor, action, field, old, new, note FROM incident_journal WHERE incident_id = ?1 ORDER BY seq"
        )
        defer { s.reset() }
        s.bind(1, incident)
        var out: [JournalEntry] = []
        while try s.step() {
            out.append(
                JournalEntry(
                    seq: s.int(0), at: EventTime(nanoseconds: s.int(1)), actor: s.text(2), action: s.text(3),
                    field: s.optionalText(4), old: s.optionalText(5), new: s.optionalText(6), note: s.optionalText(7)))
        }
        return out
    }

    /// Marks an SLA target (`response` or `resolution`) missed — its near-breach counts as announced
    /// too — and journals it. Nothing goes on the bus here: the SLA sweep returns the events it finds, and
    /// others are queued with ``queueSLAEvent(_:incident:target:breached:due:)``.
    static func markBreached(_ c: Connection, incident: Int64, target: String, due: EventTime, at: EventTime)
        throws(StoreError)
    {
        let s = try c.cached("UPDATE incidents SET \(target)_breached = 1, \(target)_warned = 1 WHERE id = ?1")
        defer { s.reset() }
        s.bind(1, incident)
        try s.run()
        try journal(
            c, incident: incident, at: at, actor: "eccd", action: "sla_breached", field: target,
            new: due.description, note: "\(target) target missed: was due \(due)")
    }

    /// Queues an SLA event for the next SLA sweep to put on the bus, in the transaction that found it.
    static func queueSLAEvent(_ c: Connection, incident: Int64, target: String, breached: Bool, due: EventTime)
        throws(StoreError)
    {
        let s = try c.cached("INSERT INTO sla_outbox(incident_id, target, breached, due) VALUES(?1, ?2, ?3, ?4)")
        defer { s.reset() }
        s.bind(1, incident)
        s.bind(2, target)
        s.bind(3, Int64(breached ? 1 : 0))
        s.bind(4, due.nanoseconds)
        try s.run()
    }

    static func link(_ c: Connection, incident: Int64, alarm: UInt64, role: String) throws(StoreError) {
        let s = try c.cached("INSERT OR IGNORE INTO incident_alarms(incident_id, alarm_id, role) VALUES(?1, ?2, ?3)")
        defer { s.reset() }
        s.bind(1, incident)
        s.bind(2, Int64(bitPattern: alarm))
        s.bind(3, role)
        try s.run()
    }
}
