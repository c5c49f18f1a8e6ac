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

    public init(
        id: Int64, title: String, description: String? = nil, state: ChangeState, start: EventTime, end: EventTime,
        cis: [String], requestedBy: String, approvedBy: String? = nil, createdAt: EventTime, updatedAt: EventTime
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.state = state
        self.start = start
        self.end = end
        self.cis = cis
        self.requestedBy = requestedBy
        self.approvedBy = approvedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
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

    public init(
        id: Int64, title: String, state: ProblemState, rootCause: String? = nil, workaround: String? = nil,
        createdBy: String, createdAt: EventTime, updatedAt: EventTime, incidents: [Int64], matchText: String? = nil
    ) {
        self.id = id
        self.title = title
        self.state = state
        self.rootCause = rootCause
        self.workaround = workaround
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.incidents = incidents
        self.matchText = matchText
    }
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

    public init(
        id: Int64, title: String, body: String, matchRule: String? = nil, matchCI: String? = nil,
        matchText: String? = nil, createdBy: String, createdAt: EventTime
    ) {
        self.id = id
        self.title = title
        self.body = body
        self.matchRule = matchRule
        self.matchCI = matchCI
        self.matchText = matchText
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// A fix suggested on an incident: a knowledge article or a known error, and why it matched.
public struct Suggestion: Sendable, Hashable {
    public var kind: SuggestionKind
    public var id: Int64
    public var title: String
    /// The article's body or the known error's workaround.
    public var text: String
    /// `rule interface-down`, `ci core1`, `text "optic"`.
    public var matchedBy: String

    public init(
        kind: SuggestionKind, id: Int64, title: String, text: String, matchedBy: String
    ) {
        self.kind = kind
        self.id = id
        self.title = title
        self.text = text
        self.matchedBy = matchedBy
    }
}
