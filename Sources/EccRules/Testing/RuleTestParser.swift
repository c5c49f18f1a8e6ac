import EccCore
import EccYAML
import Foundation

/// Reads rule test files (`*.test.yaml`), strictly, with `file:line:column` errors.
package enum RuleTestParser {
    /// Test events start at this time (2026-01-01T00:00:00Z) unless they give `time`.
    package static let epoch = EventTime(nanoseconds: 1_767_225_600_000_000_000)

    package static func parse(_ text: String, file: String) throws(ConfigError) -> RuleTestFile {
        guard let doc = try YAMLValue.parse(text, file: file) else {
            throw ConfigError("empty test file", file: file)
        }
        let top = try doc.mapping("a rule test file", known: ["rules", "tests"])
        var rulePaths: [String] = []
        if let r = top["rules"] {
            rulePaths = try r.list("rules").map { v throws(ConfigError) in try v.string("rules entry") }
        }
        guard let testsNode = top["tests"] else { throw doc.error("a rule test file needs 'tests:'") }
        var cases: [RuleTestCase] = []
        for t in try testsNode.list("tests") { cases.append(try parseCase(t)) }
        return RuleTestFile(path: file, rulePaths: rulePaths, cases: cases)
    }

    static func parseCase(_ v: YAMLValue) throws(ConfigError) -> RuleTestCase {
        let m = try v.mapping(
            "a test", known: ["name", "events", "until", "expect", "include_repeats", "arrival"])
        var asListed = false
        if let a = m["arrival"] {
            let text = try a.string("arrival")
            guard text == "listed" || text == "time" else {
                throw a.error("arrival must be 'time' (events sorted by time, the default) or 'listed' (as written)")
            }
            asListed = text == "listed"
        }
        let name = try m["name"]?.string("name") ?? "test at line \(v.location.line)"
        var events: [(Int64, Event)] = []
        for e in try m["events"]?.list("events") ?? [] { events.append(try parseEvent(e)) }
        var expect: [ExpectedChange] = []
        for e in try m["expect"]?.list("expect") ?? [] { expect.append(try parseExpected(e)) }
        let repeats = try m["include_repeats"]?.bool("include_repeats") ?? expect.contains { $0.change == .repeated }
        let until = try m["until"]?.duration("until")
        return RuleTestCase(
            name: name, location: v.location, events: events, until: until, expect: expect, includeRepeats: repeats,
            arrivalAsListed: asListed)
    }

    static func parseEvent(_ v: YAMLValue) throws(ConfigError) -> (Int64, Event) {
        let m = try v.mapping(
            "an event", known: ["at", "time", "source", "host", "type", "severity", "summary", "attributes"])
        var offset: Int64 = 0
        if let at = m["at"] { offset = try at.duration("at") }
        if let t = m["time"] {
            let text = try t.string("time")
            let time: EventTime
            switch RFC3339.check(text) {
            case .success(let parsed): time = parsed
            case .failure(let p): throw t.error("time: " + p.message(text))
            }
            offset = time.nanoseconds - epoch.nanoseconds
        }
        guard let type = try m["type"]?.string("type") else { throw v.error("an event needs a 'type'") }
        var severity = Severity.info
        if let s = m["severity"] {
            severity = try s.severity("severity")
        }
        var attributes = Attributes()
        if let a = m["attributes"] {
            for (_, k, val) in try a.anyMapping("attributes").entries {
                let text = try val.string("attributes.\(k)")
                attributes[k] = Int64(text).map { .int($0) } ?? .string(text)
            }
        }
        let event = Event(
            time: epoch.adding(nanoseconds: offset), source: try m["source"]?.string("source") ?? "test",
            host: try m["host"]?.string("host") ?? "", type: type, severity: severity,
            summary: try m["summary"]?.string("summary") ?? "", attributes: attributes)
        return (offset, event)
    }

    static func parseExpected(_ v: YAMLValue) throws(ConfigError) -> ExpectedChange {
        let m = try v.mapping(
            "an expected change",
            known: [
                "at", "change", "rule", "key", "severity", "summary", "count", "suppressed", "notify", "receivers",
                "members",
                "flapping",
            ])
        var e = ExpectedChange(location: v.location)
        if let at = m["at"] { e.offset = try at.duration("at") }
        if let c = m["change"] {
            let text = try c.string("change")
            guard let kind = AlarmChange.Kind(rawValue: text) else {
                throw c.error("change must be raised, repeated, updated or cleared, not '\(text)'")
            }
            e.change = kind
        }
        e.rule = try m["rule"]?.string("rule")
        e.key = try m["key"]?.string("key")
        e.summary = try m["summary"]?.string("summary")
        e.severity = try m["severity"]?.severity("severity")
        if let c = m["count"] { e.count = Int64(try c.int("count")) }
        if let s = m["suppressed"] {
            let text = try s.string("suppressed")
            guard text == "none" || Suppression(text: text) != nil else {
                throw s.error(
                    "suppressed must be none, maintenance:<window>, symptom:<rule> or inhibited:<inhibition>, "
                        + "not '\(text)'")
            }
            e.suppressed = text
        }
        if let n = m["notify"] {
            e.notify = try n.list("notify").map { x throws(ConfigError) in try x.string("a route") }
        }
        if let n = m["receivers"] {
            e.receivers = try n.list("receivers").map { x throws(ConfigError) in try x.string("a receiver") }
        }
        if let n = m["members"] {
            e.members = try n.list("members").map { x throws(ConfigError) in try x.string("a member") }
        }
        e.flapping = try m["flapping"]?.bool("flapping")
        return e
    }
}

extension ExpectedChange {
    init(location: SourceLocation) {
        self.init(
            location: location, offset: nil, change: nil, rule: nil, key: nil, severity: nil, summary: nil, count: nil,
            suppressed: nil, notify: nil, receivers: nil, members: nil, flapping: nil)
    }
}
