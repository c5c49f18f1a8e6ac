import EccCore
import Synchronization

/// The read side of the store for the API and CLI: its own connection (WAL lets it read while the writer
/// writes), serialised by a mutex. Safe to share.
public final class StoreReader: Sendable {
    private let connection: Mutex<Connection>

    /// Opens a read connection to an existing store.
    public init(path: String) throws(StoreError) {
        let c = try Connection(path: path, readOnly: true, create: false)
        connection = Mutex(c)
    }

    /// Filters for ``incidents(_:)``.
    public struct IncidentFilter: Sendable {
        public var state: String?
        public var severity: Severity?
        public var host: String?
        public var limit: Int

        public init(state: String? = nil, severity: Severity? = nil, host: String? = nil, limit: Int = 1000) {
            self.state = state
            self.severity = severity
            self.host = host
            self.limit = limit
        }
    }

    /// Incidents, newest first.
    public func incidents(_ filter: IncidentFilter = IncidentFilter()) throws(StoreError) -> [Incident] {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> [Incident] in
            var conditions: [String] = []
            if filter.state != nil { conditions.append("i.state = ?1") }
            if filter.severity != nil { conditions.append("i.severity = ?2") }
            if filter.host != nil { conditions.append("i.host = ?3") }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let alarmColumns = AlarmQueries.columnNames.map { "a." + $0 }
                .joined(separator: ", ")
            let s = try c.prepare(
                """
                SELECT i.id, i.state, i.severity, i.title, i.host, i.opened_at, i.updated_at, i.resolved_at,
                    \(alarmColumns)
                FROM incidents i JOIN alarms a ON a.id = i.alarm_id \(whereClause)
                ORDER BY i.id DESC LIMIT \(max(0, filter.limit))
                """)
            if let v = filter.state { s.bind(1, v) }
            if let v = filter.severity { s.bind(2, v.name) }
            if let v = filter.host { s.bind(3, v) }
            var out: [Incident] = []
            while try s.step() {
                out.append(
                    Incident(
                        id: s.int(0), state: s.text(1), severity: Severity(name: s.text(2)) ?? .info, title: s.text(3),
                        host: s.text(4), openedAt: EventTime(nanoseconds: s.int(5)),
                        updatedAt: EventTime(nanoseconds: s.int(6)),
                        resolvedAt: s.optionalInt(7).map { EventTime(nanoseconds: $0) },
                        alarm: AlarmQueries.read(s, from: 8)))
            }
            return out
        }
    }

    /// Alarms, newest first; `state` nil for all.
    public func alarms(state: AlarmState?, limit: Int = 1000) throws(StoreError) -> [Alarm] {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> [Alarm] in
            try AlarmQueries.alarms(c, state: state, limit: limit)
        }
    }

    /// One alarm with the event that raised it (JSON) and the routes its raise notified.
    public func alarmOrigin(id: UInt64) throws(StoreError) -> (alarm: Alarm, event: String?, notify: [String])? {
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
    public func totalAlarmCount() throws(StoreError) -> Int64 {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> Int64 in
            try c.scalarInt("SELECT coalesce(sum(count), 0) FROM alarms") ?? 0
        }
    }
}
