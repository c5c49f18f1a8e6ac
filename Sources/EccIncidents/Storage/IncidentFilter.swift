import EccCore

/// Filters for ``StoreQueries/incidents(_:)``; nil matches everything.
package struct IncidentFilter: Sendable {
    /// Open incidents (new, acknowledged, in progress), or those in one state.
    package var state: StateFilter?
    package var severity: Severity?
    package var host: String?
    /// 1 (P1) to 5.
    package var priority: Int?
    package var owner: String?
    package var group: String?
    package var ci: String?
    /// Only incidents that missed (true) or met so far (false) their SLA targets.
    package var breached: Bool?
    package var limit: Int

    package init(
        state: StateFilter? = nil, severity: Severity? = nil, host: String? = nil, priority: Int? = nil,
        owner: String? = nil, group: String? = nil, ci: String? = nil, breached: Bool? = nil, limit: Int = 1000
    ) {
        self.state = state
        self.severity = severity
        self.host = host
        self.priority = priority
        self.owner = owner
        self.group = group
        self.ci = ci
        self.breached = breached
        self.limit = limit
    }

    /// `?state=open` or `?state=STATE`.
    package enum StateFilter: Sendable, Equatable {
        case open
        case only(IncidentState)

        /// `open`, or a state's name; nil for anything else.
        package init?(_ text: String) {
            if text == "open" {
                self = .open
            } else if let s = IncidentState(rawValue: text) {
                self = .only(s)
            } else {
                return nil
            }
        }
    }
}
