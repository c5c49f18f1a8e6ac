import EccCore
import EccTestSupport
import Testing

/// The correlation constructs on the pure engine: determinism, state across snapshots, suppression
/// bookkeeping. (Their behaviour per construct is covered by the rule tests in rules/*.test.yaml.)
@Suite("Correlation constructs")
struct CorrelationTests {
    static let yaml = """
        - ci: core1
        - ci: sw1
          parent: core1
        - rule: node-down
          when: {type: nodeDown}
          clear_when: {type: nodeUp}
          root_cause: true
          alarm: {severity: critical}
        - rule: link-down
          when: {type: linkDown}
          key: "{host}/{ifIndex}"
          clear_when: {type: linkUp}
          flap: {count: 3, within: 5m}
          escalate: [{after: 10m, severity: critical}]
          alarm: {severity: minor, summary: "link {ifIndex} on {host}"}
        - rule: many-links
          when: {type: linkDown}
          key: "{host}/{ifIndex}"
          clear_when: {type: linkUp}
          group: {by: "{host}", count: 3, within: 2m}
          alarm: {severity: major, summary: "{count} links down on {host}"}
        - rule: job-stuck
          when: {type: jobStart}
          key: "{host}/{job}"
          sequence: {then: {type: jobEnd}, within: 1h, absent: true}
          alarm: {severity: warning}
        - rule: power
          when: {type: powerFail}
          clear_when: {type: powerOk}
          alarm: {severity: major}
        - inhibit: power-quiets-minor
          source: [power]
          target_match: {severity: minor}
          equal: [host]
        - maintenance: sw2-work
          start: 2025-11-25T11:00:00Z
          end: 2025-11-25T12:00:00Z
          hosts: [sw2]
        - route: all
          receivers: [noc]
        """

    /// A day of mixed events, in time order, with gaps.
    static func events() -> [Event] {
        var out: [Event] = []
        var t = 0.0
        for i in 0..<400 {
            t += Double((i * 37) % 90)
            let host = ["core1", "sw1", "sw2"][i % 3]
            switch i % 7 {
            case 0: out.append(.make("linkDown", host: host, at: t, ["ifIndex": "\(i % 5)"]))
            case 1: out.append(.make("linkUp", host: host, at: t, ["ifIndex": "\((i + 2) % 5)"]))
            case 2: out.append(.make(i % 4 == 0 ? "nodeDown" : "nodeUp", host: host, at: t))
            case 3: out.append(.make("jobStart", host: host, at: t, ["job": "j\(i % 4)"]))
            case 4: out.append(.make("jobEnd", host: host, at: t, ["job": "j\(i % 3)"]))
            default:
                switch i % 11 {
                case 5: out.append(.make("powerFail", host: host, at: t))
                case 6: out.append(.make("powerOk", host: host, at: t))
                default: out.append(.make("linkDown", host: host, at: t, ["ifIndex": "\(i % 3)"]))
                }
            }
            if i % 50 == 0 {
                // A burst: a flapping link, and three links of one switch down at once.
                for k in 0..<4 {
                    out.append(
                        .make(k % 2 == 0 ? "linkDown" : "linkUp", host: "sw3", at: t + Double(k), ["ifIndex": "1"]))
                    out.append(.make("linkDown", host: "sw4", at: t + Double(k), ["ifIndex": "\(k)"]))
                }
                t += 5
            }
        }
        return out
    }

    /// The changes, without repeats, as comparable lines.
    /// `restartAt`: after that event, the engine is replaced by one restored as eccd restores it after a
    /// restart: active alarms (as stored), their raising events, and the snapshot.
    static func run(_ rules: RuleSet, tickEvery: Int?, batchEvery: Int, restartAt: Int? = nil) -> [String] {
        var engine = Engine(rules: rules)
        var out: [String] = []
        var batch = ChangeBatch()
        var origins: [UInt64: Event] = [:]
        func drain() {
            for c in batch.take().changes where c.kind != .repeated {
                if c.kind == .raised, let o = c.origin { origins[c.alarm.id] = o }
                out.append(
                    "\((c.at.nanoseconds - testEpoch.nanoseconds) / 1_000_000_000) \(c.kind) \(c.alarm.id) \(c.alarm.rule)[\(c.alarm.key)] \(c.alarm.severity) "
                        + "\(c.alarm.suppression?.description ?? "-") \(c.alarm.flapping) \(c.alarm.members) "
                        + "\(c.notify)")
            }
        }
        for (n, e) in events().enumerated() {
            engine.handle(e, at: e.time, into: &batch)
            if let tickEvery, n % tickEvery == 0 { engine.tick(at: e.time, into: &batch) }
            if n % batchEvery == 0 { drain() }
            if n == restartAt {
                drain()
                var restarted = Engine(rules: rules, nextAlarmID: engine.nextAlarmID)
                restarted.restore(engine.activeAlarms) { origins[$0] }
                restarted.restore(engine.snapshot())
                engine = restarted
            }
        }
        engine.tick(at: testEpoch.adding(nanoseconds: 86_400 * 1_000_000_000), into: &batch)
        drain()
        return out
    }

    @Test("same events, same changes, whatever the batch sizes and tick rates")
    func deterministic() throws {
        let rules = try compileRules(Self.yaml)
        let reference = Self.run(rules, tickEvery: nil, batchEvery: 1)
        #expect(reference.count > 50)
        // Every construct took part.
        for needle in ["symptom:node-down", "true", "many-links", "job-stuck", "updated", "critical"] {
            #expect(reference.contains { $0.contains(needle) }, "no change mentions \(needle)")
        }
        #expect(Self.run(rules, tickEvery: 1, batchEvery: 1) == reference)
        #expect(Self.run(rules, tickEvery: 7, batchEvery: 50) == reference)
        #expect(Self.run(rules, tickEvery: nil, batchEvery: 1000) == reference)
    }

    @Test("a restart at any point changes nothing: stored alarms, raising events and the snapshot restore it all")
    func restartEquivalence() throws {
        let rules = try compileRules(Self.yaml)
        let reference = Self.run(rules, tickEvery: nil, batchEvery: 1)
        for needle in ["inhibited:power-quiets-minor", "maintenance:sw2-work"] {
            #expect(reference.contains { $0.contains(needle) }, "no change mentions \(needle)")
        }
        for cut in stride(from: 1, to: Self.events().count, by: 5) {
            let restarted = Self.run(rules, tickEvery: nil, batchEvery: 1, restartAt: cut)
            let diff = restarted.difference(from: reference)
            #expect(diff.isEmpty, "restart after event \(cut): \(diff.prefix(6).map { "\($0)" })")
        }
    }

    @Test("a half-formed group and a waiting sequence survive a snapshot")
    func snapshotPatterns() throws {
        let rules = try compileRules(Self.yaml)
        var a = Engine(rules: rules)
        var batch = ChangeBatch()
        a.handle(.make("linkDown", host: "sw9", at: 0, ["ifIndex": "1"]), at: testEpoch, into: &batch)
        a.handle(.make("linkDown", host: "sw9", at: 10, ["ifIndex": "2"]), at: testEpoch, into: &batch)
        a.handle(.make("jobStart", host: "h", at: 20, ["job": "x"]), at: testEpoch, into: &batch)
        let snap = a.snapshot()
        #expect(snap.entries.contains { $0.kind == .group && $0.prototype?.members == ["sw9/1", "sw9/2"] })
        #expect(snap.entries.contains { $0.kind == .sequence && $0.key == "h/x" })
        var b = Engine(rules: rules, nextAlarmID: 100)
        b.restore(a.activeAlarms)
        #expect(b.restore(snap).skipped == 0)
        var after = ChangeBatch()
        b.handle(.make("linkDown", host: "sw9", at: 30, ["ifIndex": "3"]), at: testEpoch, into: &after)
        b.tick(at: testEpoch.adding(nanoseconds: 2 * 3_600_000_000_000), into: &after)
        let raised = after.changes.filter { $0.kind == .raised }
        #expect(raised.contains { $0.alarm.rule == "many-links" && $0.alarm.members == ["sw9/1", "sw9/2", "sw9/3"] })
        #expect(raised.contains { $0.alarm.rule == "job-stuck" && $0.alarm.key == "h/x" })
    }

    @Test("suppressed alarms restored from the store stay suppressed and are released with their cause")
    func restoreSuppressed() throws {
        let rules = try compileRules(Self.yaml)
        var a = Engine(rules: rules)
        var batch = ChangeBatch()
        a.handle(.make("nodeDown", host: "core1", at: 0), at: testEpoch, into: &batch)
        a.handle(.make("nodeDown", host: "sw1", at: 1), at: testEpoch, into: &batch)
        let active = a.activeAlarms
        #expect(active.first { $0.host == "sw1" }?.suppression?.reason == .symptom)
        var b = Engine(rules: rules)
        b.restore(active)
        var after = ChangeBatch()
        b.handle(.make("nodeUp", host: "core1", at: 60), at: testEpoch, into: &after)
        let kinds = after.changes.map { "\($0.kind) \($0.alarm.host) \($0.alarm.suppression?.description ?? "-")" }
        #expect(kinds == ["cleared core1 -", "updated sw1 -"])
        #expect(after.changes.last?.notify == ["all"])
    }

    @Test("maintenance windows: a recurring window is expanded, lookups are binary searched")
    func maintenanceIntervals() {
        let day: Int64 = 86_400_000_000_000
        let w = MaintenanceWindow(
            name: "w",
            intervals: (0..<100).map {
                .init(
                    start: EventTime(nanoseconds: Int64($0) * day), end: EventTime(nanoseconds: Int64($0) * day + 1000))
            },
            hosts: ["h"], match: nil)
        #expect(w.interval(at: EventTime(nanoseconds: 5 * day + 999)) != nil)
        #expect(w.interval(at: EventTime(nanoseconds: 5 * day + 1000)) == nil)
        #expect(w.interval(at: EventTime(nanoseconds: -1)) == nil)
        #expect(w.interval(at: EventTime(nanoseconds: 99 * day)) != nil)
    }
}
