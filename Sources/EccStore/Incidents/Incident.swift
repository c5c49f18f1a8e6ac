import EccCore
import EccIncidents
import Synchronization

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
    /// With `alarm` (the caller has it: the alarm whose change this is), the statement is
    /// ``selectWithoutAlarm(where:)``'s and no alarm columns are read.
    static func read(_ s: Statement, alarm: Alarm? = nil) -> Incident {
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
            alarm: alarm ?? AlarmQueries.read(s, from: columnCount))
    }

    private static let alarmColumns = AlarmQueries.columnNames.map { "a." + $0 }.joined(separator: ", ")

    static func select(where condition: String) -> String {
        "SELECT \(columns), \(alarmColumns) FROM incidents i JOIN alarms a ON a.id = i.alarm_id WHERE \(condition)"
    }

    /// The incident columns alone, for a caller that has the alarm (the store writer, on an alarm change):
    /// no join, no alarm row read back on the hot path.
    static func selectWithoutAlarm(where condition: String) -> String {
        "SELECT \(columns) FROM incidents i WHERE \(condition)"
    }

    private static let byID = SQL(select(where: "i.id = ?1"))

    static func load(_ c: Connection, id: Int64) throws(StoreError) -> Incident? {
        let s = try c.cached(byID)
        defer { s.reset() }
        s.bind(1, id)
        return try s.step() ? read(s) : nil
    }

    /// Writes the fields a transition changed (and only those: a column this version does not model, or a
    /// state it read as closed, is left as it was when nothing changed it). On the store writer's hot path
    /// (every clear resolves an incident): the fields are compared directly and the statement's text is
    /// made once per set of changed columns, each column bound at a fixed parameter (its index + 2).
    static func save(_ c: Connection, before b: Incident, after a: Incident) throws(StoreError) {
        let changed: [Bool] = [
            b.state != a.state, b.alarm.id != a.alarm.id, b.severity != a.severity, b.title != a.title,
            b.priority != a.priority, b.owner != a.owner, b.assignmentGroup != a.assignmentGroup,
            b.acknowledgedAt != a.acknowledgedAt, b.resolvedAt != a.resolvedAt, b.closedAt != a.closedAt,
            b.reopenCount != a.reopenCount, b.followUpDone != a.followUpDone,
            b.responseBreached != a.responseBreached, b.resolutionBreached != a.resolutionBreached,
            b.responseWarned != a.responseWarned, b.resolutionWarned != a.resolutionWarned, b.updatedAt != a.updatedAt,
        ]
        var mask: UInt32 = 0
        for (i, c) in changed.enumerated() where c { mask |= 1 << i }
        guard mask != 0 else { return }
        let s = try c.cached(updateSQL(mask))
        defer { s.reset() }
        s.bind(1, b.id)
        func flag(_ v: Bool) -> Int64 { v ? 1 : 0 }
        for i in 0..<changed.count where changed[i] {
            let n = Int32(i + 2)
            switch i {
            case 0: s.bind(n, a.state)
            case 1: s.bind(n, Int64(bitPattern: a.alarm.id))
            case 2: s.bind(n, a.severity.name)
            case 3: s.bind(n, a.title)
            case 4: s.bind(n, Int64(a.priority))
            case 5: s.bind(n, a.owner)
            case 6: s.bind(n, a.assignmentGroup)
            case 7: s.bind(n, a.acknowledgedAt?.nanoseconds)
            case 8: s.bind(n, a.resolvedAt?.nanoseconds)
            case 9: s.bind(n, a.closedAt?.nanoseconds)
            case 10: s.bind(n, a.reopenCount)
            case 11: s.bind(n, flag(a.followUpDone))
            case 12: s.bind(n, flag(a.responseBreached))
            case 13: s.bind(n, flag(a.resolutionBreached))
            case 14: s.bind(n, flag(a.responseWarned))
            case 15: s.bind(n, flag(a.resolutionWarned))
            default: s.bind(n, a.updatedAt.nanoseconds)
            }
        }
        try s.run()
    }

    /// The columns ``save(_:before:after:)`` writes, in the order of its comparisons.
    private static let savedColumns = [
        "state", "alarm_id", "severity", "title", "priority", "owner", "assignment_group", "acknowledged_at",
        "resolved_at", "closed_at", "reopen_count", "follow_up_done", "response_breached", "resolution_breached",
        "response_warned", "resolution_warned", "updated_at",
    ]
    private static let updates = Mutex<[UInt32: SQL]>([:])

    private static func updateSQL(_ mask: UInt32) -> SQL {
        if let sql = updates.withLock({ $0[mask] }) { return sql }
        let sets = savedColumns.indices.filter { mask & (1 << $0) != 0 }.map { "\(savedColumns[$0]) = ?\($0 + 2)" }
        let sql = SQL("UPDATE incidents SET \(sets.joined(separator: ", ")) WHERE id = ?1")
        return updates.withLock { cache in
            if let made = cache[mask] { return made }
            cache[mask] = sql
            return sql
        }
    }

    /// Writes a transition: the fields it changed, then its effects in order, on `c` (in the caller's
    /// transaction). The desk's actions, the SLA sweep and the alarm-driven transitions all end here.
    static func apply(_ c: Connection, before: Incident, _ t: IncidentTransition, at: EventTime) throws(StoreError) {
        try save(c, before: before, after: t.incident)
        let id = t.incident.id
        for effect in t.effects {
            switch effect {
            case .journal(let line): try journal(c, incident: id, at: at, line)
            case .stopEscalations(let reason):
                try OutboxRecords.stopEscalations(c, alarm: nil, incident: id, reason: reason, at: at)
            case .queueBreachEvent(let target, let due):
                try queueSLAEvent(c, incident: id, target: target, breached: true, due: due)
            }
        }
    }

    /// Appends a transition's journal line.
    static func journal(_ c: Connection, incident: Int64, at: EventTime, _ line: JournalLine) throws(StoreError) {
        try journal(
            c, incident: incident, at: at, actor: line.actor, action: line.action, field: line.field, old: line.old,
            new: line.new, note: line.note)
    }

    /// Appends to the journal (the table refuses updates).
    static func journal(
        _ c: Connection, incident: Int64, at: EventTime, actor: String, action: JournalAction, field: String? = nil,
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
            let text = s.text(3)
            let action = JournalAction(rawValue: text) ?? .other
            out.append(
                JournalEntry(
                    seq: s.int(0), at: EventTime(nanoseconds: s.int(1)),
                    JournalLine(
                        actor: s.text(2), action: action, field: s.optionalText(4), old: s.optionalText(5),
                        new: s.optionalText(6), note: s.optionalText(7)),
                    unknownAction: action == .other ? text : nil))
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
