import EccCore
import EccIncidents

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

    /// Writes the fields a transition changed (and only those: a column this version does not model, or a
    /// state it read as closed, is left as it was when nothing changed it).
    static func save(_ c: Connection, before: Incident, after: Incident) throws(StoreError) {
        var sets: [String] = []
        var values: [Statement.Value] = []
        func column<T: Equatable>(_ name: String, _ path: KeyPath<Incident, T>, _ value: (T) -> Statement.Value) {
            guard before[keyPath: path] != after[keyPath: path] else { return }
            values.append(value(after[keyPath: path]))
            sets.append("\(name) = ?\(values.count + 1)")
        }
        func time(_ t: EventTime?) -> Statement.Value { t.map { .int($0.nanoseconds) } ?? .null }
        func flag(_ b: Bool) -> Statement.Value { .int(b ? 1 : 0) }
        column("state", \.state) { .text($0.rawValue) }
        column("alarm_id", \.alarm.id) { .int(Int64(bitPattern: $0)) }
        column("severity", \.severity) { .text($0.name) }
        column("title", \.title) { .text($0) }
        column("priority", \.priority) { .int(Int64($0)) }
        column("owner", \.owner) { $0.map(Statement.Value.text) ?? .null }
        column("assignment_group", \.assignmentGroup) { $0.map(Statement.Value.text) ?? .null }
        column("acknowledged_at", \.acknowledgedAt, time)
        column("resolved_at", \.resolvedAt, time)
        column("closed_at", \.closedAt, time)
        column("reopen_count", \.reopenCount) { .int($0) }
        column("follow_up_done", \.followUpDone, flag)
        column("response_breached", \.responseBreached, flag)
        column("resolution_breached", \.resolutionBreached, flag)
        column("response_warned", \.responseWarned, flag)
        column("resolution_warned", \.resolutionWarned, flag)
        column("updated_at", \.updatedAt) { .int($0.nanoseconds) }
        guard !sets.isEmpty else { return }
        let s = try c.cached("UPDATE incidents SET \(sets.joined(separator: ", ")) WHERE id = ?1")
        defer { s.reset() }
        s.bind(1, before.id)
        for (n, v) in values.enumerated() { s.bind(Int32(n + 2), v) }
        try s.run()
    }

    /// Appends a transition's journal line.
    static func journal(_ c: Connection, incident: Int64, at: EventTime, _ line: JournalLine) throws(StoreError) {
        try journal(
            c, incident: incident, at: at, actor: line.actor, action: line.action, field: line.field, old: line.old,
            new: line.new, note: line.note)
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

    /// Queues an SLA event for the next SLA sweep to put on the bus, in the transaction that found it.
    static func queueSLAEvent(
        _ c: Connection, incident: Int64, target: SLAClock.Target, breached: Bool, due: EventTime
    ) throws(StoreError) {
        let s = try c.cached("INSERT INTO sla_outbox(incident_id, target, breached, due) VALUES(?1, ?2, ?3, ?4)")
        defer { s.reset() }
        s.bind(1, incident)
        s.bind(2, target.rawValue)
        s.bind(3, Int64(breached ? 1 : 0))
        s.bind(4, due.nanoseconds)
        try s.run()
    }

    static func link(_ c: Connection, incident: Int64, alarm: UInt64, role: IncidentAlarmRole) throws(StoreError) {
        let s = try c.cached("INSERT OR IGNORE INTO incident_alarms(incident_id, alarm_id, role) VALUES(?1, ?2, ?3)")
        defer { s.reset() }
        s.bind(1, incident)
        s.bind(2, Int64(bitPattern: alarm))
        s.bind(3, role)
        try s.run()
    }
}
