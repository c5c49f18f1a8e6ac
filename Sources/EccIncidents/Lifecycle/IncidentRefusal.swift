import EccCore

/// Why an action on an incident, change, problem, CI or article was refused.
package enum IncidentRefusal: Error, CustomStringConvertible, Sendable {
    /// No such incident.
    case notFound(String)
    /// The incident's state or ownership does not allow it (HTTP 409).
    case conflict(String)
    /// The request itself is incomplete (HTTP 400).
    case invalid(String)
    /// The database failed (HTTP 503).
    case store(StoreError)

    package var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .invalid(let m): m
        case .store(let e): "\(e)"
        }
    }
}
