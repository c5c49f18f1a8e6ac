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

    static func matcher(_ value: YAMLValue, what: String) throws(ConfigError) -> Matcher {
        let map = try value.anyMapping(what)
        var conditions: [Matcher.Condition] = []
        for (key, name, v) in map.entries {
            guard !name.isEmpty else { throw key.error("empty field name in '\(what)'") }
            guard case .scalar = v.node else {
                throw v.error("'\(what).\(name)' must be a single value (lists and operators are not supported yet)")
            }
            let text = try v.string("\(what).\(name)")
            let field = Field(name: name)
            if field == .severity, Severity(name: text) == nil {
                throw v.error("unknown severity '\(text)' (expected \(Severity.namesForHelp))")
            }
            // Severities compare by canonical name, so `crit` in a rule matches `critical` events.
            let value = field == .severity ? (Severity(name: text)?.name ?? text) : text
            conditions.append(.equals(field, value))
        }
        return Matcher(conditions)
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
