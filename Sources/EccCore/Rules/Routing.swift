/// Where notifications of an alarm go: a node of the route tree. The first route that matches takes the
/// alarm (and later ones while `continue`); a route with child routes hands the alarm to the first child
/// that matches, and keeps it when none does. Children inherit their parent's receivers, grouping,
/// timing, `send_resolved` and escalation unless they set their own (the parser applies that).
package struct Route: Sendable, Hashable {
    package var name: String
    /// Tested against the raising event with the alarm's severity, plus fields `rule` and `key`.
    package var match: Matcher
    /// Receivers (defined in the daemon's configuration) of the group notifications.
    package var receivers: [String]
    package var `continue`: Bool
    /// Fields whose values form the notification group (`host`, `rule`, `owner_group`, …); nil: each
    /// alarm is a group of its own; empty: all alarms of the route are one group.
    package var groupBy: [String]?
    /// How long a new group waits for more alarms before its first notification (nanoseconds).
    package var groupWait: Int64
    /// How long after a group's last notification the next one (new or cleared alarms) may go out.
    package var groupInterval: Int64
    /// Re-notify a group whose alarms are still active after this long (0: never).
    package var repeatInterval: Int64
    /// Notify when a group's alarms clear.
    package var sendResolved: Bool
    /// The escalation policy started for each alarm the route takes.
    package var escalation: String?
    package var children: [Route]
    package var location: SourceLocation?

    /// Defaults: one group per alarm, 30s group wait, 5m group interval, 4h repeat, resolved sent.
    package init(
        name: String, match: Matcher, receivers: [String], continue: Bool, groupBy: [String]? = nil,
        groupWait: Int64 = 30_000_000_000, groupInterval: Int64 = 300_000_000_000,
        repeatInterval: Int64 = 14_400_000_000_000, sendResolved: Bool = true, escalation: String? = nil,
        children: [Route] = [], location: SourceLocation? = nil
    ) {
        self.name = name
        self.match = match
        self.receivers = receivers
        self.continue = `continue`
        self.groupBy = groupBy
        self.groupWait = groupWait
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
        self.sendResolved = sendResolved
        self.escalation = escalation
        self.children = children
        self.location = location
    }

    /// This route and all routes below it, depth first.
    package var flattened: [Route] { [self] + children.flatMap(\.flattened) }

    /// The group an alarm belongs to on this route: `group_by` field names and values (sorted by name),
    /// or nil when each alarm is a group of its own.
    package func groupLabels(_ view: Event) -> [(String, String)]? {
        guard let groupBy else { return nil }
        return groupBy.sorted().map { ($0, view.text(of: Field(name: $0)) ?? "") }
    }
}

/// Who is told, and when, while an alarm stays unacknowledged: steps with delays from the raise. Started
/// by a route's `escalation`; stopped when the alarm clears or its incident is acknowledged (or resolved).
package struct EscalationPolicy: Sendable, Hashable {
    package struct Step: Sendable, Hashable {
        /// Delay from the start of the escalation (nanoseconds).
        package var after: Int64
        package var receivers: [String]

        package init(after: Int64, receivers: [String]) {
            self.after = after
            self.receivers = receivers
        }
    }

    package var name: String
    package var steps: [Step]
    package var location: SourceLocation?

    package init(name: String, steps: [Step], location: SourceLocation? = nil) {
        self.name = name
        self.steps = steps
        self.location = location
    }
}

extension Array where Element == Route {
    /// The names of the routes an alarm takes, in order (the deepest matching route of each branch).
    package func routes(for alarm: Alarm, origin: Event?) -> [String] {
        taken(by: alarm, origin: origin).routes.map(\.name)
    }

    /// The routes an alarm takes, in order, and the view their matchers saw.
    func taken(by alarm: Alarm, origin: Event?) -> (routes: [Route], view: Event?) {
        guard !isEmpty else { return ([], nil) }
        let e = Engine.view(alarm, origin: origin ?? Event(standingInFor: alarm))
        var out: [Route] = []
        _ = Self.take(self, e, into: &out)
        return (out, e)
    }

    private static func take(_ routes: [Route], _ e: Event, into out: inout [Route]) -> Bool {
        var matched = false
        for r in routes where r.match.matches(e) {
            matched = true
            if r.children.isEmpty || !take(r.children, e, into: &out) { out.append(r) }
            if !r.continue { break }
        }
        return matched
    }
}

/// What one route decides for a notifying alarm change, made by the engine from the rules in force when
/// the change happens (``RuleSet/routeDecisions(for:origin:)``) and carried by the change: the store's
/// outbox writes it as it is and reads no rules, so a reload between the change and its write changes
/// nothing, and the planner has one source of truth.
package struct RouteDecision: Sendable, Hashable {
    /// The notification group the alarm joins on this route.
    package struct Group: Sendable, Hashable {
        /// `group_by` values, `name=value` joined by U+001F (`alarm:<id>` when each alarm is a group).
        package var key: String
        /// `group_by` names and values, sorted by name (empty when each alarm is a group).
        package var labels: [Label]
        /// A new group's first notification waits this long (nanoseconds).
        package var wait: Int64
        /// A group speaks again no sooner than this after its last notification (nanoseconds).
        package var interval: Int64
        /// The group is told when its alarms clear.
        package var sendResolved: Bool

        package init(key: String, labels: [Label], wait: Int64, interval: Int64, sendResolved: Bool) {
            self.key = key
            self.labels = labels
            self.wait = wait
            self.interval = interval
            self.sendResolved = sendResolved
        }
    }

    package struct Label: Sendable, Hashable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The escalation the alarm starts on this route.
    package struct Escalation: Sendable, Hashable {
        package var policy: String
        /// The first step still to send (1 when step 0 went out at once: eccd's own alarms).
        package var step: Int
        /// The delay of that step from the raise (nanoseconds).
        package var after: Int64

        package init(policy: String, step: Int, after: Int64) {
            self.policy = policy
            self.step = step
            self.after = after
        }
    }

    package var route: String
    /// nil: the route has no receivers of its own (escalation only), or the alarm is eccd's own, sent at
    /// once to the route's receivers without the outbox (which may be what is failing).
    package var group: Group?
    /// nil: the route starts no escalation (or eccd's own alarm was sent its only step at once).
    package var escalation: Escalation?

    package init(route: String, group: Group? = nil, escalation: Escalation? = nil) {
        self.route = route
        self.group = group
        self.escalation = escalation
    }
}

extension RuleSet {
    /// What each route an alarm takes decides (``RouteDecision``), in route order.
    package func routeDecisions(for alarm: Alarm, origin: Event?) -> [RouteDecision] {
        let (taken, view) = routes.taken(by: alarm, origin: origin)
        guard let view else { return [] }
        let own = alarm.source == Event.eccdSource
        return taken.map { route in
            var d = RouteDecision(route: route.name)
            if !route.receivers.isEmpty && !own {
                let labels = route.groupLabels(view).map { $0.map { RouteDecision.Label(name: $0.0, value: $0.1) } }
                d.group = RouteDecision.Group(
                    key: labels.map { l in l.map { "\($0.name)=\($0.value)" }.joined(separator: "\u{1F}") }
                        ?? "alarm:\(alarm.id)",
                    labels: labels ?? [], wait: route.groupWait, interval: route.groupInterval,
                    sendResolved: route.sendResolved)
            }
            if let name = route.escalation {
                // eccd's own alarms were sent at once to a first step without delay too.
                let steps = routeBook.escalations[name]?.steps ?? []
                let first = own && (steps.first?.after ?? 1) <= 0 ? 1 : 0
                if first < max(steps.count, 1) {
                    d.escalation = RouteDecision.Escalation(
                        policy: name, step: first, after: first < steps.count ? max(0, steps[first].after) : 0)
                }
            }
            return d
        }
    }
}

/// The route tree and escalation policies by name, built once per rule set: what the engine's route
/// decisions and the dispatcher look names up in.
package final class RouteBook: Sendable {
    package let routes: [String: Route]
    package let escalations: [String: EscalationPolicy]

    package init(routes: [Route], escalations: [EscalationPolicy]) {
        var r: [String: Route] = [:]
        for x in routes.flatMap(\.flattened) { r[x.name] = x }
        self.routes = r
        var e: [String: EscalationPolicy] = [:]
        for p in escalations { e[p.name] = p }
        self.escalations = e
    }

    package static let empty = RouteBook(routes: [], escalations: [])
}

extension RuleSet {
    /// Every route of the tree by name.
    package var routeIndex: [String: Route] { routeBook.routes }

    /// The receivers an alarm that takes `routes` is sent to at once: the routes' own and the first step
    /// of their escalation policies when it has no delay. Sorted, each once.
    package func receivers(ofRoutes names: [String]) -> [String] {
        let index = routeIndex
        var out = Set<String>()
        for n in names {
            guard let r = index[n] else { continue }
            out.formUnion(r.receivers)
            if let p = r.escalation.flatMap(escalation(named:)), let first = p.steps.first, first.after == 0 {
                out.formUnion(first.receivers)
            }
        }
        return out.sorted()
    }

    /// The escalation policy with this name.
    package func escalation(named name: String) -> EscalationPolicy? { routeBook.escalations[name] }

    /// Every receiver name the routes and escalation policies use, with where it is used.
    package var receiverUses: [(receiver: String, location: SourceLocation?, user: String)] {
        var out: [(String, SourceLocation?, String)] = []
        for r in routes.flatMap(\.flattened) {
            for n in r.receivers { out.append((n, r.location, "route '\(r.name)'")) }
        }
        for p in escalations {
            for s in p.steps { for n in s.receivers { out.append((n, p.location, "escalation '\(p.name)'")) } }
        }
        return out
    }

    static func validateRouting(_ routes: [Route], _ escalations: [EscalationPolicy]) throws(ValidationError) {
        var seen: [String: SourceLocation?] = [:]
        for r in routes.flatMap(\.flattened) {
            if let first = seen[r.name] {
                let at = first.map { " (first defined at \($0))" } ?? ""
                throw ValidationError(message: "duplicate route name '\(r.name)'\(at)", location: r.location)
            }
            seen[r.name] = r.location
            if let e = r.escalation, !escalations.contains(where: { $0.name == e }) {
                let known = escalations.map(\.name).joined(separator: ", ")
                throw ValidationError(
                    message: "route '\(r.name)': no escalation policy named '\(e)' (policies: "
                        + "\(known.isEmpty ? "none" : known))",
                    location: r.location)
            }
        }
        var names: [String: SourceLocation?] = [:]
        for p in escalations {
            if let first = names[p.name] {
                let at = first.map { " (first defined at \($0))" } ?? ""
                throw ValidationError(message: "duplicate escalation name '\(p.name)'\(at)", location: p.location)
            }
            names[p.name] = p.location
        }
    }
}
