import EccCore

// The answers of the ITSM routes (configuration items, changes, problems, knowledge), encoded by eccd
// and decoded by eccctl. As for incidents, an optional field is written as null when it has no value.

/// A configuration item: `GET /v1/cis` (an array).
package struct CIView: Codable, Sendable, Equatable {
    package var name: String
    package var parent: String?
    package var attributes: [String: String]
    package var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case name, parent, attributes
        case updatedAt = "updated_at"
    }

    package init(name: String, parent: String?, attributes: [String: String], updatedAt: String) {
        self.name = name
        self.parent = parent
        self.attributes = attributes
        self.updatedAt = updatedAt
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(parent, forKey: .parent)
        try c.encode(attributes, forKey: .attributes)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A planned change: `GET /v1/changes` (an array), and the answer to requesting or deciding one.
package struct ChangeView: Codable, Sendable, Equatable {
    package var id: Int64
    package var title: String
    package var description: String?
    package var state: ChangeState
    package var start: String
    package var end: String
    package var cis: [String]
    package var requestedBy: String
    package var approvedBy: String?
    /// Its maintenance window's name in the engine (`change-ID`).
    package var maintenanceWindow: String
    package var createdAt: String
    package var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, description, state, start, end, cis
        case requestedBy = "requested_by"
        case approvedBy = "approved_by"
        case maintenanceWindow = "maintenance_window"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    package init(
        id: Int64, title: String, description: String?, state: ChangeState, start: String, end: String,
        cis: [String], requestedBy: String, approvedBy: String?, maintenanceWindow: String, createdAt: String,
        updatedAt: String
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
        self.maintenanceWindow = maintenanceWindow
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(description, forKey: .description)
        try c.encode(state, forKey: .state)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(cis, forKey: .cis)
        try c.encode(requestedBy, forKey: .requestedBy)
        try c.encode(approvedBy, forKey: .approvedBy)
        try c.encode(maintenanceWindow, forKey: .maintenanceWindow)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A problem: `GET /v1/problems` (an array), `GET /v1/problems/{id}` (or null), and the answer to opening,
/// linking or updating one.
package struct ProblemView: Codable, Sendable, Equatable {
    package var id: Int64
    package var title: String
    package var state: ProblemState
    package var rootCause: String?
    package var workaround: String?
    /// As a known error, also offered on incidents whose title contains this.
    package var matchText: String?
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    /// The incidents linked to it.
    package var incidents: [Int64]

    enum CodingKeys: String, CodingKey {
        case id, title, state
        case rootCause = "root_cause"
        case workaround
        case matchText = "match_text"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case incidents
    }

    package init(
        id: Int64, title: String, state: ProblemState, rootCause: String?, workaround: String?, matchText: String?,
        createdBy: String, createdAt: String, updatedAt: String, incidents: [Int64]
    ) {
        self.id = id
        self.title = title
        self.state = state
        self.rootCause = rootCause
        self.workaround = workaround
        self.matchText = matchText
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.incidents = incidents
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(state, forKey: .state)
        try c.encode(rootCause, forKey: .rootCause)
        try c.encode(workaround, forKey: .workaround)
        try c.encode(matchText, forKey: .matchText)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(incidents, forKey: .incidents)
    }
}

/// A knowledge article: `GET /v1/knowledge` (an array), and the answer to adding one.
package struct KnowledgeView: Codable, Sendable, Equatable {
    package var id: Int64
    package var title: String
    package var body: String
    /// Suggested on incidents of this rule, on this CI, or whose title contains this text.
    package var rule: String?
    package var ci: String?
    package var text: String?
    package var createdBy: String
    package var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, body, rule, ci, text
        case createdBy = "created_by"
        case createdAt = "created_at"
    }

    package init(
        id: Int64, title: String, body: String, rule: String?, ci: String?, text: String?, createdBy: String,
        createdAt: String
    ) {
        self.id = id
        self.title = title
        self.body = body
        self.rule = rule
        self.ci = ci
        self.text = text
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(body, forKey: .body)
        try c.encode(rule, forKey: .rule)
        try c.encode(ci, forKey: .ci)
        try c.encode(text, forKey: .text)
        try c.encode(createdBy, forKey: .createdBy)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

/// The answer (202) when a CI import or a change decision was stored but the rules did not reload.
package struct ReloadWarning: Codable, Sendable, Equatable {
    package var warning: String

    package init(warning: String) { self.warning = warning }
}
