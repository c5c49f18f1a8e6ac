import EccCore
import EccYAML

/// Parses `- route:` entries (with their child routes) and `- escalation:` policies.
enum RouteParser {
    static let routeKeys = [
        "route", "description", "match", "receivers", "continue", "group_by", "group_wait", "group_interval",
        "repeat_interval", "send_resolved", "escalation", "routes",
    ]

    /// A route; a child route starts from its parent's settings (receivers, grouping, timing, escalation).
    static func route(_ v: YAMLValue, parent: Route?) throws(ConfigError) -> Route {
        let m = try v.mapping(parent == nil ? "a route" : "a child route", known: routeKeys)
        let name = try m["route"]?.string("route") ?? ""
        guard !name.isEmpty else { throw v.error("a route needs a name: 'route: <name>'") }
        var r =
            parent.map {
                Route(
                    name: name, match: Matcher([]), receivers: $0.receivers, continue: false, groupBy: $0.groupBy,
                    groupWait: $0.groupWait, groupInterval: $0.groupInterval, repeatInterval: $0.repeatInterval,
                    sendResolved: $0.sendResolved, escalation: $0.escalation, location: v.location)
            } ?? Route(name: name, match: Matcher([]), receivers: [], continue: false, location: v.location)
        if let x = m["match"] { r.match = try RuleParser.matcher(x, what: "match") }
        if let x = m["receivers"] { r.receivers = try ContextParser.names(x, "receivers").sorted() }
        if let x = m["continue"] { r.continue = try x.bool("continue") }
        if let x = m["group_by"] {
            if case .scalar = x.node, try x.string("group_by") == "alarm" {
                r.groupBy = nil
            } else {
                r.groupBy = try x.list("group_by").map { n throws(ConfigError) in
                    let f = try n.string("a group_by field")
                    guard !f.isEmpty else { throw n.error("a group_by field needs a name") }
                    return f
                }
            }
        }
        if let x = m["group_wait"] { r.groupWait = try x.duration("group_wait") }
        if let x = m["group_interval"] {
            r.groupInterval = try x.duration("group_interval")
            guard r.groupInterval > 0 else { throw x.error("group_interval must be longer than 0") }
        }
        if let x = m["repeat_interval"] { r.repeatInterval = try x.duration("repeat_interval") }
        if let x = m["send_resolved"] { r.sendResolved = try x.bool("send_resolved") }
        if let x = m["escalation"] {
            let e = try x.string("escalation")
            r.escalation = e == "none" ? nil : e
        }
        if let x = m["routes"] {
            let list = try x.list("routes")
            guard !list.isEmpty else { throw x.error("'routes' is an empty list (leave it out instead)") }
            r.children = try list.map { c throws(ConfigError) in try route(c, parent: r) }
        }
        if r.receivers.isEmpty && r.escalation == nil && r.children.isEmpty {
            throw v.error(
                "route '\(name)' needs 'receivers: [...]' or 'escalation: <policy>' (or child 'routes')")
        }
        return r
    }

    static func escalation(_ v: YAMLValue) throws(ConfigError) -> EscalationPolicy {
        let m = try v.mapping("an escalation policy", known: ["escalation", "description", "steps"])
        let name = try m["escalation"]?.string("escalation") ?? ""
        guard !name.isEmpty, name != "none" else {
            throw v.error("an escalation policy needs a name: 'escalation: <name>' (not 'none')")
        }
        guard let stepsNode = m["steps"] else {
            throw v.error("escalation '\(name)' needs 'steps: [{after: 0s, receivers: [...]}, ...]'")
        }
        var steps: [EscalationPolicy.Step] = []
        for item in try stepsNode.list("steps") {
            let s = try item.mapping("an escalation step", known: ["after", "receivers"])
            guard let a = s["after"], let r = s["receivers"] else {
                throw item.error(
                    "an escalation step needs 'after' and 'receivers' (e.g. {after: 15m, receivers: [duty-manager]})")
            }
            let after = try a.duration("after")
            if let last = steps.last, after <= last.after {
                throw a.error(
                    "escalation steps must come one after the other: \(after / 1_000_000_000)s is not after the previous step"
                )
            }
            steps.append(
                EscalationPolicy.Step(after: after, receivers: try ContextParser.names(r, "receivers").sorted()))
        }
        guard !steps.isEmpty else { throw stepsNode.error("escalation '\(name)' needs at least one step") }
        return EscalationPolicy(name: name, steps: steps, location: v.location)
    }
}
