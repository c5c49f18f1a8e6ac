/// Why a rule does or does not take an event: the answer to `eccctl rules explain`.
package struct RuleExplanation: Sendable {
    /// One condition and whether it held.
    package struct Check: Sendable, Hashable {
        package var condition: String
        package var passed: Bool
    }

    package var rule: String
    package var location: SourceLocation?
    /// False when the type index ruled the rule out without testing it.
    package var candidate: Bool
    package var when: [Check]
    package var matched: Bool
    package var clear: [Check]
    package var clears: Bool
    /// Sequence rules: the conditions of the follow-up event (`then`), and whether they held.
    package var then: [Check] = []
    package var follows = false
    /// An earlier rule with `stop: true` took the event first.
    package var stoppedBy: String?
    /// The rendered key and what the rule would do, when it matched or clears.
    package var key: String?
    package var outcome: String
}

extension Matcher.Condition: CustomStringConvertible {
    package var description: String {
        switch self {
        case .equals(let f, let v): "\(f) = \(v)"
        case .oneOf(let f, let vs): "\(f) in [\(vs.sorted().joined(separator: ", "))]"
        case .compare(let f, let op, let v): "\(f) \(op.symbol) \(v.formatted)"
        case .inNetworks(let f, let nets): "\(f) in \(nets.map(\.description).joined(separator: ", "))"
        case .exists(let f, let present): present ? "\(f) exists" : "\(f) is missing"
        case .matches(let f, let p): "\(f) ~ /\(p.source)/"
        case .not(let m): "not (\(m.conditions.map(\.description).joined(separator: ", ")))"
        case .any(let ms):
            "any of [\(ms.map { "(\($0.conditions.map(\.description).joined(separator: ", ")))" }.joined(separator: ", "))]"
        case .all(let ms):
            "all of [\(ms.map { "(\($0.conditions.map(\.description).joined(separator: ", ")))" }.joined(separator: ", "))]"
        }
    }
}

extension Matcher.Comparison {
    var symbol: String {
        switch self {
        case .eq: "=="
        case .ne: "!="
        case .gt: ">"
        case .ge: ">="
        case .lt: "<"
        case .le: "<="
        }
    }
}

extension Double {
    fileprivate var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}

extension Matcher {
    /// Each condition with its result, and what the event's field held.
    package func explain(_ event: Event) -> [RuleExplanation.Check] {
        conditions.map { c in
            let passed = Matcher([c]).matches(event)
            var text = c.description
            if let field = c.field {
                text += "   (\(field): " + (event.text(of: field).map { "\"\($0)\"" } ?? "absent") + ")"
            }
            return RuleExplanation.Check(condition: text, passed: passed)
        }
    }
}

extension Matcher.Condition {
    var field: Field? {
        switch self {
        case .equals(let f, _), .oneOf(let f, _), .compare(let f, _, _), .inNetworks(let f, _), .exists(let f, _),
            .matches(let f, _):
            f
        case .not, .any, .all: nil
        }
    }
}

extension RuleSet {
    /// How every rule treats `event`, in evaluation order, without changing any state.
    package func explain(_ event: Event) -> [RuleExplanation] {
        let c = candidates(type: event.type)
        let whenCandidates = Set(c.when)
        let clearCandidates = Set(c.clear)
        let thenCandidates = Set(c.then)
        var stoppedBy: String?
        var conditionalStop: String?
        return rules.enumerated().map { i, rule in
            let when = rule.when.explain(event)
            var captures: [(String, String)] = []
            let matched = rule.when.matches(event, captures: &captures)
            let clear = rule.clearWhen?.explain(event) ?? []
            let clears = rule.clearWhen?.matches(event) ?? false
            let candidate = whenCandidates.contains(i) || clearCandidates.contains(i) || thenCandidates.contains(i)
            var thenCaptures: [(String, String)] = []
            let follows = rule.timing.sequence?.then.matches(event, captures: &thenCaptures) ?? false
            var e = RuleExplanation(
                rule: rule.name, location: rule.location, candidate: candidate, when: when,
                matched: matched && stoppedBy == nil, clear: clear, clears: clears, stoppedBy: stoppedBy, key: nil,
                outcome: "")
            var withCaptures = event
            for (k, v) in captures { withCaptures.attributes[k] = .string(v) }
            if clears {
                e.key = rule.key.render(event)
                e.outcome =
                    "clears its alarm [\(e.key ?? "")] if active"
                    + (rule.timing.isPlain ? "" : ", and drops held or counted events")
            } else if matched, let stop = stoppedBy {
                e.outcome = "matches, but rule '\(stop)' (stop: true) took the event first"
            } else if matched {
                e.key = rule.key.render(withCaptures)
                let severity = (rule.alarm.severity ?? event.severity).name
                let summary = rule.alarm.summary.render(withCaptures, count: 1)
                let t = rule.timing
                var what: String
                if let absent = t.absentFor {
                    what =
                        "is the expected event: clears [\(e.key ?? "")] if missing; raises \(severity) "
                        + "\"\(summary)\" if none follows within \(durationText(absent))"
                } else if let hold = t.hold {
                    what = "would raise \(severity) \"\(summary)\" after \(durationText(hold)) unless cleared (hold)"
                } else if let g = t.group {
                    let group = g.by.render(withCaptures)
                    what =
                        "is member [\(e.key ?? "")] of group [\(group)]: raises \(severity) "
                        + "\"\(rule.alarm.summary.render(withCaptures, count: Int64(g.count)))\" once \(g.count) distinct "
                        + "members arrive within \(durationText(g.within))"
                } else if let q = t.sequence {
                    what =
                        q.absent
                        ? "starts a wait of \(durationText(q.within)) for its follow-up event; raises \(severity) "
                            + "\"\(summary)\" if none comes"
                        : "is the first event: raises \(severity) \"\(summary)\" if its follow-up event comes within "
                            + durationText(q.within)
                } else if let th = t.threshold {
                    what =
                        "counts towards \(th.count) events within \(durationText(th.within)); then raises \(severity) "
                        + "\"\(rule.alarm.summary.render(withCaptures, count: Int64(th.count)))\""
                } else {
                    what = "raises \(severity) \"\(summary)\" (or repeats it if already active)"
                }
                if let quiet = t.autoClear { what += "; auto-clears after \(durationText(quiet)) of silence" }
                if let f = t.flap {
                    what += "; flapping after \(f.count) raises and clears within \(durationText(f.within))"
                }
                for step in t.escalate {
                    what += "; escalates to \(step.severity.name) after \(durationText(step.after))"
                }
                for c in rule.alarmConditions {
                    what +=
                        "; only while \(c.active ? "an" : "no") alarm of '\(c.rule)' [\(c.key.render(withCaptures))] is active"
                }
                if let first = conditionalStop {
                    what +=
                        "; unless rule '\(first)' (stop: true) takes the event first, as it does while its alarm condition holds"
                }
                e.outcome = what
                // A rule with alarm conditions takes the event only while they hold, which depends on the alarms.
                if rule.stop {
                    if rule.alarmConditions.isEmpty {
                        stoppedBy = rule.name
                    } else {
                        conditionalStop = conditionalStop ?? rule.name
                    }
                }
            } else if follows, let q = rule.timing.sequence {
                var followUp = event
                for (k, v) in thenCaptures { followUp.attributes[k] = .string(v) }
                e.key = rule.key.render(followUp)
                e.then = q.then.explain(event)
                e.follows = true
                e.outcome =
                    q.absent
                    ? "is the follow-up event of [\(e.key ?? "")]: ends its wait if the first event came within "
                        + "\(durationText(q.within)) before; clears its alarm if it comes later"
                    : "is the follow-up event of [\(e.key ?? "")]: raises \((rule.alarm.severity ?? event.severity).name) "
                        + "if the first event came within \(durationText(q.within)) before"
            } else if !candidate {
                e.outcome = "not considered: its 'when' names another type"
            } else {
                e.outcome = "does not match"
            }
            return e
        }
    }
}

/// `30s`, `5m`, `1h30m` from nanoseconds (the core's own, so it stays standard-library only).
func durationText(_ ns: Int64) -> String {
    var rest = ns / 1_000_000_000
    if rest == 0 { return "\(ns / 1_000_000)ms" }
    var out = ""
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where rest >= size {
        out += "\(rest / size)\(unit)"
        rest %= size
    }
    if rest > 0 || out.isEmpty { out += "\(rest)s" }
    return out
}
