import EccCore
import EccTestSupport
import Testing

let timedRules = """
    - rule: held
      when: {type: down}
      key: "{host}"
      clear_when: {type: up}
      hold: 30s
      alarm: {severity: major, summary: "held {host}"}
    - rule: burst
      when: {type: fail}
      key: "{host}"
      threshold: {count: 3, within: 60s, clear_below: 1}
      alarm: {summary: "{count} failures on {host}"}
    - rule: quiet
      when: {type: noisy}
      key: "{host}"
      auto_clear: 5m
      alarm: {summary: "noisy {host}"}
    - rule: silent
      expect: {type: heartbeat}
      absent_for: 10m
      key: "{host}"
      alarm: {summary: "{host} silent"}
    """

/// Feeds events (each at its own time), ticking every `tick` seconds in between, up to `until`.
func timeline(_ events: [Event], until: Double, tick: Double?) throws -> [String] {
    var engine = Engine(rules: try compileRules(timedRules))
    var out: [String] = []
    func record(_ b: ChangeBatch) {
        for c in b.changes where c.kind != .repeated {
            let t = (c.at.nanoseconds - testEpoch.nanoseconds) / 1_000_000_000
            out.append("\(t)s \(c.kind.rawValue) \(c.alarm.rule)/\(c.alarm.key) ×\(c.alarm.count)")
        }
    }
    var clock = 0.0
    for e in events {
        let at = Double(e.time.nanoseconds - testEpoch.nanoseconds) / 1e9
        if let tick {
            while clock + tick < at {
                clock += tick
                var b = ChangeBatch()
                engine.tick(at: testEpoch.adding(nanoseconds: Int64(clock * 1e9)), into: &b)
                record(b)
            }
        }
        var b = ChangeBatch()
        engine.handle(e, at: e.time, into: &b)
        record(b)
    }
    var b = ChangeBatch()
    engine.tick(at: testEpoch.adding(nanoseconds: Int64(until * 1e9)), into: &b)
    record(b)
    return out
}

@Suite("Timed rules")
struct TimedRuleTests {
    @Test("hold: raised at the end of the hold with the events seen meanwhile; a quick clear raises nothing")
    func hold() throws {
        let t = try timeline(
            [
                .make("down", host: "a", at: 0), .make("down", host: "a", at: 5), .make("down", host: "b", at: 10),
                .make("up", host: "b", at: 20), .make("up", host: "a", at: 100),
            ],
            until: 200, tick: nil)
        #expect(t == ["30s raised held/a ×2", "100s cleared held/a ×2"])
    }

    @Test("threshold: raised on the Nth event within the window; cleared when the window empties")
    func threshold() throws {
        let t = try timeline(
            [.make("fail", at: 0), .make("fail", at: 70), .make("fail", at: 80), .make("fail", at: 90)],
            until: 300, tick: nil)
        #expect(t == ["90s raised burst/sw1 ×3", "150s cleared burst/sw1 ×3"])
    }

    @Test("threshold with clear_below: a flood keeps the alarm; it clears when fewer samples than that are left")
    func thresholdClearBelowFlood() throws {
        let rules = """
            - rule: burst
              when: {type: fail}
              key: "{host}"
              threshold: {count: 3, within: 60s, clear_below: 2}
              alarm: {summary: "{count} failures on {host}"}
            """
        var engine = Engine(rules: try compileRules(rules))
        var out: [String] = []
        // 100,000 samples over 100 s (the window only needs the newest two of them), one late by 5 s.
        for i in 0..<100_000 {
            let at = i == 99_990 ? 95.0 : Double(i) / 1000
            var b = ChangeBatch()
            engine.handle(.make("fail", at: at), at: testEpoch.adding(nanoseconds: Int64(at * 1e9)), into: &b)
            out += b.changes.filter { $0.kind != .repeated }.map { "\($0.kind.rawValue)" }
        }
        var b = ChangeBatch()
        engine.tick(at: testEpoch.adding(nanoseconds: 159_997_000_000), into: &b)
        #expect(b.changes.isEmpty)  // the second newest sample (99.998 s) is still in the window
        engine.tick(at: testEpoch.adding(nanoseconds: 159_999_000_000), into: &b)
        #expect(b.changes.map { "\($0.kind.rawValue) ×\($0.alarm.count)" } == ["cleared ×100000"])
        #expect(out == ["raised"])
    }

    @Test("auto-clear after silence, measured from the last event")
    func autoClear() throws {
        let t = try timeline([.make("noisy", at: 0), .make("noisy", at: 120)], until: 1000, tick: nil)
        #expect(t == ["0s raised quiet/sw1 ×1", "420s cleared quiet/sw1 ×2"])
    }

    @Test("absence: raised when the heartbeat is overdue, cleared by the next one")
    func absence() throws {
        let t = try timeline(
            [.make("heartbeat", at: 0), .make("heartbeat", at: 300), .make("heartbeat", at: 1500)],
            until: 1600, tick: nil)
        #expect(t == ["900s raised silent/sw1 ×1", "1500s cleared silent/sw1 ×1"])
    }

    @Test("the same changes whether time advances in one jump or in small ticks", arguments: [nil, 1.0, 7.0, 61.0])
    func tickGranularity(tick: Double?) throws {
        var events: [Event] = []
        for i in 0..<120 {
            let at = Double(i * 13)
            switch i % 6 {
            case 0: events.append(.make("down", host: "h\(i % 4)", at: at))
            case 1: events.append(.make("up", host: "h\((i + 1) % 4)", at: at))
            case 2, 3: events.append(.make("fail", host: "h\(i % 3)", at: at))
            case 4: events.append(.make("noisy", host: "h\(i % 5)", at: at))
            default: events.append(.make("heartbeat", host: "h\(i % 2)", at: at))
            }
        }
        let reference = try timeline(events, until: 5000, tick: nil)
        #expect(!reference.isEmpty)
        #expect(try timeline(events, until: 5000, tick: tick) == reference)
    }
}

extension TimedRuleTests {
    @Test("a held alarm's {count} summary is rendered when it is raised; a raise keeps its own time")
    func heldCountAndRaiseTime() throws {
        let rules = try compileRules(
            """
            - rule: held
              when: {type: down}
              hold: 30s
              alarm: {summary: "{count} downs on {host}"}
            """)
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        for at in [0.0, 5, 10] {
            engine.handle(.make("down", at: at), at: testEpoch.adding(nanoseconds: Int64(at * 1e9)), into: &batch)
        }
        // The hold ends at 30 s; the next event (40 s) arrives in the same batch.
        engine.handle(.make("down", at: 40), at: testEpoch.adding(nanoseconds: 40_000_000_000), into: &batch)
        let raised = try #require(batch.changes.first)
        #expect(batch.changes.count == 1)
        #expect(raised.kind == .raised)
        #expect(raised.at == testEpoch.adding(nanoseconds: 30_000_000_000))
        #expect(raised.alarm.count == 4)  // the repeat merged into the raise: latest state, raise time
        #expect(raised.alarm.summary.hasPrefix("4 downs"))

        var alone = Engine(rules: rules)
        var b = ChangeBatch()
        for at in [0.0, 5, 10] {
            alone.handle(.make("down", at: at), at: testEpoch.adding(nanoseconds: Int64(at * 1e9)), into: &b)
        }
        alone.tick(at: testEpoch.adding(nanoseconds: 31_000_000_000), into: &b)
        #expect(b.changes.first?.alarm.summary == "3 downs on sw1")  // rendered when the hold ended
    }

    @Test("auto-clear shorter than hold never clears before the raise")
    func autoClearAfterRaise() throws {
        let rules = try compileRules(
            """
            - rule: r
              when: {type: down}
              hold: 1m
              auto_clear: 10s
              alarm: {summary: s}
            """)
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        engine.handle(.make("down", at: 0), at: testEpoch, into: &batch)
        engine.tick(at: testEpoch.adding(nanoseconds: 120_000_000_000), into: &batch)
        #expect(batch.changes.map(\.kind) == [.raised, .cleared])
        #expect(batch.changes[1].at >= batch.changes[0].at)
    }

    @Test("state survives a snapshot: a threshold half-filled before a restart fires after it")
    func snapshotRestore() throws {
        let rules = try compileRules(timedRules)
        var before = Engine(rules: rules)
        var batch = ChangeBatch()
        before.handle(.make("fail", at: 0), at: testEpoch, into: &batch)
        before.handle(.make("fail", at: 10), at: testEpoch.adding(nanoseconds: 10_000_000_000), into: &batch)
        before.handle(.make("down", host: "d", at: 12), at: testEpoch.adding(nanoseconds: 12_000_000_000), into: &batch)
        before.handle(
            .make("heartbeat", host: "pc", at: 15), at: testEpoch.adding(nanoseconds: 15_000_000_000), into: &batch)
        #expect(batch.isEmpty)
        let snapshot = before.snapshot()
        #expect(snapshot.entries.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.counting, .heartbeat, .held])

        var after = Engine(rules: try compileRules(timedRules))
        let (restored, skipped) = after.restore(snapshot)
        #expect(restored == 3 && skipped == 0)
        var out = ChangeBatch()
        after.handle(.make("fail", at: 20), at: testEpoch.adding(nanoseconds: 20_000_000_000), into: &out)
        after.tick(at: testEpoch.adding(nanoseconds: 700_000_000_000), into: &out)
        let raised = out.changes.filter { $0.kind == .raised }.map { "\($0.alarm.rule)/\($0.alarm.key)" }
        #expect(raised == ["burst/sw1", "held/d", "silent/pc"])

        // A changed rule does not get its old state back.
        let changed = timedRules.replacingOccurrences(of: "count: 3", with: "count: 4")
        var other = Engine(rules: try compileRules(changed))
        #expect(other.restore(snapshot) == (2, 1))
    }

    @Test("reloading a changed timed rule keeps its active alarms but not its held or counted events")
    func reloadResetsPending() throws {
        var engine = Engine(rules: try compileRules(timedRules))
        var batch = ChangeBatch()
        engine.handle(.make("down", host: "d", at: 0), at: testEpoch, into: &batch)
        let changed = timedRules.replacingOccurrences(of: "hold: 30s", with: "hold: 20s")
        _ = engine.replaceRules(try compileRules(changed), at: testEpoch, into: &batch)
        engine.tick(at: testEpoch.adding(nanoseconds: 100_000_000_000), into: &batch)
        #expect(batch.isEmpty)
    }
}
