import EccCore
import EccYAML

/// Turns the YAML of one rule file into compiled rules, collecting every error with its position.
///
/// A rule file is a list of rules:
/// ```yaml
/// - rule: interface-down
///   when: {type: linkDown}
///   key: "{host}/{ifIndex}"
///   clear_when: {type: linkUp}
///   alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
/// ```
package enum RuleParser {
    static let ruleKeys = [
        "rule", "description", "when", "expect", "absent_for", "key", "clear_when", "alarm", "stop", "hold",
        "auto_clear", "threshold", "escalate", "flap", "sequence", "group", "ci", "root_cause", "incident",
        "once_per", "record", "while_alarm", "unless_alarm", "schedule",
    ]
    static let thresholdKeys = ["count", "within", "rate", "clear_below"]
    static let alarmKeys = ["severity", "summary"]

    /// Parses one file's text. Returns the rules that parsed and every error found.
    package static func parse(_ text: String, file: String) -> (rules: [Rule], errors: [ConfigError]) {
        let (contents, errors) = parseFile(text, file: file)
        return (contents.rules, errors)
    }

    /// The kinds of entry a rule file may hold, by their first key.
    static let entryKinds = [
        "rule", "transform", "table", "ci", "inhibit", "maintenance", "route", "escalation", "engine", "parser",
    ]

    /// Parses one file's text into every kind of entry. Returns what parsed and every error found.
    package static func parseFile(_ text: String, file: String) -> (RuleFileContents, [ConfigError]) {
        var out = RuleFileContents()
        let doc: YAMLValue?
        do { doc = try YAMLValue.parse(text, file: file) } catch { return (out, [error]) }
        guard let doc else { return (out, []) }
        let items: [YAMLValue]
        do { items = try doc.list("a rule file") } catch {
            return (
                out,
                [
                    ConfigError(
                        error.message + " (a rule file is a list of '- rule: ...' entries)", file: file,
                        at: error.location)
                ]
            )
        }
        var errors: [ConfigError] = []
        for item in items {
            do throws(ConfigError) {
                let map = try item.anyMapping("a rule file entry")
                let looksLikeRule = map.entries.contains { ruleKeys.contains($0.name) }
                guard
                    let kind = map.entries.first(where: { entryKinds.contains($0.name) })?.name
                        ?? (looksLikeRule ? "rule" : nil)
                else {
                    throw item.error(
                        "an entry must start with one of \(entryKinds.map { "'\($0):'" }.joined(separator: ", "))")
                }
                switch kind {
                case "rule": out.rules.append(try parseRule(item))
                case "transform": out.transforms.append(try ContextParser.transform(item))
                case "table": out.tables.append(try ContextParser.table(item))
                case "ci": out.cis.append(try ContextParser.ci(item))
                case "inhibit": out.inhibitions.append(try ContextParser.inhibition(item))
                case "maintenance": out.maintenance.append(try ContextParser.maintenance(item))
                case "route": out.routes.append(try RouteParser.route(item, parent: nil))
                case "escalation": out.escalations.append(try RouteParser.escalation(item))
                case "parser": out.parsers.append(try ContextParser.parser(item))
                default: out.engine = try ContextParser.engine(item)
                }
            } catch { errors.append(error) }
        }
        return (out, errors)
    }

    static func parseRule(_ value: YAMLValue) throws(ConfigError) -> Rule {
        let map = try value.mapping("a rule", known: ruleKeys)
        guard let nameNode = map["rule"] else { throw value.error("rule has no name: add 'rule: <name>'") }
        let name = try nameNode.string("rule")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw nameNode.error("rule name '\(name)' must be non-empty letters, digits, '-', '_', '.' or ':'")
        }
        let timing = try parseTiming(map, rule: value, name: name)
        let schedule = try map["schedule"].map { s throws(ConfigError) in try ContextParser.schedule(s, rule: name) }
        if let s = map["schedule"] {
            for k in ["when", "expect", "hold", "threshold", "absent_for", "sequence", "group", "flap"]
            where map[k] != nil {
                throw s.error("rule '\(name)': a calendar rule (schedule) takes no '\(k)'")
            }
        }
        let whenNode: YAMLValue?
        switch (map["when"], map["expect"]) {
        case (nil, nil) where schedule != nil: whenNode = nil
        case (let w?, nil): whenNode = w
        case (nil, let e?):
            guard timing.absentFor != nil else {
                throw e.error("'expect' describes the event an absence rule waits for; add 'absent_for: <duration>'")
            }
            whenNode = e
        case (_?, let e?): throw e.error("a rule has either 'when' (events that raise) or 'expect' (absence), not both")
        case (nil, nil): throw value.error("rule '\(name)' has no 'when' clause")
        }
        let when =
            try whenNode.map { n throws(ConfigError) in try matcher(n, what: map["when"] != nil ? "when" : "expect") }
            ?? Rule.never
        let clearWhen = try map["clear_when"].map { v throws(ConfigError) in try matcher(v, what: "clear_when") }
        // A calendar rule's alarm stands for its occurrences: one per rule unless its key says otherwise.
        let key = try template(map["key"], default: schedule != nil ? "{type}" : "{host}", what: "key")
        // A calendar rule that only emits events needs no alarm clause.
        guard map["alarm"] != nil || schedule?.emit != nil else {
            throw value.error("rule '\(name)' has no 'alarm' clause")
        }
        let alarmMap = try map["alarm"]?.mapping("alarm", known: alarmKeys)
        var severity: Severity?
        if let s = alarmMap?["severity"] {
            let text = try s.string("severity")
            if text != "event" {
                guard let sev = Severity(name: text) else {
                    throw s.error("unknown severity '\(text)' (expected \(Severity.namesForHelp), or 'event')")
                }
                severity = sev
            }
        }
        let summary = try template(alarmMap?["summary"], default: "{type} on {host}", what: "summary")
        let stop = try map["stop"]?.bool("stop") ?? false
        var rule = Rule(
            name: name, when: when, key: key, clearWhen: clearWhen,
            alarm: Rule.AlarmSpec(severity: severity, summary: summary), stop: stop, timing: timing,
            location: value.location)
        if let ci = map["ci"] { rule.ci = try template(ci, default: "{host}", what: "ci") }
        rule.rootCause = try map["root_cause"]?.bool("root_cause") ?? false
        rule.opensIncident = try map["incident"]?.bool("incident") ?? true
        rule.schedule = schedule
        for (field, active) in [("while_alarm", true), ("unless_alarm", false)] {
            guard let node = map[field] else { continue }
            let items: [YAMLValue]
            if case .sequence = node.node { items = try node.list(field) } else { items = [node] }
            for item in items {
                let m = try item.mapping(field, known: ["rule", "key"])
                guard let r = m["rule"] else {
                    throw item.error(
                        "\(field) needs 'rule' (and 'key', default \"{host}\"), e.g. {rule: site-down, key: \"{site}\"}"
                    )
                }
                rule.alarmConditions.append(
                    Rule.AlarmCondition(
                        rule: try r.string("\(field).rule"),
                        key: try template(m["key"], default: "{host}", what: "\(field).key"),
                        active: active, location: r.location))
            }
        }
        if let r = map["record"] {
            let text = try r.string("record")
            guard let record = Rule.Record(rawValue: text) else {
                throw r.error("record must be changes (the default: repeats coalesced) or every, not '\(text)'")
            }
            rule.record = record
        }
        if timing.oncePer != nil, let o = map["once_per"] {
            for k in ["absent_for", "group", "flap"] where map[k] != nil {
                throw o.error("rule '\(name)': once_per does not apply to a rule with '\(k)'")
            }
        }
        if timing.flap != nil, clearWhen == nil, let f = map["flap"] {
            throw f.error("rule '\(name)': flap detection counts raises and clears; add 'clear_when'")
        }
        if let e = map["escalate"], let fixed = severity, let top = timing.escalate.last, top.severity <= fixed {
            throw e.error("rule '\(name)': escalation must rise above the alarm's severity (\(fixed.name))")
        }
        return rule
    }

    /// hold, auto_clear, threshold, absent_for — and which combinations make sense.
    static func parseTiming(_ map: YAMLMapping, rule: YAMLValue, name: String) throws(ConfigError) -> Rule.Timing {
        var t = Rule.Timing()
        func positive(_ key: String) throws(ConfigError) -> Int64? {
            guard let v = map[key] else { return nil }
            let ns = try v.duration(key)
            guard ns > 0 else { throw v.error("\(key) must be longer than 0") }
            return ns
        }
        t.hold = try positive("hold")
        t.autoClear = try positive("auto_clear")
        t.oncePer = try positive("once_per")
        t.absentFor = try positive("absent_for")
        if let th = map["threshold"] {
            let m = try th.mapping("threshold", known: thresholdKeys)
            var count: Int
            var within: Int64
            if let rate = m["rate"] {
                guard m["count"] == nil, m["within"] == nil else {
                    throw rate.error("threshold: give either 'rate: N/duration' or 'count' and 'within'")
                }
                let text = try rate.string("threshold.rate")
                let parts = text.split(separator: "/", maxSplits: 1)
                // "10/1m", or "10/m" for one unit.
                let per = parts.count == 2 ? String(parts[1]).trimmingSpaces() : ""
                guard parts.count == 2, let n = Int(String(parts[0]).trimmingSpaces()), n >= 1,
                    let d = Durations.parse(per) ?? Durations.parse("1" + per), d > 0
                else { throw rate.error("threshold.rate must look like 10/1m (events per duration), not '\(text)'") }
                count = n
                within = d
            } else {
                guard let c = m["count"], let w = m["within"] else {
                    throw th.error("threshold needs 'count' and 'within' (e.g. {count: 5, within: 60s}) or 'rate'")
                }
                count = try c.int("threshold.count")
                guard count >= 1 else { throw c.error("threshold.count must be at least 1") }
                within = try w.duration("threshold.within")
                guard within > 0 else { throw w.error("threshold.within must be longer than 0") }
            }
            var clearBelow: Int?
            if let cb = m["clear_below"] {
                let n = try cb.int("threshold.clear_below")
                guard n >= 1, n <= count else {
                    throw cb.error("threshold.clear_below must be between 1 and the count (\(count))")
                }
                clearBelow = n
            }
            t.threshold = Rule.Threshold(count: count, within: within, clearBelow: clearBelow)
        }
        if t.hold != nil, let th = map["threshold"] {
            throw th.error("rule '\(name)': 'hold' and 'threshold' cannot be combined")
        }
        try ContextParser.patterns(map, into: &t, name: name)
        if t.absentFor != nil {
            for k in ["hold", "threshold", "clear_when", "auto_clear"] {
                if let v = map[k] {
                    throw v.error(
                        "rule '\(name)': an absence rule clears when the expected event returns; '\(k)' does not apply")
                }
            }
            if let w = map["when"] {
                throw w.error("an absence rule names its expected event with 'expect', not 'when'")
            }
        }
        return t
    }

    /// Operators a field's condition may use: `{gt: 90}`, `{regex: "..."}`, `{cidr: 10.0.0.0/8}`, ...
    static let operators = ["eq", "ne", "gt", "ge", "lt", "le", "in", "not", "regex", "cidr", "exists", "missing"]

    /// Parses a match clause: `field: value`, `field: [values]`, `field: {operator: value}`, and the
    /// combinators `not: {...}`, `any: [{...}]`, `all: [{...}]`.
    static func matcher(_ value: YAMLValue, what: String) throws(ConfigError) -> Matcher {
        let map = try value.anyMapping(what)
        var conditions: [Matcher.Condition] = []
        for (key, name, v) in map.entries {
            guard !name.isEmpty else { throw key.error("empty field name in '\(what)'") }
            switch name {
            case "not":
                conditions.append(.not(try matcher(v, what: "\(what).not")))
            case "any", "all":
                let items = try v.list("\(what).\(name)")
                guard !items.isEmpty else { throw v.error("'\(what).\(name)' needs at least one clause") }
                var ms: [Matcher] = []
                for (i, item) in items.enumerated() { ms.append(try matcher(item, what: "\(what).\(name)[\(i)]")) }
                conditions.append(name == "any" ? .any(ms) : .all(ms))
            default:
                conditions += try fieldConditions(Field(name: name), v, what: "\(what).\(name)")
            }
        }
        return Matcher(conditions)
    }

    static func fieldConditions(_ field: Field, _ v: YAMLValue, what: String) throws(ConfigError) -> [Matcher.Condition]
    {
        switch v.node {
        case .scalar:
            return [.equals(field, try text(field, v, what))]
        case .sequence:
            return [.oneOf(field, try values(field, v, what))]
        case .mapping:
            let ops = try v.mapping(what, known: operators)
            var out: [Matcher.Condition] = []
            for (_, op, arg) in ops.entries {
                switch op {
                case "eq", "ne", "gt", "ge", "lt", "le":
                    let t = try arg.string("\(what).\(op)")
                    guard let n = Double(t.replacingUnderscores()) else {
                        throw arg.error(
                            "'\(what).\(op)' must be a number, not '\(t)' (for text equality write '\(field): value')")
                    }
                    out.append(.compare(field, Matcher.Comparison(rawValue: op) ?? .eq, n))
                case "in":
                    out.append(.oneOf(field, try values(field, arg, "\(what).in")))
                case "not":
                    if case .sequence = arg.node {
                        out.append(.not(Matcher([.oneOf(field, try values(field, arg, "\(what).not"))])))
                    } else {
                        out.append(.not(Matcher([.equals(field, try text(field, arg, "\(what).not"))])))
                    }
                case "regex":
                    let source = try arg.string("\(what).regex")
                    do { out.append(.matches(field, try Pattern(source))) } catch {
                        throw arg.error(error.message, atScalar: error.offset)
                    }
                case "cidr":
                    let texts: [String]
                    if case .sequence = arg.node {
                        texts = try arg.list("\(what).cidr").map { n throws(ConfigError) in try n.string("a network") }
                    } else {
                        texts = [try arg.string("\(what).cidr")]
                    }
                    var nets: [CIDR] = []
                    for t in texts {
                        guard let net = CIDR(t) else {
                            throw arg.error("'\(t)' is not a network in CIDR notation (e.g. 10.0.0.0/8, 2001:db8::/32)")
                        }
                        nets.append(net)
                    }
                    out.append(.inNetworks(field, nets))
                case "exists":
                    out.append(.exists(field, try arg.bool("\(what).exists")))
                default:  // missing
                    out.append(.exists(field, !(try arg.bool("\(what).missing"))))
                }
            }
            guard !out.isEmpty else {
                throw v.error("'\(what)' has no operator (one of \(operators.joined(separator: ", ")))")
            }
            return out
        case .alias:
            throw v.error("'\(what)': YAML aliases are not supported in rules")
        }
    }

    /// A scalar compared as text; severities are canonicalised so `crit` in a rule matches `critical`.
    static func text(_ field: Field, _ v: YAMLValue, _ what: String) throws(ConfigError) -> String {
        let t = try v.string(what)
        if field == .severity {
            guard let s = Severity(name: t) else {
                throw v.error("unknown severity '\(t)' (expected \(Severity.namesForHelp))")
            }
            return s.name
        }
        return t
    }

    static func values(_ field: Field, _ v: YAMLValue, _ what: String) throws(ConfigError) -> Set<String> {
        let items = try v.list(what)
        guard !items.isEmpty else { throw v.error("'\(what)' is an empty list: it would never match") }
        var out = Set<String>()
        for item in items { out.insert(try text(field, item, what)) }
        return out
    }

    static func template(_ value: YAMLValue?, default fallback: String, what: String) throws(ConfigError) -> Template {
        guard let value else {
            do { return try Template(fallback) } catch { preconditionFailure("built-in template is valid") }
        }
        let text = try value.string(what)
        do { return try Template(text) } catch {
            var loc = value.location
            // Point at the offending character when the scalar is on one line (quoted: +1 for the quote).
            if case .scalar(let s) = value.node, !text.contains("\n") {
                loc.column += error.offset + (s.style == .plain ? 0 : 1)
            }
            throw ConfigError("\(what): \(error.message)", file: value.file, at: loc)
        }
    }
}
