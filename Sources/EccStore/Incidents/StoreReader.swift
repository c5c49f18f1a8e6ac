import EccCore
import EccIncidents
import Synchronization

/// The read side of the store for the API and CLI: its own connection (WAL lets it read while the writer
/// writes), serialised by a mutex. Safe to share.
package final class StoreReader: Sendable {
    private let connection: Mutex<Connection>

    /// Opens a read connection to an existing store.
    package init(path: String) throws(StoreError) {
        let c = try Connection(path: path, readOnly: true, create: false)
        connection = Mutex(c)
    }

    /// Runs `body` on the read connection.
    func read<R: Sendable>(_ body: (Connection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> R in try body(c) }
    }

    /// Incidents, newest first.
    package func incidents(_ filter: IncidentFilter = IncidentFilter()) throws(StoreError) -> [Incident] {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> [Incident] in
            var conditions: [String] = []
            switch filter.state {
            case .open: conditions.append("i.state IN ('new', 'acknowledged', 'in_progress')")
            case .only: conditions.append("i.state = ?1")
            case nil: break
            }
            if filter.severity != nil { conditions.append("i.severity = ?2") }
            if filter.host != nil { conditions.append("i.host = ?3") }
            if filter.priority != nil { conditions.append("i.priority = ?4") }
            if filter.owner != nil { conditions.append("i.owner = ?5") }
            if filter.group != nil { conditions.append("i.assignment_group = ?6") }
            if filter.ci != nil { conditions.append("i.ci = ?7") }
            if let b = filter.breached {
                conditions.append(
                    b
                        ? "(i.response_breached = 1 OR i.resolution_breached = 1)"
                        : "(i.response_breached = 0 AND i.resolution_breached = 0)")
            }
            let s = try c.prepare(
                IncidentRecords.select(where: conditions.isEmpty ? "1" : conditions.joined(separator: " AND "))
                    + " ORDER BY i.id DESC LIMIT \(max(0, filter.limit))")
            if case .only(let state) = filter.state { s.bind(1, state) }
            if let v = filter.severity { s.bind(2, v.name) }
            if let v = filter.host { s.bind(3, v) }
            if let v = filter.priority { s.bind(4, Int64(v)) }
            if let v = filter.owner { s.bind(5, v) }
            if let v = filter.group { s.bind(6, v) }
            if let v = filter.ci { s.bind(7, v) }
            var out: [Incident] = []
            while try s.step() { out.append(IncidentRecords.read(s)) }
            return out
        }
    }

    /// One incident with its journal (oldest first) and every alarm linked to it.
    package func incident(id: Int64) throws(StoreError) -> IncidentDetail? {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> IncidentDetail? in
            guard let i = try IncidentRecords.load(c, id: id) else { return nil }
            let journal = try IncidentRecords.journal(c, incident: id)
            let s = try c.prepare(
                "SELECT l.role, \(AlarmQueries.columns) FROM incident_alarms l JOIN alarms a ON a.id = l.alarm_id "
                    + "WHERE l.incident_id = ?1 ORDER BY a.id")
            s.bind(1, id)
            var alarms: [(IncidentAlarmRole, Alarm)] = []
            while try s.step() {
                alarms.append((s.value(0, unknown: IncidentAlarmRole.alarm), AlarmQueries.read(s, from: 1)))
            }
            return IncidentDetail(incident: i, journal: journal, alarms: alarms)
        }
    }

    /// Alarms, newest first; `state` nil for all.
    package func alarms(state: AlarmState?, limit: Int = 1000) throws(StoreError) -> [Alarm] {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> [Alarm] in
            try AlarmQueries.alarms(c, state: state, limit: limit)
        }
    }

    /// One alarm with the event that raised it (JSON) and the routes its raise notified.
    package func alarmOrigin(id: UInt64) throws(StoreError) -> (alarm: Alarm, event: String?, notify: [String])? {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> (Alarm, String?, [String])? in
            let s = try c.prepare(
                "SELECT \(AlarmQueries.columns), o.event, o.notify FROM alarms a LEFT JOIN alarm_origins o "
                    + "ON o.alarm_id = a.id WHERE a.id = ?1")
            s.bind(1, Int64(bitPattern: id))
            guard try s.step() else { return nil }
            let n = Int32(AlarmQueries.columnNames.count)
            let alarm = AlarmQueries.read(s, from: 0)
            let event = s.isNull(n) ? nil : s.text(n)
            let notify = s.isNull(n + 1) ? [] : s.text(n + 1).split(separator: ",").map(String.init)
            return (alarm, event, notify)
        }
    }

    /// Total events absorbed by stored alarms (the sum of counts), e.g. to reconcile with ingest counters.
    package func totalAlarmCount() throws(StoreError) -> Int64 {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> Int64 in
            try c.scalarInt("SELECT coalesce(sum(count), 0) FROM alarms") ?? 0
        }
    }
}

extension StoreReader: StoreQueries {}
