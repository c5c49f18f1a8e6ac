import EccCore
import Foundation

/// A configuration item as the incident store keeps it (`eccctl cis import`).
package struct ConfigurationItem: Sendable, Hashable {
    package var name: String
    package var parent: String?
    /// `criticality`, `follow_up`, `type`, `site`... as imported.
    package var attributes: [String: String]
    package var updatedAt: EventTime

    package init(name: String, parent: String?, attributes: [String: String], updatedAt: EventTime = .zero) {
        self.name = name
        self.parent = parent
        self.attributes = attributes
        self.updatedAt = updatedAt
    }
}

/// A planned change over configuration items. Once approved, its window is a maintenance window for
/// the correlation engine: alarms on its CIs inside it are marked suppressed and open no incident.
package struct Change: Sendable, Hashable {
    package var id: Int64
    package var title: String
    package var description: String?
    package var state: ChangeState
    package var start: EventTime
    package var end: EventTime
    package var cis: [String]
    package var requestedBy: String
    package var approvedBy: String?
    package var createdAt: EventTime
    package var updatedAt: EventTime

    /// The name of its maintenance window in the engine.
    package var windowName: String { "change-\(id)" }

    package init(
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
package struct Problem: Sendable, Hashable {
    package var id: Int64
    package var title: String
    package var state: ProblemState
    package var rootCause: String?
    package var workaround: String?
    package var createdBy: String
    package var createdAt: EventTime
    package var updatedAt: EventTime
    package var incidents: [Int64]
    /// As a known error, also offered on incidents whose title contains this (case-insensitively), beside
    /// those sharing a rule or CI with its incidents.
    package var matchText: String? = nil

    package init(
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
package struct KnowledgeArticle: Sendable, Hashable {
    package var id: Int64
    package var title: String
    package var body: String
    package var matchRule: String?
    package var matchCI: String?
    /// Matched case-insensitively inside the incident's title.
    package var matchText: String?
    package var createdBy: String
    package var createdAt: EventTime

    package init(
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
package struct Suggestion: Sendable, Hashable {
    package var kind: SuggestionKind
    package var id: Int64
    package var title: String
    /// The article's body or the known error's workaround.
    package var text: String
    /// `rule interface-down`, `ci core1`, `text "optic"`.
    package var matchedBy: String

    package init(
        kind: SuggestionKind, id: Int64, title: String, text: String, matchedBy: String
    ) {
        self.kind = kind
        self.id = id
        self.title = title
        self.text = text
        self.matchedBy = matchedBy
    }
}
