import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Foundation
import Testing

@Suite("Rule file entries besides rules")
struct ContextParserTests {
    func errors(_ yaml: String) -> [String] {
        RuleParser.parseFile(yaml, file: "r.yaml").1.map(\.description)
    }

    @Test(
        "errors carry file:line:column",
        arguments: [
            (
                "- rule: a\n  when: {type: x}\n  flap: {count: 1, within: 1m}\n  clear_when: {type: y}\n  alarm: {}\n",
                "r.yaml:3:17: flap.count must be at least 2"
            ),
            (
                "- rule: a\n  when: {type: x}\n  flap: {count: 3, within: 1m}\n  alarm: {}\n",
                "r.yaml:3:9: rule 'a': flap detection counts raises and clears; add 'clear_when'"
            ),
            (
                "- rule: a\n  when: {type: x}\n  hold: 1m\n  sequence: {then: {type: y}, within: 1m}\n  alarm: {}\n",
                "r.yaml:4:13: rule 'a': 'hold' and 'sequence' cannot be combined"
            ),
            (
                "- rule: a\n  when: {type: x}\n  group: {by: \"{host\", count: 3, within: 1m}\n  alarm: {}\n",
                "r.yaml:3:16: group.by: unclosed '{'"
            ),
            (
                "- rule: a\n  when: {type: x}\n  escalate: [{after: 1m, severity: major}, {after: 30s, severity: critical}]\n  alarm: {}\n",
                "r.yaml:3:44: escalation steps must come later"
            ),
            (
                "- maintenance: m\n  start: 2026-01-01T00:00:00Z\n  hosts: [a]\n",
                "r.yaml:1:3: maintenance 'm' needs an 'end'"
            ),
            (
                "- maintenance: m\n  every: week\n  days: [sun]\n  at: \"01:00\"\n  duration: 1h\n  hosts: [a]\n",
                "r.yaml:1:3: recurring maintenance 'm' needs 'until'"
            ),
            (
                "- maintenance: m\n  start: 2026-01-01T00:00:00Z\n  end: 2026-01-01T01:00:00Z\n",
                "r.yaml:1:3: maintenance 'm' must name 'hosts'"
            ),
            (
                "- maintenance: m\n  every: day\n  at: \"25:00\"\n  duration: 1h\n  until: 2026-02-01\n  hosts: [a]\n",
                "r.yaml:3:7: at must be a local time HH:MM"
            ),
            (
                "- maintenance: m\n  every: day\n  at: \"01:00\"\n  duration: 1h\n  timezone: Mars/Olympus\n  until: 2026-02-01\n  hosts: [a]\n",
                "r.yaml:5:13: unknown time zone 'Mars/Olympus'"
            ),
            ("- inhibit: i\n  target: [a]\n", "r.yaml:1:3: inhibit 'i' needs 'source'"),
            ("- route: r\n  match: {severity: huge}\n  receivers: [x]\n", "r.yaml:2:21: unknown severity 'huge'"),
            ("- transform: t\n  set: {type: x}\n", "r.yaml:2:9: 'type' cannot be set here"),
            ("- transform: t\n  severity: {from: x, map: {\"1\": loud}}\n", "r.yaml:2:34: unknown severity 'loud'"),
            ("- table: t\n  rows: {a: {b: c}}\n  file: x.csv\n", "r.yaml:1:3: a table has either"),
            ("- engine: settings\n  lateness: 2h\n", "r.yaml:2:13: lateness must be between 0s and 1h"),
            ("- engine: settings\n  history_after: 0s\n", "r.yaml:2:18: history_after must be between 1s and 24h"),
            ("- engine: settings\n  history_idle: 2h\n", "r.yaml:2:17: history_idle must be between 100ms and 1h"),
            ("- engine: settings\n  history_senders: 0\n", "r.yaml:2:20: history_senders must be between 1 and"),
            ("- engine: settings\n  max_future: 2d\n", "r.yaml:2:15: max_future must be between 0s and 24h"),
            ("- engine: settings\n", "r.yaml:1:3: engine settings: give at least one of lateness, history_after"),
            ("- colour: red\n", "r.yaml:1:3: an entry must start with one of"),
            ("- parser: p\n  event: {type: x}\n", "r.yaml:1:3: parser 'p' needs 'match:"),
            ("- parser: p\n  match: 'x'\n", "r.yaml:1:3: parser 'p' needs 'event: {type: ...}'"),
            ("- parser: p\n  match: 'x'\n  event: {host: h}\n", "r.yaml:3:10: a parser's event needs a 'type'"),
            (
                "- parser: p\n  match: '(?P<a>x)'\n  time: {capture: b, format: unix}\n  event: {type: x}\n",
                "r.yaml:3:19: time.capture: the expression has no capture 'b' (it has: a)"
            ),
            (
                "- parser: p\n  match: '(?P<t>x)'\n  time: {capture: t, format: '%Q'}\n  event: {type: x}\n",
                "r.yaml:3:30: time format '%Q': %Q is not a directive"
            ),
            (
                "- parser: p\n  match: '(?P<t>x)'\n  time: {capture: t, format: unix, timezone: Mars/Base}\n  event: {type: x}\n",
                "unknown time zone 'Mars/Base'"
            ),
            ("- parser: p\n  match: 'x'\n  event: {type: x, severity: loud}\n", "r.yaml:3:30: unknown severity 'loud'"),
            ("- parser: p\n  match: 'a(?=b)'\n  event: {type: x}\n", "r.yaml:2:"),
            (
                "- parser: p\n  match: '(?P<k>x)'\n  split: {capture: k, equals: '=='}\n  event: {type: x}\n",
                "split.equals must be one character"
            ),
        ])
    func located(yaml: String, expected: String) {
        let errs = errors(yaml)
        #expect(errs.first?.contains(expected) == true, "got \(errs)")
    }

    @Test(
        "a window's dates must exist and fit 1970–2262: refused at file:line:col, never normalised or trapped",
        arguments: [
            (
                "- maintenance: m\n  start: 2026-01-01T00:00:00Z\n  end: 9999-12-31T00:00:00Z\n  hosts: [a]\n",
                "r.yaml:3:8: end: '9999-12-31T00:00:00Z' is outside the times eccd represents"
            ),
            (
                "- maintenance: m\n  start: 2026-02-31T00:00:00Z\n  end: 2026-03-01T00:00:00Z\n  hosts: [a]\n",
                "r.yaml:2:10: start: '2026-02-31T00:00:00Z' is not a real date"
            ),
            (
                "- maintenance: m\n  every: day\n  at: \"01:00\"\n  duration: 1h\n  until: 9999-12-31\n  hosts: [a]\n",
                "r.yaml:5:10: until: '9999-12-31' is outside the times eccd represents"
            ),
            (
                "- maintenance: m\n  every: day\n  at: \"01:00\"\n  duration: 1h\n  until: 2026-02-31\n  hosts: [a]\n",
                "r.yaml:5:10: until: '2026-02-31' is not a real date"
            ),
            (
                "- maintenance: m\n  every: day\n  at: \"01:00\"\n  duration: 1h\n  from: 2026-01-01\n"
                    + "  until: 2262-04-10\n  hosts: [a]\n",
                ""
            ),
        ])
    func windowDates(yaml: String, expected: String) {
        let errs = errors(yaml)
        if expected.isEmpty {
            #expect(errs.isEmpty, "\(errs)")
        } else {
            #expect(errs.contains { $0.hasPrefix(expected) }, "\(errs)")
        }
    }

    @Test("a recurring window follows the time zone across daylight saving time")
    func recurringDST() throws {
        let yaml = """
            - maintenance: m
              every: week
              days: [sun]
              at: "01:00"
              duration: 2h
              timezone: Europe/Berlin
              from: 2026-03-01
              until: 2026-04-30
              hosts: [h]
            """
        let (c, errs) = RuleParser.parseFile(yaml, file: "r.yaml")
        #expect(errs.isEmpty, "\(errs)")
        let starts = c.maintenance.first?.intervals.map(\.start.description) ?? []
        // Sundays of March and April 2026; summer time starts on 29 March (UTC+2 from then on).
        #expect(starts.first == "2026-03-01T00:00:00.000Z")
        #expect(starts.contains("2026-03-22T00:00:00.000Z"))
        #expect(starts.contains("2026-03-29T00:00:00.000Z"))  // 01:00 is still winter time: the switch is at 02:00
        #expect(starts.contains("2026-04-05T23:00:00.000Z") == false)
        #expect(starts.contains("2026-04-04T23:00:00.000Z"))
        #expect(starts.count == 9)
    }

    @Test("CSV tables: quotes, a header, and errors with line numbers")
    func csv() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-csv-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "host,site,note\nsw1,dc1,\"core, north\"\n\"sw2\",dc2,\"say \"\"hi\"\"\"\n".write(
            to: dir.appendingPathComponent("hosts.csv"), atomically: true, encoding: .utf8)
        try "host,site\nsw1,dc1,extra\n".write(
            to: dir.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("r.yaml").path
        let (c, errs) = RuleParser.parseFile("- table: hosts\n  file: hosts.csv\n", file: file)
        #expect(errs.isEmpty, "\(errs)")
        #expect(c.tables.first?.rows["sw1"] == ["site": "dc1", "note": "core, north"])
        #expect(c.tables.first?.rows["sw2"]?["note"] == "say \"hi\"")
        let bad = RuleParser.parseFile("- table: hosts\n  file: bad.csv\n", file: file).1
        #expect(bad.first?.description.hasSuffix("bad.csv:2:1: 3 fields, but the header has 2") == true, "\(bad)")
    }

    @Test("the loader checks names across files: tables, rules of inhibitions, CMDB parents and cycles")
    func crossFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-x-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "- ci: a\n  parent: b\n- ci: b\n  parent: a\n- ci: c\n  parent: nowhere\n".write(
            to: dir.appendingPathComponent("cmdb.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try RuleLoader.load(paths: [dir.path])
            Issue.record("loaded a CMDB with a cycle")
        } catch {
            let text = error.description
            #expect(text.contains("cmdb.yaml:1:3: configuration item 'a' is its own ancestor"))
            #expect(text.contains("cmdb.yaml:5:3: configuration item 'c': parent 'nowhere'"))
        }
        try "- transform: t\n  lookup: {table: nope}\n- inhibit: i\n  source: [ghost]\n".write(
            to: dir.appendingPathComponent("cmdb.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try RuleLoader.load(paths: [dir.path])
            Issue.record("loaded a lookup of a missing table")
        } catch {
            #expect(error.description.contains("no table 'nope'"), "\(error)")
        }
    }
}

@Suite("rules check: unreachable rules and template fields")
struct RuleLintTests {
    func findings(_ yaml: String) throws -> [String] {
        let (c, errs) = RuleParser.parseFile(yaml, file: "r.yaml")
        #expect(errs.isEmpty, "\(errs)")
        let set = try RuleSet(c.rules, transforms: c.transforms, tables: c.tables)
        return RuleLint.check(set).map(\.description)
    }

    @Test("a rule after a broader stop rule can never match")
    func unreachable() throws {
        let f = try findings(
            """
            - rule: all-links
              when: {type: [linkDown, linkUp]}
              stop: true
              alarm: {}
            - rule: sw1-links
              when: {type: linkDown, host: sw1}
              alarm: {}
            - rule: other
              when: {type: nodeDown}
              alarm: {}
            """)
        #expect(f.count == 1)
        #expect(
            f.first?.hasPrefix("r.yaml:5:3: rule 'sw1-links' can never match: rule 'all-links' (r.yaml:1:3)") == true)
    }

    @Test("template fields: a typo is an error, an unknown field a warning, a missing one an error")
    func templateFields() throws {
        let f = try findings(
            """
            - transform: t
              set: {site: "{host}-site"}
            - rule: a
              when: {type: linkDown, ifIndex: {exists: true}, descr: {regex: "(?<port>[0-9]+)"}}
              key: "{host}/{ifindex}"
              alarm: {summary: "{port} {site} {count} {vendor}"}
            - rule: b
              when: {type: x, owner: {missing: true}}
              alarm: {summary: "owned by {owner}"}
            """)
        #expect(
            f.contains(
                "r.yaml:3:3: rule 'a': key uses {ifindex}, which no rule, capture or transform produces; did you mean {ifIndex}?"
            ), "\(f)")
        #expect(f.contains { $0.contains("warning: rule 'a': summary uses {vendor}") }, "\(f)")
        #expect(!f.contains { $0.contains("{port}") || $0.contains("{site}") || $0.contains("{count}") }, "\(f)")
        #expect(f.contains("r.yaml:7:3: rule 'b': summary uses {owner}, but 'when' requires it to be missing"), "\(f)")
    }
}

@Suite("Engine settings")
struct EngineSettingsTests {
    @Test("history settings are read into the rule set; the defaults stand for those not given")
    func history() throws {
        let set = try compileRules(
            "- engine: settings\n  lateness: 5s\n  history_after: 1m\n  history_senders: 10\n  max_future: 0s\n")
        #expect(set.lateness == 5_000_000_000)
        #expect(set.history.after == 60_000_000_000)
        #expect(set.history.idle == HistoryPolicy().idle)
        #expect(set.history.maxSenders == 10)
        #expect(set.history.maxFuture == 0)
    }
}
