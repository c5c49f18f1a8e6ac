import EccCore
import EccYAML
import Foundation

/// The `- engine: settings` entry: lateness and what to do with history (see ``HistoryPolicy``).
package struct EngineSettings: Sendable, Equatable {
    package var lateness: Int64?
    package var history = HistoryPolicy()

    package init() {}
}

/// Everything one rule file holds.
package struct RuleFileContents: Sendable {
    package var rules: [Rule] = []
    package var transforms: [Transform] = []
    package var tables: [LookupTable] = []
    package var cis: [CMDB.Item] = []
    package var inhibitions: [Inhibition] = []
    package var maintenance: [MaintenanceWindow] = []
    package var routes: [Route] = []
    package var escalations: [EscalationPolicy] = []
    package var parsers: [LineParser] = []
    /// `- engine: settings`, with where it was written.
    package var engine: (EngineSettings, SourceLocation)?

    package init() {}
}

/// Parses the entries of a rule file other than rules, and the correlation patterns of rules.
enum ContextParser {
    // MARK: Rule patterns

    static func patterns(_ map: YAMLMapping, into t: inout Rule.Timing, name: String) throws(ConfigError) {
        if let e = map["escalate"] {
            var steps: [Rule.Escalation] = []
            for item in try e.list("escalate") {
                let m = try item.mapping("an escalation step", known: ["after", "severity"])
                guard let after = m["after"], let sev = m["severity"] else {
                    throw item.error(
                        "an escalation step needs 'after' and 'severity' (e.g. {after: 30m, severity: critical})")
                }
                let d = try after.duration("escalate.after")
                guard d > 0 else { throw after.error("escalate.after must be longer than 0") }
                let s = try sev.severity("escalate.severity")
                if let last = steps.last, d <= last.after || s <= last.severity {
                    throw item.error("escalation steps must come later and rise in severity, one after the other")
                }
                steps.append(Rule.Escalation(after: d, severity: s))
            }
            guard !steps.isEmpty else { throw e.error("escalate needs at least one step") }
            t.escalate = steps
        }
        if let f = map["flap"] {
            let m = try f.mapping("flap", known: ["count", "within"])
            guard let c = m["count"], let w = m["within"] else {
                throw f.error("flap needs 'count' and 'within' (e.g. {count: 4, within: 10m})")
            }
            let count = try c.int("flap.count")
            guard count >= 2 else { throw c.error("flap.count must be at least 2 (a raise and a clear)") }
            let within = try w.duration("flap.within")
            guard within > 0 else { throw w.error("flap.within must be longer than 0") }
            t.flap = Rule.Flap(count: count, within: within)
        }
        if let q = map["sequence"] {
            let m = try q.mapping("sequence", known: ["then", "within", "absent", "from"])
            guard let thenNode = m["then"], let w = m["within"] else {
                throw q.error(
                    "sequence needs 'then' (the second event) and 'within' (e.g. {then: {type: b}, within: 5m})")
            }
            let then = try RuleParser.matcher(thenNode, what: "sequence.then")
            let within = try w.duration("sequence.within")
            guard within > 0 else { throw w.error("sequence.within must be longer than 0") }
            var from: Rule.Sequence.Anchor?
            if let f = m["from"] {
                let text = try f.string("sequence.from")
                guard let a = Rule.Sequence.Anchor(rawValue: text) else {
                    throw f.error("sequence.from must be first or latest, not '\(text)'")
                }
                from = a
            }
            t.sequence = Rule.Sequence(
                then: then, within: within, absent: try m["absent"]?.bool("sequence.absent") ?? false, from: from)
        }
        if let g = map["group"] {
            let m = try g.mapping("group", known: ["by", "count", "within", "clear_below"])
            guard let by = m["by"], let c = m["count"], let w = m["within"] else {
                throw g.error("group needs 'by', 'count' and 'within' (e.g. {by: \"{host}\", count: 5, within: 5m})")
            }
            let count = try c.int("group.count")
            guard count >= 2 else { throw c.error("group.count must be at least 2 distinct keys") }
            let within = try w.duration("group.within")
            guard within > 0 else { throw w.error("group.within must be longer than 0") }
            var clearBelow = 1
            if let cb = m["clear_below"] {
                clearBelow = try cb.int("group.clear_below")
                guard clearBelow >= 1, clearBelow <= count else {
                    throw cb.error("group.clear_below must be between 1 and the count (\(count))")
                }
            }
            t.group = Rule.Group(
                by: try RuleParser.template(by, default: "{host}", what: "group.by"), count: count, within: within,
                clearBelow: clearBelow)
        }
        // Which constructs combine.
        let exclusive: [(String, Bool)] = [
            ("hold", t.hold != nil), ("threshold", t.threshold != nil), ("absent_for", t.absentFor != nil),
            ("sequence", t.sequence != nil), ("group", t.group != nil),
        ]
        let present = exclusive.filter(\.1).map(\.0)
        if present.count > 1, let node = map[present[1]] {
            throw node.error("rule '\(name)': '\(present[0])' and '\(present[1])' cannot be combined")
        }
        if t.flap != nil, let f = map["flap"], t.threshold != nil || t.absentFor != nil || t.group != nil {
            throw f.error("rule '\(name)': flap detection applies to rules raised and cleared by events")
        }
    }

    // MARK: CMDB, inhibition, routes

    static func ci(_ v: YAMLValue) throws(ConfigError) -> CMDB.Item {
        let m = try v.anyMapping("a configuration item")
        let name = try m["ci"]?.string("ci") ?? ""
        guard !name.isEmpty else { throw v.error("a configuration item needs a name: 'ci: <name>'") }
        var attributes: [String: String] = [:]
        for (_, k, val) in m.entries where k != "ci" && k != "parent" { attributes[k] = try val.string(k) }
        let parent = try m["parent"]?.string("parent")
        if parent == name, let p = m["parent"] { throw p.error("'\(name)' cannot be its own parent") }
        return CMDB.Item(name: name, parent: parent, attributes: attributes, location: v.location)
    }

    static func names(_ v: YAMLValue, _ what: String) throws(ConfigError) -> Set<String> {
        if case .sequence = v.node {
            let items = try v.list(what).map { n throws(ConfigError) in try n.string(what) }
            guard !items.isEmpty else { throw v.error("'\(what)' is an empty list") }
            return Set(items)
        }
        return [try v.string(what)]
    }

    static func inhibition(_ v: YAMLValue) throws(ConfigError) -> Inhibition {
        let m = try v.mapping(
            "an inhibition",
            known: ["inhibit", "description", "source", "source_match", "target", "target_match", "equal"])
        let name = try m["inhibit"]?.string("inhibit") ?? ""
        guard !name.isEmpty else { throw v.error("an inhibition needs a name: 'inhibit: <name>'") }
        guard let source = m["source"] else {
            throw v.error("inhibit '\(name)' needs 'source' (the rules whose active alarms inhibit)")
        }
        let equal = try m["equal"].map { e throws(ConfigError) in
            try e.list("equal").map { n throws(ConfigError) in Field(name: try n.string("equal entry")) }
        }
        return Inhibition(
            name: name, sources: try names(source, "source"),
            sourceMatch: try m["source_match"].map { x throws(ConfigError) in
                try RuleParser.matcher(x, what: "source_match")
            },
            targets: try m["target"].map { x throws(ConfigError) in try names(x, "target") },
            targetMatch: try m["target_match"].map { x throws(ConfigError) in
                try RuleParser.matcher(x, what: "target_match")
            },
            equal: equal ?? [], location: v.location)
    }

    static func engine(_ v: YAMLValue) throws(ConfigError) -> (EngineSettings, SourceLocation) {
        let keys = ["lateness", "history_after", "history_idle", "history_senders", "max_future"]
        let m = try v.mapping("engine settings", known: ["engine"] + keys)
        if let e = m["engine"], case .scalar = e.node {
        } else if let e = m["engine"] {
            throw e.error("write '- engine: settings' followed by the settings, e.g. 'lateness: 10s'")
        }
        guard let first = keys.lazy.compactMap({ m[$0] }).first else {
            throw v.error("engine settings: give at least one of \(keys.joined(separator: ", "))")
        }
        func duration(_ key: String, _ range: ClosedRange<Int64>, _ words: String) throws(ConfigError) -> Int64? {
            guard let x = m[key] else { return nil }
            let d = try x.duration(key)
            guard range.contains(d) else { throw x.error("\(key) must be between \(words)") }
            return d
        }
        var settings = EngineSettings()
        let hour: Int64 = 3_600_000_000_000
        settings.lateness = try duration("lateness", 0...hour, "0s and 1h")
        if let d = try duration("history_after", 1_000_000_000...24 * hour, "1s and 24h") { settings.history.after = d }
        if let d = try duration("history_idle", 100_000_000...hour, "100ms and 1h") { settings.history.idle = d }
        if let x = m["history_senders"] {
            let n = try x.int("history_senders")
            guard (1...100_000).contains(n) else { throw x.error("history_senders must be between 1 and 100000") }
            settings.history.maxSenders = n
        }
        if let d = try duration("max_future", 0...24 * hour, "0s and 24h") { settings.history.maxFuture = d }
        return (settings, first.location)
    }

}
