import EccCore
import EccYAML

/// Checks a loaded rule set for mistakes the parser cannot see: rules that can never match, and template
/// fields that nothing produces.
package enum RuleLint {
    /// A finding; errors make `rules check` fail, warnings are printed with `--strict`.
    package struct Finding: Sendable, CustomStringConvertible {
        package var error: Bool
        package var location: SourceLocation?
        package var message: String

        package var description: String {
            (location.map { "\($0): " } ?? "") + (error ? "" : "warning: ") + message
        }
    }

    package static func check(_ set: RuleSet) -> [Finding] {
        var out: [Finding] = []
        out += unreachable(set)
        out += templateFields(set)
        return out
    }

    // MARK: Unreachable rules

    /// A rule is unreachable when an earlier rule with `stop: true` matches every event it matches: the
    /// earlier rule's conditions are a subset of its own (so whatever passes the later one passed the earlier).
    static func unreachable(_ set: RuleSet) -> [Finding] {
        var out: [Finding] = []
        let rules = set.rules
        for (j, later) in rules.enumerated() {
            let mine = Set(later.when.conditions.map(\.description))
            // A rule that also needs other alarms (while_alarm, unless_alarm) does not take every event it matches.
            for earlier in rules[..<j] where earlier.stop && earlier.alarmConditions.isEmpty {
                let theirs = Set(earlier.when.conditions.map(\.description))
                guard theirs.isSubset(of: mine) || covers(earlier.when, later.when) else { continue }
                let at = earlier.location.map { " (\($0))" } ?? ""
                out.append(
                    Finding(
                        error: true, location: later.location,
                        message: "rule '\(later.name)' can never match: rule '\(earlier.name)'\(at) has stop: true "
                            + "and takes every event this rule would match"))
                break
            }
        }
        return out
    }

    /// `type: [a, b]` covers `type: a`: a one-of condition covers an equality or a smaller one-of on the same
    /// field, when every other condition of the earlier rule also appears in the later one.
    static func covers(_ earlier: Matcher, _ later: Matcher) -> Bool {
        for c in earlier.conditions {
            if later.conditions.contains(c) { continue }
            guard case .oneOf(let f, let values) = c else { return false }
            let ok = later.conditions.contains { l in
                switch l {
                case .equals(f, let v): values.contains(v)
                case .oneOf(f, let vs): vs.isSubset(of: values)
                default: false
                }
            }
            if !ok { return false }
        }
        return true
    }

    // MARK: Template fields

    /// Fields a rule's templates read that nothing can produce: an error when the rule's own `when` requires
    /// the field to be missing, or when the name is a near miss of a field the rules do know (a typo);
    /// otherwise a warning (events may carry it; the template renders empty when they do not).
    static func templateFields(_ set: RuleSet) -> [Finding] {
        var known: Set<String> = ["host", "source", "type", "severity", "summary", "time"]
        for t in set.transforms { known.formUnion(t.producedFields(tables: set.tables)) }
        for r in set.rules {
            known.formUnion(fields(r.when, positive: true))
            if let c = r.clearWhen { known.formUnion(fields(c, positive: true)) }
            if let s = r.timing.sequence { known.formUnion(fields(s.then, positive: true)) }
        }
        for i in set.inhibitions { known.formUnion(i.equal.map(\.description)) }
        var out: [Finding] = []
        for r in set.rules {
            let own = fields(r.when, positive: true)
            let absent = missingFields(r.when)
            var templates: [(String, Template)] = [("key", r.key), ("summary", r.alarm.summary)]
            if let ci = r.ci { templates.append(("ci", ci)) }
            if let g = r.timing.group { templates.append(("group.by", g.by)) }
            var reported: Set<String> = []
            for (what, t) in templates {
                for f in t.fields {
                    let name = f.description
                    guard !own.contains(name), reported.insert(name).inserted else { continue }
                    if absent.contains(name) {
                        out.append(
                            Finding(
                                error: true, location: r.location,
                                message:
                                    "rule '\(r.name)': \(what) uses {\(name)}, but 'when' requires it to be missing"))
                    } else if !known.contains(name) {
                        if let near = known.first(where: { nearMiss($0, name) }) {
                            out.append(
                                Finding(
                                    error: true, location: r.location,
                                    message: "rule '\(r.name)': \(what) uses {\(name)}, which no rule, capture or "
                                        + "transform produces; did you mean {\(near)}?"))
                        } else {
                            out.append(
                                Finding(
                                    error: false, location: r.location,
                                    message: "rule '\(r.name)': \(what) uses {\(name)}, which no rule tests and no "
                                        + "transform sets; it renders empty for events without it"))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Field names a matcher tests (or captures) in a way that implies they are present.
    static func fields(_ m: Matcher, positive: Bool) -> Set<String> {
        var out: Set<String> = []
        for c in m.conditions {
            switch c {
            case .equals(let f, _), .oneOf(let f, _), .compare(let f, _, _), .inNetworks(let f, _):
                out.insert(f.description)
            case .exists(let f, let present):
                if present { out.insert(f.description) }
            case .matches(let f, let p):
                out.insert(f.description)
                out.formUnion(p.captureNames)
            case .any(let ms), .all(let ms):
                for x in ms { out.formUnion(fields(x, positive: positive)) }
            case .not: break
            }
        }
        return out
    }

    static func missingFields(_ m: Matcher) -> Set<String> {
        var out: Set<String> = []
        for c in m.conditions {
            if case .exists(let f, false) = c { out.insert(f.description) }
        }
        return out
    }

    /// Same letters ignoring case, or one edit apart (for names longer than three letters).
    static func nearMiss(_ a: String, _ b: String) -> Bool {
        guard a != b else { return false }
        if a.lowercased() == b.lowercased() { return true }
        guard a.count > 3, b.count > 3, abs(a.count - b.count) <= 1 else { return false }
        return YAMLMapping.editDistance(a, b) <= 1
    }
}
