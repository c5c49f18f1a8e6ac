import EccCore

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
public enum RuleParser {
    static let ruleKeys = ["rule", "description", "when", "key", "clear_when", "alarm", "stop"]
    static let alarmKeys = ["severity", "summary"]

    /// Parses one file's text. Returns the rules that parsed and every error found.
    public static func parse(_ text: String, file: String) -> (rules: [Rule], errors: [ConfigError]) {
        let doc: YAMLValue?
        do { doc = try YAMLValue.parse(text, file: file) } catch { return ([], [error]) }
        guard let doc else { return ([], []) }
        let items: [YAMLValue]
        do { items = try doc.list("a rule file") } catch {
            return (
                [],
                [
                    ConfigError(
                        error.message + " (a rule file is a list of '- rule: ...' entries)", file: file,
                        at: error.location)
                ]
            )
        }
        var rules: [Rule] = []
        var errors: [ConfigError] = []
        for item in items {
            do { rules.append(try parseRule(item)) } catch { errors.append(error) }
        }
        return (rules, errors)
    }

    static func parseRule(_ value: YAMLValue) throws(ConfigError) -> Rule {
        let map = try value.mapping("a rule", known: ruleKeys)
        guard let nameNode = map["rule"] else { throw value.error("rule has no name: add 'rule: <name>'") }
        let name = try nameNode.string("rule")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:".contains($0) }) else {
            throw nameNode.error("rule name '\(name)' must be non-empty letters, digits, '-', '_', '.' or ':'")
        }
        guard let whenNode = map["when"] else { throw value.error("rule '\(name)' has no 'when' clause") }
        let when = try matcher(whenNode, what: "when")
        let clearWhen = try map["clear_when"].map { v throws(ConfigError) in try matcher(v, what: "clear_when") }
        let key = try template(map["key"], default: "{host}", what: "key")
        guard let alarmNode = map["alarm"] else { throw value.error("rule '\(name)' has no 'alarm' clause") }
        let alarmMap = try alarmNode.mapping("alarm", known: alarmKeys)
        var severity: Severity?
        if let s = alarmMap["severity"] {
            let text = try s.string("severity")
            if text != "event" {
                guard let sev = Severity(name: text) else {
                    throw s.error("unknown severity '\(text)' (expected \(Severity.namesForHelp), or 'event')")
                }
                severity = sev
            }
        }
        let summary = try template(alarmMap["summary"], default: "{type} on {host}", what: "summary")
        let stop = try map["stop"]?.bool("stop") ?? false
        return Rule(
            name: name, when: when, key: key, clearWhen: clearWhen,
            alarm: Rule.AlarmSpec(severity: severity, summary: summary), stop: stop, location: value.location)
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
                    do { out.append(.matches(field, try Pattern(source))) } catch { throw arg.error(error.message) }
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
