/// `POST /v1/cis`: configuration items to add or update (the CMDB import).
package struct CIImportRequest: ActingRequest {
    package var actor: String?
    package var items: [Item]?
    package init(actor: String? = nil, items: [Item]) {
        self.actor = actor
        self.items = items
    }

    /// One item: its name, its parent, and any other fields as its attributes (numbers and booleans are
    /// kept as their text).
    package struct Item: Codable, Sendable, Equatable {
        package var name: String
        package var parent: String?
        package var attributes: [String: String]
        package init(name: String, parent: String? = nil, attributes: [String: String] = [:]) {
            self.name = name
            self.parent = parent
            self.attributes = attributes
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            name = try c.decodeIfPresent(String.self, forKey: Key("name")) ?? ""
            parent = try c.decodeIfPresent(String.self, forKey: Key("parent"))
            attributes = [:]
            for key in c.allKeys where key.stringValue != "name" && key.stringValue != "parent" {
                if let s = try? c.decode(String.self, forKey: key) {
                    attributes[key.stringValue] = s
                } else if let i = try? c.decode(Int64.self, forKey: key) {
                    attributes[key.stringValue] = String(i)
                } else if let d = try? c.decode(Double.self, forKey: key) {
                    attributes[key.stringValue] = String(d)
                } else if let b = try? c.decode(Bool.self, forKey: key) {
                    attributes[key.stringValue] = String(b)
                } else {
                    throw DecodingError.typeMismatch(
                        String.self,
                        .init(
                            codingPath: c.codingPath + [key],
                            debugDescription: "an attribute is a string, a number or a boolean"))
                }
            }
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(name, forKey: Key("name"))
            try c.encodeIfPresent(parent, forKey: Key("parent"))
            for (k, v) in attributes where k != "name" && k != "parent" { try c.encode(v, forKey: Key(k)) }
        }
    }
}

/// The answer to `POST /v1/cis`.
package struct CIImportResult: Codable, Sendable {
    package var added: Int
    package var updated: Int
    package init(added: Int, updated: Int) {
        self.added = added
        self.updated = updated
    }
}

/// `POST /v1/changes`: a change over configuration items, with its window (RFC 3339 start and end).
package struct ChangeRequest: ActingRequest {
    package var actor: String?
    package var title: String?
    package var description: String?
    package var start: String?
    package var end: String?
    package var cis: [String]?
    package init(
        actor: String? = nil, title: String, description: String? = nil, start: String, end: String, cis: [String]
    ) {
        self.actor = actor
        self.title = title
        self.description = description
        self.start = start
        self.end = end
        self.cis = cis
    }
}

/// The decisions on a requested change: `POST /v1/changes/{id}/{decision}` with a ``ChangeDecisionRequest``.
package enum ChangeDecision: String, CaseIterable, Sendable {
    case approve, reject, cancel
    package func path(_ id: Int64) -> String { "/v1/changes/\(id)/\(rawValue)" }
}

/// The body of a change decision: an optional note.
package struct ChangeDecisionRequest: ActingRequest {
    package var actor: String?
    package var note: String?
    package init(actor: String? = nil, note: String? = nil) {
        self.actor = actor
        self.note = note
    }
}

/// `POST /v1/problems`: a problem, with the incidents it explains.
package struct ProblemRequest: ActingRequest {
    package var actor: String?
    package var title: String?
    package var incidents: [Int64]?
    package init(actor: String? = nil, title: String, incidents: [Int64]) {
        self.actor = actor
        self.title = title
        self.incidents = incidents
    }
}

/// `POST /v1/problems/{id}/link`: one more incident (required).
package struct ProblemLinkRequest: ActingRequest {
    package var actor: String?
    package var incident: Int64?
    package init(actor: String? = nil, incident: Int64) {
        self.actor = actor
        self.incident = incident
    }
}

/// `POST /v1/problems/{id}/update`: its state (open, known_error, resolved, closed), root cause,
/// workaround and the text that matches it to new incidents; fields left out stay as they are.
package struct ProblemUpdateRequest: ActingRequest {
    package var actor: String?
    package var state: String?
    package var rootCause: String?
    package var workaround: String?
    package var matchText: String?
    package init(
        actor: String? = nil, state: String? = nil, rootCause: String? = nil, workaround: String? = nil,
        matchText: String? = nil
    ) {
        self.actor = actor
        self.state = state
        self.rootCause = rootCause
        self.workaround = workaround
        self.matchText = matchText
    }
    enum CodingKeys: String, CodingKey {
        case actor, state, workaround
        case rootCause = "root_cause"
        case matchText = "match_text"
    }
}

/// `POST /v1/knowledge`: an article, suggested on incidents from `rule`, on `ci` or whose summary
/// contains `text`.
package struct KnowledgeRequest: ActingRequest {
    package var actor: String?
    package var title: String?
    package var body: String?
    package var rule: String?
    package var ci: String?
    package var text: String?
    package init(
        actor: String? = nil, title: String, body: String, rule: String? = nil, ci: String? = nil, text: String? = nil
    ) {
        self.actor = actor
        self.title = title
        self.body = body
        self.rule = rule
        self.ci = ci
        self.text = text
    }
}
