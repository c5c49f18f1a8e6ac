import EccCore
import EccIncidents

extension AlarmStore {
    /// Replaces the stored engine snapshot, in one transaction.
    package func saveSnapshot(_ snapshot: EngineSnapshot) throws(StoreError) {
        let insert = try connection.prepare(
            """
            INSERT INTO engine_state(rule, fingerprint, key, kind, times, deadline, severity, summary, source, host,
                type, first_seen, last_seen, count, members)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
            """)
        try connection.transaction { () throws(StoreError) in
            try connection.execute("DELETE FROM engine_state")
            for e in snapshot.entries {
                insert.bind(1, e.rule)
                insert.bind(2, String(e.fingerprint, radix: 16))
                insert.bind(3, e.key)
                insert.bind(4, e.kind.rawValue)
                insert.bind(5, e.times.map { String($0.nanoseconds) }.joined(separator: ","))
                insert.bind(6, e.deadline.nanoseconds)
                let p = e.prototype
                insert.bind(7, p?.severity.name)
                insert.bind(8, p?.summary)
                insert.bind(9, p?.source)
                insert.bind(10, p?.host)
                insert.bind(11, p?.type)
                insert.bind(12, p?.firstSeen.nanoseconds)
                insert.bind(13, p?.lastSeen.nanoseconds)
                insert.bind(14, p?.count)
                insert.bind(15, p.flatMap { AlarmQueries.membersText($0.members) })
                try insert.run()
            }
            let meta = try connection.prepare(
                "INSERT INTO engine_meta(name, value) VALUES('watermark', ?1) "
                    + "ON CONFLICT(name) DO UPDATE SET value = excluded.value")
            meta.bind(1, snapshot.watermark.nanoseconds)
            try meta.run()
        }
    }

    /// The stored engine snapshot (empty when there is none).
    package func loadSnapshot() throws(StoreError) -> EngineSnapshot {
        let watermark = try connection.scalarInt("SELECT value FROM engine_meta WHERE name = 'watermark'") ?? 0
        let s = try connection.prepare(
            """
            SELECT rule, fingerprint, key, kind, times, deadline, severity, summary, source, host, type, first_seen,
                last_seen, count, members FROM engine_state ORDER BY seq
            """)
        var entries: [EngineSnapshot.Entry] = []
        while try s.step() {
            guard let kind = EngineSnapshot.Kind(rawValue: s.text(3)), let fp = UInt64(s.text(1), radix: 16) else {
                continue
            }
            let times = s.text(4).split(separator: ",").compactMap { Int64($0) }.map { EventTime(nanoseconds: $0) }
            var prototype: Alarm?
            if !s.isNull(6) {
                prototype = Alarm(
                    id: 0, rule: s.text(0), key: s.text(2), severity: Severity(name: s.text(6)) ?? .info,
                    summary: s.text(7), source: s.text(8), host: s.text(9), type: s.text(10),
                    firstSeen: EventTime(nanoseconds: s.int(11)), lastSeen: EventTime(nanoseconds: s.int(12)),
                    count: s.int(13), members: AlarmQueries.members(s, 14))
            }
            entries.append(
                EngineSnapshot.Entry(
                    rule: s.text(0), fingerprint: fp, key: s.text(2), kind: kind, prototype: prototype, times: times,
                    deadline: EventTime(nanoseconds: s.int(5))))
        }
        return EngineSnapshot(watermark: EventTime(nanoseconds: watermark), entries: entries)
    }
}
