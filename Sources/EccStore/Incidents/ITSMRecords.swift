import EccCore
import EccIncidents
import Foundation

enum ITSMRecords {
    static func journal(
        _ c: Connection, _ object: String, _ id: String, at: EventTime, actor: String, action: String, note: String?
    ) throws(StoreError) {
        let s = try c.cached(
            "INSERT INTO itsm_journal(object, object_id, at, actor, action, note) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
        s.bind(1, object)
        s.bind(2, id)
        s.bind(3, at.nanoseconds)
        s.bind(4, actor)
        s.bind(5, action)
        s.bind(6, note)
        try s.run()
    }

    static let changeColumns =
        "id, title, description, state, start_at, end_at, cis, requested_by, approved_by, created_at, updated_at"

    static func readChange(_ s: Statement) -> Change {
        Change(
            id: s.int(0), title: s.text(1), description: s.optionalText(2),
            state: ChangeState(rawValue: s.text(3)) ?? .requested,
            start: EventTime(nanoseconds: s.int(4)), end: EventTime(nanoseconds: s.int(5)),
            cis: s.text(6).split(separator: ",").map(String.init), requestedBy: s.text(7),
            approvedBy: s.optionalText(8),
            createdAt: EventTime(nanoseconds: s.int(9)), updatedAt: EventTime(nanoseconds: s.int(10)))
    }

    static func change(_ c: Connection, id: Int64) throws(StoreError) -> Change? {
        let s = try c.prepare("SELECT \(changeColumns) FROM changes WHERE id = ?1")
        s.bind(1, id)
        return try s.step() ? readChange(s) : nil
    }

    static let problemColumns =
        "id, title, state, root_cause, workaround, created_by, created_at, updated_at, match_text"

    static func problem(_ c: Connection, id: Int64) throws(StoreError) -> Problem? {
        let s = try c.prepare("SELECT \(problemColumns) FROM problems WHERE id = ?1")
        s.bind(1, id)
        guard try s.step() else { return nil }
        var p = readProblem(s)
        let l = try c.prepare("SELECT incident_id FROM problem_incidents WHERE problem_id = ?1 ORDER BY incident_id")
        l.bind(1, id)
        while try l.step() { p.incidents.append(l.int(0)) }
        return p
    }

    static func readProblem(_ s: Statement) -> Problem {
        Problem(
            id: s.int(0), title: s.text(1), state: ProblemState(rawValue: s.text(2)) ?? .open,
            rootCause: s.optionalText(3), workaround: s.optionalText(4), createdBy: s.text(5),
            createdAt: EventTime(nanoseconds: s.int(6)), updatedAt: EventTime(nanoseconds: s.int(7)), incidents: [],
            matchText: s.optionalText(8))
    }

    static func attributesJSON(_ a: [String: String]) -> String {
        var w = JSONWriter()
        w.beginObject()
        for k in a.keys.sorted() { w.field(k, a[k] ?? "") }
        w.endObject()
        return w.string
    }

    /// Parses the flat string object written by ``attributesJSON(_:)``.
    static func attributes(_ json: String) -> [String: String] {
        guard json != "{}", let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            return [:]
        }
        return o.compactMapValues { $0 as? String }
    }
}
