import EccCore
import EccIncidents

/// Read queries over alarms, shared by the writer (restore) and the reader (API).
enum AlarmQueries {
    static let columnNames = [
        "id", "rule", "key", "state", "severity", "summary", "source", "host", "type", "first_seen", "last_seen",
        "count", "cleared_at", "suppressed_by", "flapping", "members",
    ]
    static let columns = columnNames.joined(separator: ", ")

    static func alarms(_ c: Connection, state: AlarmState?, limit: Int) throws(StoreError) -> [Alarm] {
        let whereClause = state.map { "WHERE state = '\($0.rawValue)'" } ?? ""
        let s = try c.prepare("SELECT \(columns) FROM alarms \(whereClause) ORDER BY id DESC LIMIT \(limit)")
        var out: [Alarm] = []
        while try s.step() { out.append(read(s, from: 0)) }
        return out
    }

    /// Reads the alarm columns starting at `col`.
    static func read(_ s: Statement, from col: Int32) -> Alarm {
        Alarm(
            id: UInt64(bitPattern: s.int(col)), rule: s.text(col + 1), key: s.text(col + 2),
            state: AlarmState(rawValue: s.text(col + 3)) ?? .active,
            severity: Severity(name: s.text(col + 4)) ?? .info, summary: s.text(col + 5), source: s.text(col + 6),
            host: s.text(col + 7), type: s.text(col + 8), firstSeen: EventTime(nanoseconds: s.int(col + 9)),
            lastSeen: EventTime(nanoseconds: s.int(col + 10)), count: s.int(col + 11),
            clearedAt: s.optionalInt(col + 12).map { EventTime(nanoseconds: $0) },
            suppression: s.isNull(col + 13) ? nil : Suppression(text: s.text(col + 13)), flapping: s.int(col + 14) != 0,
            members: members(s, col + 15))
    }

    /// Group members as stored: one key per line; nil (NULL) for none.
    static func membersText(_ members: [String]) -> String? {
        members.isEmpty ? nil : members.joined(separator: "\n")
    }

    static func members(_ s: Statement, _ col: Int32) -> [String] {
        s.isNull(col) ? [] : s.text(col).split(separator: "\n").map(String.init)
    }
}
