import EccCore
import EccYAML

/// `- parser:` entries: raw text lines into events (``LineParser``).
extension ContextParser {
    static func parser(_ v: YAMLValue) throws(ConfigError) -> LineParser {
        let m = try v.mapping("a parser", known: ["parser", "description", "match", "time", "event", "split", "set"])
        let name = try m["parser"]?.string("parser") ?? ""
        guard !name.isEmpty else { throw v.error("a parser needs a name: 'parser: <name>'") }
        guard let matchNode = m["match"] else {
            throw v.error("parser '\(name)' needs 'match: <regular expression with named captures>'")
        }
        let pattern: Pattern
        let source = try matchNode.string("match")
        do { pattern = try Pattern(source) } catch {
            throw matchNode.error(error.message, atScalar: error.offset)
        }
        func capture(_ n: YAMLValue, _ what: String) throws(ConfigError) -> String {
            let c = try n.string(what)
            guard pattern.captureNames.contains(c) else {
                let known = pattern.captureNames.joined(separator: ", ")
                throw n.error(
                    "\(what): the expression has no capture '\(c)' (it has: \(known.isEmpty ? "none" : known))")
            }
            return c
        }
        guard let eventNode = m["event"] else {
            throw v.error("parser '\(name)' needs 'event: {type: ...}' (source, host, severity, summary optional)")
        }
        let e = try eventNode.mapping("a parser's event", known: ["source", "host", "type", "severity", "summary"])
        guard e["type"] != nil || pattern.captureNames.contains("type") else {
            throw eventNode.error("a parser's event needs a 'type' (or the expression a capture named type)")
        }
        func field(_ key: String) throws(ConfigError) -> Template? {
            try e[key].map { x throws(ConfigError) in try RuleParser.template(x, default: "", what: "event.\(key)") }
        }
        var parser = LineParser(
            name: name, pattern: pattern, source: try field("source"), host: try field("host"), type: try field("type"),
            severity: try e["severity"].map { x throws(ConfigError) in
                let t = try RuleParser.template(x, default: "", what: "event.severity")
                if !t.source.contains("{"), Severity(name: t.source) == nil {
                    throw x.error("unknown severity '\(t.source)'")
                }
                return t
            },
            summary: try field("summary"), location: v.location)
        if let t = m["time"] {
            let tm = try t.mapping("a parser's time", known: ["capture", "format", "timezone"])
            guard let c = tm["capture"], let f = tm["format"] else {
                throw t.error("a parser's time needs 'capture' and 'format' (rfc3339, unix, unix_ms or %-directives)")
            }
            let zone = try ZoneOffsets.table(tm["timezone"])
            let nodes: [YAMLValue]
            if case .sequence = f.node { nodes = try f.list("time.format") } else { nodes = [f] }
            guard !nodes.isEmpty else { throw f.error("time.format: give at least one format") }
            var formats: [TimeFormat] = []
            for n in nodes {
                let text = try n.string("time.format")
                do { formats.append(try TimeFormat(text, zone: zone)) } catch {
                    throw n.error(error.message)
                }
            }
            parser.time = LineParser.TimeField(capture: try capture(c, "time.capture"), formats: formats)
        }
        if let st = m["set"] {
            for (key, field, val) in try st.anyMapping("set").entries {
                guard case .attribute = Field(name: field) else {
                    throw key.error("'\(field)' is an event field: give it under 'event:'")
                }
                parser.set[field] = try RuleParser.template(val, default: "", what: "set.\(field)")
            }
        }
        if let sp = m["split"] {
            let sm = try sp.mapping("a parser's split", known: ["capture", "separator", "equals"])
            guard let c = sm["capture"] else { throw sp.error("a parser's split needs 'capture'") }
            func byte(_ key: String, _ fallback: UInt8) throws(ConfigError) -> UInt8 {
                guard let n = sm[key] else { return fallback }
                let text = try n.string("split.\(key)")
                guard text.utf8.count == 1, let b = text.utf8.first else {
                    throw n.error("split.\(key) must be one character, such as ' ' or ';'")
                }
                return b
            }
            parser.split = LineParser.KeyValueSplit(
                capture: try capture(c, "split.capture"), separator: try byte("separator", 0x20),
                equals: try byte("equals", UInt8(ascii: "=")))
        }
        return parser
    }
}
