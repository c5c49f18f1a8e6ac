import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Foundation
import Testing

/// Parses YAML and returns the error lines.
func errors(_ yaml: String) -> [String] {
    RuleParser.parse(yaml, file: "r.yaml").errors.map(\.description)
}

@Suite("Rule files")
struct RuleParserTests {
    @Test("a valid rule compiles with its location")
    func valid() throws {
        let (rules, errs) = RuleParser.parse(
            """
            # comment
            - rule: interface-down
              when: {type: linkDown, severity: crit}
              key: "{host}/{ifIndex}"
              clear_when: {type: linkUp}
              alarm: {severity: major, summary: "Interface {ifIndex} down"}
            """, file: "r.yaml")
        #expect(errs.isEmpty)
        let r = try #require(rules.first)
        #expect(r.name == "interface-down")
        #expect(r.location == SourceLocation(file: "r.yaml", line: 2, column: 3))
        #expect(r.when.conditions.contains(.equals(.severity, "critical")))
        #expect(r.alarm.severity == .major)
        #expect(r.clearWhen != nil)
    }

    @Test(
        "errors carry file:line:column",
        arguments: [
            (
                "- rule: a\n  when: {type: x}\n  alarm: {summary: s}\n  holdoff: 30s\n",
                "r.yaml:4:3: unknown key 'holdoff'"
            ),
            ("- rule: a\n  when: {type: x}\n  alarm: {severity: huge}\n", "r.yaml:3:21: unknown severity 'huge'"),
            (
                "- rule: a\n  when: {type: x}\n  key: \"{host\"\n  alarm: {summary: s}\n",
                "r.yaml:3:9: key: unclosed '{'"
            ),
            (
                "- rule: a\n  when: {ifIndex: {gt: abc}}\n  alarm: {summary: s}\n",
                "r.yaml:2:24: 'when.ifIndex.gt' must be a number, not 'abc'"
            ),
            (
                "- rule: a\n  when: {host: {regx: a}}\n  alarm: {summary: s}\n",
                "r.yaml:2:17: unknown key 'regx'"
            ),
            (
                "- rule: a\n  when: {host: {regex: \"a(\"}}\n  alarm: {summary: s}\n",
                "r.yaml:2:25: regular expression 'a(' is not accepted: missing ): a("
            ),
            (
                "- rule: a\n  when: {addr: {cidr: 10.0.0.0/33}}\n  alarm: {summary: s}\n",
                "r.yaml:2:23: '10.0.0.0/33' is not a network in CIDR notation"
            ),
            (
                "- rule: a\n  when: {type: x}\n  hold: soon\n  alarm: {summary: s}\n",
                "r.yaml:3:9: hold: 'soon' is not a duration"
            ),
            (
                "- rule: a\n  when: {type: x}\n  hold: 1s\n  threshold: {count: 2, within: 1m}\n  alarm: {}\n",
                "r.yaml:4:14: rule 'a': 'hold' and 'threshold' cannot be combined"
            ),
            (
                "- rule: a\n  expect: {type: x}\n  alarm: {}\n",
                "r.yaml:2:11: 'expect' describes the event an absence rule waits for"
            ),
            (
                "- rule: a\n  expect: {type: x}\n  absent_for: 5m\n  clear_when: {type: y}\n  alarm: {}\n",
                "r.yaml:4:15: rule 'a': an absence rule clears when the expected event returns"
            ),
            (
                "- rule: a\n  when: {type: x}\n  threshold: {count: 3, within: 1m, clear_below: 4}\n  alarm: {}\n",
                "r.yaml:3:50: threshold.clear_below must be between 1 and the count (3)"
            ),
            (
                "- rule: a\n  when: {type: x}\n  threshold: {rate: fast}\n  alarm: {}\n",
                "r.yaml:3:21: threshold.rate must look like 10/1m"
            ),
            (
                "- rule: a\n  when: {type: []}\n  alarm: {summary: s}\n",
                "r.yaml:2:16: 'when.type' is an empty list"
            ),
            ("- rule: a\n  alarm: {summary: s}\n", "r.yaml:1:3: rule 'a' has no 'when' clause"),
            ("- when: {type: x}\n  alarm: {summary: s}\n", "r.yaml:1:3: rule has no name"),
            ("- rule: a\n  when: {type: x}\n  alarm: {sumary: s}\n", "did you mean 'summary'?"),
            ("rule: a\n", "r.yaml:1:1: a rule file must be a list"),
            ("- rule: a\n  when: {type: x\n", "r.yaml:3:1: invalid YAML"),
        ])
    func located(yaml: String, expected: String) {
        let errs = errors(yaml)
        #expect(errs.count == 1)
        #expect(errs.first?.contains(expected) == true, "got \(errs)")
    }

    @Test("every bad rule in a file is reported, not just the first")
    func allErrors() {
        let errs = errors("- rule: a\n  when: {type: x}\n  alarm: {severity: huge}\n- rule: b\n  bogus: 1\n")
        #expect(errs.count == 2)
    }

    @Test("the loader refuses duplicate names across files and names both places")
    func duplicates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rule = "- rule: same\n  when: {type: x}\n  alarm: {summary: s}\n"
        try rule.write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try rule.write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        #expect {
            try RuleLoader.load(paths: [dir.path])
        } throws: { error in
            let text = "\(error)"
            return text.contains("b.yaml:1:3: duplicate rule name 'same'") && text.contains("a.yaml:1:3")
        }
    }

    @Test("a missing path is an error")
    func missing() {
        #expect(throws: ConfigErrors.self) { try RuleLoader.load(paths: ["/nonexistent/rules"]) }
    }

    @Test("the rules shipped in rules/ load cleanly")
    func shippedRules() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let rules = try RuleLoader.load(paths: [root.appendingPathComponent("rules").path])
        #expect(rules.rules.contains { $0.name == "interface-down" })
    }
}

/// The route tree and escalation policies: inheritance, the deepest matching route, errors at positions.
@Suite("Routes and escalation policies")
struct RouteParserTests {
    static let tree = """
        - escalation: oncall
          steps:
            - {after: 0s, receivers: [sms]}
            - {after: 15m, receivers: [manager]}
        - route: network
          match: {owner_group: network}
          receivers: [net-mail]
          group_by: [host]
          group_wait: 1m
          routes:
            - route: network-core
              match: {site: dc1}
              escalation: oncall
            - route: network-edge
              match: {site: edge}
              receivers: [edge-mail]
              group_by: alarm
              send_resolved: false
        - route: default
          receivers: [noc]
        """

    @Test("children inherit their parent's settings and override what they set")
    func inheritance() throws {
        let rules = try compileRules(Self.tree)
        let core = try #require(rules.routeIndex["network-core"])
        #expect(core.receivers == ["net-mail"])
        #expect(core.groupBy == ["host"])
        #expect(core.groupWait == 60_000_000_000)
        #expect(core.escalation == "oncall")
        let edge = try #require(rules.routeIndex["network-edge"])
        #expect(edge.receivers == ["edge-mail"])
        #expect(edge.groupBy == nil)
        #expect(edge.sendResolved == false)
        #expect(rules.escalation(named: "oncall")?.steps.map(\.after) == [0, 900_000_000_000])
        #expect(rules.receivers(ofRoutes: ["network-core"]) == ["net-mail", "sms"])
    }

    @Test("an alarm takes the deepest matching route; the parent keeps it when no child matches")
    func deepest() throws {
        let rules = try compileRules(Self.tree)
        func routes(_ attrs: [String: String]) -> [String] {
            let e = Event.make("x", at: 0, attrs)
            let a = Alarm(
                id: 1, rule: "r", key: "k", state: .active, severity: .major, summary: "s", source: e.source,
                host: e.host, type: e.type, firstSeen: e.time, lastSeen: e.time, count: 1)
            return rules.routes.routes(for: a, origin: e)
        }
        #expect(routes(["owner_group": "network", "site": "dc1"]) == ["network-core"])
        #expect(routes(["owner_group": "network", "site": "edge"]) == ["network-edge"])
        #expect(routes(["owner_group": "network", "site": "lab"]) == ["network"])
        #expect(routes(["owner_group": "db"]) == ["default"])
    }

    @Test("the engine's route decisions carry the group, its timing and the escalation's first step")
    func decisions() throws {
        let rules = try compileRules(Self.tree)
        func decide(source: String, _ attrs: [String: String]) -> [RouteDecision] {
            var e = Event.make("x", host: "sw1", at: 0, attrs)
            e.source = source
            let a = Alarm(
                id: 7, rule: "r", key: "k", state: .active, severity: .major, summary: "s", source: e.source,
                host: e.host, type: e.type, firstSeen: e.time, lastSeen: e.time, count: 1)
            return rules.routeDecisions(for: a, origin: e)
        }
        let core = decide(source: "snmp", ["owner_group": "network", "site": "dc1"])
        #expect(core.map(\.route) == ["network-core"])
        #expect(
            core.first?.group
                == RouteDecision.Group(
                    key: "host=sw1", labels: [RouteDecision.Label(name: "host", value: "sw1")], wait: 60_000_000_000,
                    interval: 300_000_000_000, sendResolved: true))
        #expect(core.first?.escalation == RouteDecision.Escalation(policy: "oncall", step: 0, after: 0))
        let edge = decide(source: "snmp", ["owner_group": "network", "site": "edge"])
        #expect(edge.first?.group?.key == "alarm:7")
        #expect(edge.first?.group?.sendResolved == false)
        #expect(edge.first?.escalation == nil)
        // eccd's own alarms were sent at once to the route's receivers and to a first step without delay:
        // no group, and the escalation goes on from its second step.
        let own = decide(source: Event.eccdSource, ["owner_group": "network", "site": "dc1"])
        #expect(own.first?.group == nil)
        #expect(own.first?.escalation == RouteDecision.Escalation(policy: "oncall", step: 1, after: 900_000_000_000))
    }

    @Test("errors point at the file, line and column")
    func errors() {
        func error(_ text: String) -> String {
            do {
                _ = try compileRules(text, file: "r.yaml")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(error("- route: a\n  match: {severity: critical}\n").contains("r.yaml:1:3: route 'a' needs 'receivers"))
        #expect(
            error("- route: a\n  receivers: [x]\n  escalation: nope\n").contains("no escalation policy named 'nope'"))
        #expect(
            error("- escalation: e\n  steps:\n    - {after: 5m, receivers: [a]}\n    - {after: 1m, receivers: [b]}\n")
                .contains("r.yaml:4:15: escalation steps must come one after the other"))
        #expect(error("- route: a\n  receivers: [x]\n  group_wiat: 1m\n").contains("did you mean 'group_wait'?"))
        #expect(
            error("- route: a\n  receivers: [x]\n- route: a\n  receivers: [y]\n").contains("duplicate route name 'a'"))
    }
}
