import EccCore
import EccTestSupport
import Testing

/// Constructs rule authors otherwise script by hand: pairs with both events' fields and the anchor of their
/// wait, once per window from the first, every match recorded.
@Suite("Pairs, fixed windows, every match")
struct ConstructTests {
    /// Feeds events at their own times, ticking each second, up to `until` seconds; raises, clears and
    /// (with `repeats`) repeats as text.
    static func run(_ yaml: String, _ events: [Event], until: Double, repeats: Bool = false) throws -> [String] {
        var engine = Engine(rules: try compileRules(yaml))
        var out: [String] = []
        func record(_ b: inout ChangeBatch) {
            for c in b.take().changes where repeats || c.kind != .repeated {
                let t = (c.at.nanoseconds - testEpoch.nanoseconds) / 1_000_000_000
                out.append(
                    "\(t)s \(c.kind.rawValue) \(c.alarm.rule)/\(c.alarm.key) ×\(c.alarm.count) \(c.alarm.summary)")
            }
        }
        var b = ChangeBatch()
        var clock = 0.0
        for e in events {
            let at = Double(e.time.nanoseconds - testEpoch.nanoseconds) / 1e9
            while clock + 1 < at {
                clock += 1
                engine.tick(at: testEpoch.adding(nanoseconds: Int64(clock * 1e9)), into: &b)
            }
            engine.handle(e, at: e.time, into: &b)
            record(&b)
        }
        engine.tick(at: testEpoch.adding(nanoseconds: Int64(until * 1e9)), into: &b)
        record(&b)
        return out
    }

    static let restart = """
        - rule: restart
          when: {type: unitFailed}
          key: "{host}/{unit}"
          sequence: {then: {type: unitStarted}, within: 1m}
          alarm: {summary: "{unit} failed ({result}) and was back at {then.time} by {then.by}"}
        """

    @Test("a pair's alarm reads the second event's fields as then.*, and its origin carries both")
    func pairFields() throws {
        let events = [
            Event.make("unitFailed", host: "app1", at: 0, ["unit": "nginx", "result": "exit-code"]),
            Event.make("unitStarted", host: "app1", at: 12, ["unit": "nginx", "by": "systemd"]),
        ]
        #expect(
            try Self.run(Self.restart, events, until: 100) == [
                "12s raised restart/app1/nginx ×2 nginx failed (exit-code) and was back at 2025-11-25T10:00:12.000Z by systemd"
            ])
        var engine = Engine(rules: try compileRules(Self.restart))
        var b = ChangeBatch()
        for e in events { engine.handle(e, at: e.time, into: &b) }
        let origin = try #require(b.changes.first?.origin)
        #expect(
            origin.attributes["then.by"] == .string("systemd") && origin.attributes["result"] == .string("exit-code"))
        #expect(origin.type == "unitFailed")
    }

    @Test("from: latest (default) pairs with the newest first event; from: first keeps the first one's wait")
    func pairAnchor() throws {
        let events = [
            Event.make("unitFailed", host: "a", at: 0, ["unit": "u"]),
            Event.make("unitFailed", host: "a", at: 30, ["unit": "u"]),
            Event.make("unitStarted", host: "a", at: 70, ["unit": "u"]),
        ]
        #expect(try Self.run(Self.restart, events, until: 200).count == 1)
        let first = Self.restart.replacingOccurrences(of: "within: 1m}", with: "within: 1m, from: first}")
        #expect(try Self.run(first, events, until: 200).isEmpty)  // the wait from 0 s ended at 60 s
    }

    @Test("absent form: from: first (default) measures from the first start; from: latest from the newest")
    func absentAnchor() throws {
        let rule = """
            - rule: backup-overdue
              when: {type: backupStarted}
              key: "{host}"
              sequence: {then: {type: backupFinished}, within: 4h, absent: true}
              alarm: {summary: "backup on {host} overdue"}
            """
        let events = [
            Event.make("backupStarted", host: "db1", at: 0), Event.make("backupStarted", host: "db1", at: 3 * 3600),
            Event.make("backupFinished", host: "db1", at: 4.5 * 3600),
        ]
        #expect(
            try Self.run(rule, events, until: 8 * 3600).prefix(1) == [
                "14400s raised backup-overdue/db1 ×1 backup on db1 overdue"
            ])
        let latest = rule.replacingOccurrences(of: "absent: true}", with: "absent: true, from: latest}")
        #expect(try Self.run(latest, events, until: 8 * 3600).isEmpty)
    }

    static let oncePer = """
        - rule: noisy
          when: {type: noisy}
          key: "{host}"
          once_per: 1h
          alarm: {summary: "noisy {host}"}
        """

    @Test("once_per: the alarm closes a fixed window after its first event, however the repeats go on")
    func oncePerWindow() throws {
        let events = [0.0, 600, 3000, 3590, 3700, 4000].map { Event.make("noisy", host: "h", at: $0) }
        #expect(
            try Self.run(Self.oncePer, events, until: 9000) == [
                "0s raised noisy/h ×1 noisy h", "3600s cleared noisy/h ×4 noisy h", "3700s raised noisy/h ×1 noisy h",
                "7300s cleared noisy/h ×2 noisy h",
            ])
    }

    @Test("once_per with a threshold: the window runs from the first counted event, then it counts afresh")
    func oncePerThreshold() throws {
        let rule = """
            - rule: bursts
              when: {type: fail}
              key: "{host}"
              threshold: {count: 2, within: 1m}
              once_per: 10m
              alarm: {summary: "failures on {host}"}
            """
        let events = [0.0, 30, 120, 610, 650, 700].map { Event.make("fail", host: "h", at: $0) }
        #expect(
            try Self.run(rule, events, until: 2000).map { $0.components(separatedBy: " ×")[0] } == [
                "30s raised bursts/h", "600s cleared bursts/h", "650s raised bursts/h", "1210s cleared bursts/h",
            ])
    }

    @Test("once_per survives a restart: the restored alarm still closes an hour after its first event")
    func oncePerRestart() throws {
        let rules = try compileRules(Self.oncePer)
        var before = Engine(rules: rules)
        var b = ChangeBatch()
        before.handle(.make("noisy", host: "h", at: 0), at: testEpoch, into: &b)
        let active = before.activeAlarms
        var after = Engine(rules: rules)
        after.restore(active)
        var c = ChangeBatch()
        after.tick(at: testEpoch.adding(nanoseconds: 3_599_000_000_000), into: &c)
        #expect(c.changes.isEmpty)
        after.tick(at: testEpoch.adding(nanoseconds: 3_600_000_000_000), into: &c)
        #expect(c.changes.map(\.kind) == [.cleared])
    }

    @Test("record: every: each repeat is a change of its own, summary from its event; by default they coalesce")
    func everyMatch() throws {
        let rule = """
            - rule: root-login
              when: {type: login, user: root}
              key: "{host}"
              record: every
              alarm: {summary: "root login on {host} from {src}"}
            """
        let events = ["192.0.2.1", "192.0.2.2", "192.0.2.3"].enumerated().map { n, src in
            Event.make("login", host: "h", at: Double(n), ["user": "root", "src": src])
        }
        // All in one batch: the engine would coalesce the repeats.
        var engine = Engine(rules: try compileRules(rule))
        var b = ChangeBatch()
        for e in events { engine.handle(e, at: e.time, into: &b) }
        #expect(
            b.changes.map { "\($0.kind.rawValue) ×\($0.alarm.count) \($0.alarm.summary)" } == [
                "raised ×1 root login on h from 192.0.2.1", "repeated ×2 root login on h from 192.0.2.2",
                "repeated ×3 root login on h from 192.0.2.3",
            ])
        #expect(b.changes.dropFirst().allSatisfy { $0.origin != nil })
        var plain = Engine(rules: try compileRules(rule.replacingOccurrences(of: "  record: every\n", with: "")))
        var p = ChangeBatch()
        for e in events { plain.handle(e, at: e.time, into: &p) }
        #expect(p.changes.map(\.kind) == [.raised])  // the repeats folded into the raise
        // A timed rule too (auto-clear).
        let timed = rule.replacingOccurrences(of: "record: every", with: "record: every\n  auto_clear: 10m")
        var t = Engine(rules: try compileRules(timed))
        var tb = ChangeBatch()
        for e in events { t.handle(e, at: e.time, into: &tb) }
        #expect(tb.changes.map(\.kind) == [.raised, .repeated, .repeated])
    }

    @Test("while_alarm / unless_alarm: decided when the event arrives, from the key rendered from it")
    func alarmConditions() throws {
        let rules = """
            - rule: site-down
              when: {type: siteDown}
              key: "{site}"
              clear_when: {type: siteUp}
              alarm: {}
            - rule: during
              when: {type: fail, host: {regex: '^(?P<place>[a-z]+)-'}}
              key: "{host}"
              while_alarm: {rule: site-down, key: "{place}"}
              alarm: {summary: "{host} failed while {place} is down"}
            - rule: outside
              when: {type: fail}
              key: "{host}"
              unless_alarm: [{rule: site-down, key: "{site}"}]
              alarm: {summary: "{host} failed"}
            """
        let events: [Event] = [
            .make("fail", host: "ams-1", at: 0, ["site": "ams"]), .make("siteDown", host: "x", at: 10, ["site": "ams"]),
            .make("fail", host: "ams-2", at: 20, ["site": "ams"]),
            .make("fail", host: "fra-1", at: 30, ["site": "fra"]),
            .make("siteUp", host: "x", at: 40, ["site": "ams"]), .make("fail", host: "ams-3", at: 50, ["site": "ams"]),
        ]
        // `during` keys its condition on a regex capture; `outside` on an attribute.
        #expect(
            try Self.run(rules, events, until: 100).map { $0.components(separatedBy: " ×")[0] } == [
                "0s raised outside/ams-1", "10s raised site-down/ams", "20s raised during/ams-2",
                "30s raised outside/fra-1", "40s cleared site-down/ams", "50s raised outside/ams-3",
            ])
        #expect(throws: (any Error).self) {
            try compileRules("- rule: a\n  when: {type: x}\n  while_alarm: {rule: nope}\n  alarm: {}\n")
        }
    }

    @Test(
        "refused at file:line:col",
        arguments: [
            (
                "- rule: r\n  when: {type: a}\n  record: all\n  alarm: {summary: x}\n",
                "test.yaml:3:11: record must be changes"
            ),
            (
                "- rule: r\n  expect: {type: a}\n  absent_for: 1m\n  once_per: 1h\n  alarm: {summary: x}\n",
                "test.yaml:4:13: rule 'r': once_per does not apply to a rule with 'absent_for'"
            ),
            (
                "- rule: r\n  when: {type: a}\n  sequence: {then: {type: b}, within: 1m, from: last}\n  alarm: {summary: x}\n",
                "sequence.from must be first or latest, not 'last'"
            ),
        ])
    func refused(yaml: String, message: String) {
        do {
            _ = try compileRules(yaml)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}
