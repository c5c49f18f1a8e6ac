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

    // MARK: Transforms and tables

    static func transform(_ v: YAMLValue) throws(ConfigError) -> Transform {
        let m = try v.mapping(
            "a transform", known: ["transform", "description", "when", "set", "rename", "drop", "severity", "lookup"])
        let name = try m["transform"]?.string("transform") ?? ""
        guard !name.isEmpty else { throw v.error("a transform needs a name: 'transform: <name>'") }
        var t = Transform(
            name: name,
            when: try m["when"].map { w throws(ConfigError) in try RuleParser.matcher(w, what: "when") }
                ?? Matcher([]), location: v.location)
        if let r = m["rename"] {
            for (_, from, to) in try r.anyMapping("rename").entries {
                let target = try to.string("rename.\(from)")
                guard case .attribute = Field(name: from), case .attribute = Field(name: target) else {
                    throw to.error("rename works on attributes, not the built-in fields")
                }
                t.rename.append([from, target])
            }
        }
        if let s = m["set"] {
            for (key, field, val) in try s.anyMapping("set").entries {
                switch Field(name: field) {
                case .type, .severity, .time:
                    throw key.error("'\(field)' cannot be set here (severity has its own 'severity:' mapping)")
                default: break
                }
                t.set[field] = try RuleParser.template(val, default: "", what: "set.\(field)")
            }
        }
        if let d = m["drop"] {
            t.drop = try d.list("drop").map { n throws(ConfigError) in try n.string("drop entry") }
        }
        if let sv = m["severity"] {
            let sm = try sv.mapping("severity", known: ["from", "map", "default"])
            guard let from = sm["from"], let map = sm["map"] else {
                throw sv.error("severity needs 'from' (a field) and 'map' (value: severity)")
            }
            var values: [String: Severity] = [:]
            for (_, k, val) in try map.anyMapping("severity.map").entries {
                values[k] = try val.severity("severity.map.\(k)")
            }
            let otherwise = try sm["default"]?.severity("severity.default")
            t.severity = Transform.SeverityMap(
                field: Field(name: try from.string("severity.from")), values: values, otherwise: otherwise)
        }
        if let l = m["lookup"] {
            let nodes: [YAMLValue]
            if case .sequence = l.node { nodes = try l.list("lookup") } else { nodes = [l] }
            for n in nodes {
                let lm = try n.mapping("lookup", known: ["table", "key", "fields"])
                guard let table = lm["table"] else { throw n.error("lookup needs 'table' (a table's name, or cmdb)") }
                let fields = try lm["fields"].map { f throws(ConfigError) in
                    try f.list("lookup.fields").map { x throws(ConfigError) in try x.string("a field") }
                }
                t.lookups.append(
                    Transform.Lookup(
                        table: try table.string("lookup.table"),
                        key: try RuleParser.template(lm["key"], default: "{host}", what: "lookup.key"), fields: fields))
            }
        }
        return t
    }

    static func table(_ v: YAMLValue) throws(ConfigError) -> LookupTable {
        let m = try v.mapping("a table", known: ["table", "description", "file", "rows"])
        let name = try m["table"]?.string("table") ?? ""
        guard !name.isEmpty, name != "cmdb" else {
            throw v.error("a table needs a name other than 'cmdb' (the CMDB's own): 'table: <name>'")
        }
        switch (m["file"], m["rows"]) {
        case (let f?, nil):
            let rel = try f.string("file")
            let dir = (v.file as NSString).deletingLastPathComponent
            let path = rel.hasPrefix("/") ? rel : ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(rel)
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw f.error("cannot read table file \(path): \(error.localizedDescription)")
            }
            return try csvTable(name: name, text: text, file: path)
        case (nil, let r?):
            var rows: [String: [String: String]] = [:]
            var columns: [String] = []
            for (_, key, row) in try r.anyMapping("rows").entries {
                var out: [String: String] = [:]
                for (_, col, val) in try row.anyMapping("rows.\(key)").entries {
                    out[col] = try val.string("rows.\(key).\(col)")
                    if !columns.contains(col) { columns.append(col) }
                }
                rows[key] = out
            }
            return LookupTable(name: name, columns: columns, rows: rows)
        default:
            throw v.error("a table has either 'file: <name>.csv' or inline 'rows:', not both or neither")
        }
    }

    /// A CSV file with a header line; the first column is the key. Quoted fields ("a, b", "say ""hi""")
    /// are understood; every error names its line and column.
    static func csvTable(name: String, text: String, file: String) throws(ConfigError) -> LookupTable {
        var records: [(line: Int, fields: [String])] = []
        var field = ""
        var fields: [String] = []
        var quoted = false
        var line = 1
        var col = 0
        var recordLine = 1
        var chars = Array(text.unicodeScalars)
        if chars.last != "\n" { chars.append("\n") }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            col += 1
            if c == "\u{0}" {
                throw ConfigError(
                    "a NUL character is not allowed in a table file", file: file,
                    at: SourceLocation(file: file, line: line, column: col))
            }
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" {
                        line += 1
                        col = 0
                    }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field.trimmingSpaces())
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
                fields.append(field.trimmingSpaces())
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []
                field = ""
                line += 1
                col = 0
                recordLine = line
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if quoted {
            throw ConfigError(
                "unclosed quote in the record starting here", file: file,
                at: SourceLocation(file: file, line: recordLine, column: 1))
        }
        guard let header = records.first?.fields, header.count >= 2 else {
            throw ConfigError("a table file needs a header line with the key column and at least one more", file: file)
        }
        var rows: [String: [String: String]] = [:]
        for r in records.dropFirst() {
            guard r.fields.count == header.count else {
                throw ConfigError(
                    "\(r.fields.count) fields, but the header has \(header.count)", file: file,
                    at: SourceLocation(file: file, line: r.line, column: 1))
            }
            var row: [String: String] = [:]
            for (k, v) in zip(header.dropFirst(), r.fields.dropFirst()) where !v.isEmpty { row[k] = v }
            rows[r.fields[0]] = row
        }
        return LookupTable(name: name, columns: Array(header.dropFirst()), rows: rows)
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

    // MARK: Calendar rules

    static func schedule(_ v: YAMLValue, rule name: String) throws(ConfigError) -> Rule.Schedule {
        let m = try v.mapping("schedule", known: ["raise", "clear", "emit", "event", "timezone"])
        let zone = try ZoneOffsets.table(m["timezone"])
        func cron(_ key: String) throws(ConfigError) -> CronSchedule? {
            guard let n = m[key] else { return nil }
            let text = try n.string("schedule.\(key)")
            do { return try CronSchedule(text, zone: zone) } catch { throw n.error(error.message) }
        }
        var s = Rule.Schedule(raise: try cron("raise"), clear: try cron("clear"), emit: try cron("emit"))
        guard s.raise != nil || s.clear != nil || s.emit != nil else {
            throw v.error(
                "rule '\(name)': schedule needs 'raise', 'clear' or 'emit' (a cron schedule, e.g. \"0 6 * * *\")")
        }
        switch (s.emit, m["event"]) {
        case (nil, let e?): throw e.error("schedule.event goes with 'emit'")
        case (_?, nil): throw v.error("rule '\(name)': schedule.emit needs 'event: {type: ...}' (what to send)")
        case (_?, let e?):
            let em = try e.mapping(
                "schedule.event", known: ["source", "host", "type", "severity", "summary", "attributes"])
            guard let type = try em["type"]?.string("schedule.event.type"), !type.isEmpty else {
                throw e.error("schedule.event needs a 'type'")
            }
            var severity = Severity.info
            if let n = em["severity"] {
                let text = try n.string("schedule.event.severity")
                guard let sev = Severity(name: text) else { throw n.error("unknown severity '\(text)'") }
                severity = sev
            }
            var attributes: [(String, AttributeValue)] = []
            if let a = em["attributes"] {
                for (_, k, val) in try a.anyMapping("schedule.event.attributes").entries {
                    attributes.append((k, .string(try val.string("schedule.event.attributes.\(k)"))))
                }
            }
            s.event = Event(
                time: .zero, source: try em["source"]?.string("schedule.event.source") ?? "calendar",
                host: try em["host"]?.string("schedule.event.host") ?? "", type: type, severity: severity,
                summary: try em["summary"]?.string("schedule.event.summary") ?? "", attributes: Attributes(attributes))
        case (nil, nil): break
        }
        return s
    }

    // MARK: Maintenance

    static let weekdays = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    static func maintenance(_ v: YAMLValue) throws(ConfigError) -> MaintenanceWindow {
        let m = try v.mapping(
            "a maintenance window",
            known: [
                "maintenance", "description", "start", "end", "hosts", "match", "every", "days", "at", "duration",
                "timezone", "from", "until",
            ])
        let name = try m["maintenance"]?.string("maintenance") ?? ""
        guard !name.isEmpty else { throw v.error("a maintenance window needs a name: 'maintenance: <name>'") }
        let hosts = try m["hosts"].map { h throws(ConfigError) in try names(h, "hosts") } ?? []
        let match = try m["match"].map { x throws(ConfigError) in try RuleParser.matcher(x, what: "match") }
        guard !hosts.isEmpty || match != nil else {
            throw v.error(
                "maintenance '\(name)' must name 'hosts' (hosts or CIs) or a 'match'; it would cover everything")
        }
        func time(_ key: String) throws(ConfigError) -> EventTime? {
            guard let n = m[key] else { return nil }
            let text = try n.string(key)
            switch RFC3339.check(text) {
            case .success(let t): return t
            case .failure(let p): throw n.error("\(key): " + p.message(text))
            }
        }
        var intervals: [MaintenanceWindow.Interval] = []
        if let every = m["every"] {
            for k in ["start", "end"] {
                guard let node = m[k] else { continue }
                throw node.error("a recurring window uses 'at', 'duration', 'from' and 'until', not '\(k)'")
            }
            intervals = try recurring(m, every: every, name: name, window: v)
        } else {
            guard let start = try time("start") else {
                throw v.error("maintenance '\(name)' needs 'start' and 'end' (one-off) or 'every' (recurring)")
            }
            guard let end = try time("end") else {
                throw v.error("maintenance '\(name)' needs an 'end': a window without one would silence alarms forever")
            }
            guard end > start else { throw (m["end"] ?? v).error("end must be after start") }
            intervals = [.init(start: start, end: end)]
        }
        return MaintenanceWindow(name: name, intervals: intervals, hosts: hosts, match: match, location: v.location)
    }

    static func recurring(_ m: YAMLMapping, every: YAMLValue, name: String, window: YAMLValue) throws(ConfigError)
        -> [MaintenanceWindow.Interval]
    {
        let unit = try every.string("every")
        guard unit == "day" || unit == "week" else { throw every.error("every must be 'day' or 'week', not '\(unit)'") }
        guard let untilNode = m["until"] else {
            throw window.error("recurring maintenance '\(name)' needs 'until' (a date or time): windows must end")
        }
        guard let atNode = m["at"], let durNode = m["duration"] else {
            throw window.error("recurring maintenance '\(name)' needs 'at: \"HH:MM\"' and 'duration'")
        }
        let atText = try atNode.string("at")
        let hm = atText.split(separator: ":").compactMap { Int($0) }
        guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else {
            throw atNode.error("at must be a local time HH:MM, not '\(atText)'")
        }
        let duration = try durNode.duration("duration")
        guard duration > 0, duration <= 7 * 86_400 * 1_000_000_000 else {
            throw durNode.error("duration must be longer than 0 and at most 7d")
        }
        var zone = TimeZone(secondsFromGMT: 0) ?? .current
        if let tz = m["timezone"] {
            let id = try tz.string("timezone")
            guard let z = TimeZone(identifier: id) else {
                throw tz.error("unknown time zone '\(id)' (an IANA name such as Europe/Berlin, or UTC)")
            }
            zone = z
        }
        var days: Set<Int> = []
        if let d = m["days"] {
            guard unit == "week" else { throw d.error("'days' applies to 'every: week'") }
            for n in try d.list("days") {
                let text = try n.string("a day").lowercased()
                guard let wd = weekdays[String(text.prefix(3))] else {
                    throw n.error("unknown day '\(text)' (mon, tue, wed, thu, fri, sat, sun)")
                }
                days.insert(wd)
            }
        } else if unit == "week" {
            throw every.error("'every: week' needs 'days: [...]'")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func date(_ key: String, _ n: YAMLValue) throws(ConfigError) -> Date {
            let text = try n.string(key)
            switch RFC3339.check(text) {
            case .success(let t): return Date(timeIntervalSince1970: Double(t.nanoseconds) / 1e9)
            case .failure(let problem) where problem != .syntax: throw n.error("\(key): " + problem.message(text))
            case .failure: break
            }
            // A calendar day, at midnight in the window's time zone; checked first, so an impossible day
            // (2026-02-31) is refused rather than normalised and a day past 2262 never reaches the arithmetic.
            if case .failure(let problem) = RFC3339.checkDay(text) {
                guard problem == .syntax else { throw n.error("\(key): " + problem.message(text)) }
                throw n.error("\(key): '\(text)' is neither a date (2026-12-31) nor an RFC 3339 time")
            }
            let p = text.split(separator: "-").compactMap { Int($0) }
            guard p.count == 3, let d = calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2])),
                d.timeIntervalSince1970 < 9_223_286_400  // a day before the last one an EventTime holds
            else { throw n.error("\(key): " + RFC3339.Problem.outOfRange.message(text)) }
            return d
        }
        var until = try date("until", untilNode)
        if !(try untilNode.string("until")).contains("T") {
            until = calendar.date(byAdding: .day, value: 1, to: until) ?? until  // a date includes its whole day
        }
        let from = try m["from"].map { n throws(ConfigError) in try date("from", n) }
        let earliest = until.addingTimeInterval(-3650 * 86_400)
        var day = calendar.startOfDay(for: max(from ?? earliest, earliest))
        guard day < until else { throw untilNode.error("until must be after from") }
        var out: [MaintenanceWindow.Interval] = []
        while day < until {
            let wd = calendar.component(.weekday, from: day)
            if unit == "day" || days.contains(wd),
                let start = calendar.date(bySettingHour: hm[0], minute: hm[1], second: 0, of: day),
                start < until, start >= (from ?? .distantPast)
            {
                let s = EventTime(seconds: start.timeIntervalSince1970)
                out.append(.init(start: s, end: s.adding(nanoseconds: duration)))
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return out
    }
}
