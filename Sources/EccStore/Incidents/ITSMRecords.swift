import EccCore
import Foundation

/// A configuration item as the incident store keeps it (`eccctl cis import`).
public struct ConfigurationItem: Sendable, Hashable {
    public var name: String
    public var parent: String?
    /// `criticality`, `follow_up`, `type`, `site`... as imported.
    public var attributes: [String: String]
    public var updatedAt: EventTime

    public init(name: String, parent: String?, attributes: [String: String], updatedAt: EventTime = .zero) {
        self.name = name
        self.parent = parent
        self.attributes = attributes
        self.updatedAt = updatedAt
    }
}

/// A planned change over configuration items. Once approved, its window is a maintenance window for
/// the correlation engine: alarms on its CIs inside it are marked suppressed and open no incident.
public struct Change: Sendable, Hashable {
    public var id: Int64
    public var title: String
    public var description: String?
    public var state: ChangeState
    public var start: EventTime
    public var end: EventTime
    public var cis: [String]
    public var requestedBy: String
    public var approvedBy: String?
    public var createdAt: EventTime
    public var updatedAt: EventTime

    /// The name of its maintenance window in the engine.
    public var windowName: String { "change-\(id)" }
}

/// A problem: the common cause behind incidents; a known error once its workaround is recorded.
public struct Problem: Sendable, Hashable {
    public var id: Int64
    public var title: String
    public var state: ProblemState
    public var rootCause: String?
    public var workaround: String?
    public var createdBy: String
    public var createdAt: EventTime
    public var updatedAt: EventTime
    public var incidents: [Int64]
    /// As a known error, also offered on incidents whose title contains this (case-insensitively), beside
    /// those sharing a rule or CI with its incidents.
    public var matchText: String? = nil
}

/// A knowledge article, suggested on incidents whose rule, CI or title it matches.
public struct KnowledgeArticle: Sendable, Hashable {
    public var id: Int64
    public var title: String
    public var body: String
    public var matchRule: String?
    public var matchCI: String?
    /// Matched case-insensitively inside the incident's title.
    public var matchText: String?
    public var createdBy: String
    public var createdAt: EventTime
}

/// A fix suggested on an incident: a knowledge article or a known error, and why it matched.
public struct Suggestion: Sendable, Hashable {
    /// `knowledge` or `known_error`.
    public var kind: String
    public var id: Int64
    public var title: String
    /// The article's body or the known error's workaround.
    public var text: String
    /// `rule interface-down`, `ci core1`, `text "optic"`.
    public var matchedBy: String
}

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
