import EccAuth

/// What a route needs before its handler runs.
package enum Requirement: Sendable, Hashable, CustomStringConvertible {
    /// Nothing (`/healthz`, `/readyz`).
    case anyone
    /// A token whose role is at least this.
    case role(Role)
    /// Kannel's delivery-report callback: no token (Kannel cannot send one), a per-receiver secret in the query
    /// that the route checks.
    case receiverSecret

    package var description: String {
        switch self {
        case .anyone: "anyone"
        case .role(let r): r.name
        case .receiverSecret: "receiver secret"
        }
    }
}

/// The one table of who may call what: `METHOD /path` as the router spells it → its requirement.
///
/// A route the router has but this table lacks is refused to everyone (and fails the route × role test),
/// so a new route cannot be born open.
package enum RouteAccess {
    package static let table: [String: Requirement] = {
        var t: [String: Requirement] = [
            "GET /healthz": .anyone,
            "GET /readyz": .anyone,
            "GET /metrics": .role(.viewer),
            "GET /v1/status": .role(.viewer),
            "GET /v1/alarms": .role(.viewer),
            "GET /v1/alarms/{id}/why": .role(.viewer),
            "GET /v1/stream": .role(.viewer),
            "GET /v1/incidents": .role(.viewer),
            "GET /v1/incidents/{id}": .role(.viewer),
            "GET /v1/cis": .role(.viewer),
            "GET /v1/changes": .role(.viewer),
            "GET /v1/problems": .role(.viewer),
            "GET /v1/problems/{id}": .role(.viewer),
            "GET /v1/knowledge": .role(.viewer),
            "GET /v1/notify/queue": .role(.viewer),
            "GET /v1/notify/receivers": .role(.viewer),
            "GET /v1/notify/dlr": .receiverSecret,
            "POST /v1/events": .role(.operator),
            "POST /v1/problems": .role(.operator),
            "POST /v1/problems/{id}/link": .role(.operator),
            "POST /v1/problems/{id}/update": .role(.operator),
            "POST /v1/knowledge": .role(.operator),
            "POST /v1/rules/reload": .role(.admin),
            "GET /v1/backup": .role(.admin),
            "POST /v1/cis": .role(.admin),
            "POST /v1/changes": .role(.admin),
            "POST /v1/notify/test": .role(.admin),
        ]
        for action in ["ack", "assign", "handover", "notes", "resolve", "close", "reopen"] {
            t["POST /v1/incidents/{id}/\(action)"] = .role(.operator)
        }
        for decision in ["approve", "reject", "cancel"] {
            t["POST /v1/changes/{id}/\(decision)"] = .role(.admin)
        }
        return t
    }()

    /// The requirement for a matched route, nil when the table has no entry.
    package static func requirement(method: String, path: String) -> Requirement? {
        table["\(method) \(path)"]
    }
}
