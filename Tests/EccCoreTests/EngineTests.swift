import EccCore
import EccTestSupport
import Testing

let linkRules = """
    - rule: interface-down
      when: {type: linkDown}
      key: "{host}/{ifIndex}"
      clear_when: {type: linkUp}
      alarm: {severity: major, summary: "Interface {ifIndex} down on {host} ({count})"}
    - rule: any-down
      when: {type: linkDown}
      key: "{host}"
      alarm: {summary: "something down on {host}"}
    """

/// Feeds events one at a time (or in batches of `batch`) and returns all changes, coalesced per batch.
func run(_ engine: inout Engine, _ events: [Event], batch: Int = 1, at now: EventTime = testEpoch) -> [AlarmChange] {
    var out: [AlarmChange] = []
    for chunk in stride(from: 0, to: events.count, by: batch) {
        var b = ChangeBatch()
        for e in events[chunk..<min(chunk + batch, events.count)] { engine.handle(e, at: now, into: &b) }
        out += b.changes
    }
    return out
}

@Suite("Engine")
struct EngineTests {
    @Test("first event raises, repeats count, a clearing event clears")
    func lifecycle() throws {
        var engine = Engine(rules: try compileRules(linkRules))
        let changes = run(
            &engine,
            [
                .make("linkDown", severity: .warning, at: 0, ["ifIndex": "7"]),
                .make("linkDown", severity: .critical, at: 5, ["ifIndex": "7"]),
                .make("linkUp", at: 9, ["ifIndex": "7"]),
            ])
        let mine = changes.filter { $0.alarm.rule == "interface-down" }
        #expect(mine.map(\.kind) == [.raised, .repeated, .cleared])
        #expect(mine[0].alarm.severity == .major)
        #expect(mine[1].alarm.count == 2)
        #expect(mine[1].alarm.summary == "Interface 7 down on sw1 (2)")
        #expect(mine[1].alarm.lastSeen == testEpoch.adding(nanoseconds: 5_000_000_000))
        #expect(
            mine[2].alarm.state == .cleared && mine[2].alarm.clearedAt == testEpoch.adding(nanoseconds: 9_000_000_000))
        // The rule without a fixed severity follows the worst event severity.
        let other = changes.filter { $0.alarm.rule == "any-down" }
        #expect(other.last?.alarm.severity == .critical)
        #expect(engine.activeAlarmCount == 1)
    }

    @Test("one alarm per key; ids increase")
    func keys() throws {
        var engine = Engine(rules: try compileRules(linkRules), nextAlarmID: 10)
        let changes = run(
            &engine,
            [
                .make("linkDown", ["ifIndex": "1"]), .make("linkDown", ["ifIndex": "2"]),
                .make("linkDown", host: "sw2", ["ifIndex": "1"]),
            ])
        let raised = changes.filter { $0.kind == .raised && $0.alarm.rule == "interface-down" }
        #expect(raised.map(\.alarm.key) == ["sw1/1", "sw1/2", "sw2/1"])
        #expect(Set(changes.map(\.alarm.id)).count == 5)
        #expect(changes.map(\.alarm.id).min() == 10)
    }

    @Test("a clear for an alarm that is not active does nothing; after a clear the next event raises anew")
    func clearThenRaise() throws {
        var engine = Engine(rules: try compileRules(linkRules))
        let changes = run(
            &engine,
            [
                .make("linkUp", ["ifIndex": "7"]), .make("linkDown", ["ifIndex": "7"]),
                .make("linkUp", ["ifIndex": "7"]), .make("linkDown", ["ifIndex": "7"]),
            ]
        )
        .filter { $0.alarm.rule == "interface-down" }
        #expect(changes.map(\.kind) == [.raised, .cleared, .raised])
        #expect(changes[0].alarm.id != changes[2].alarm.id)
    }

    @Test("stop: true keeps later rules from seeing the event")
    func stop() throws {
        let rules = try compileRules(
            """
            - rule: first
              when: {type: x}
              stop: true
              alarm: {summary: a}
            - rule: second
              when: {type: x}
              alarm: {summary: b}
            """)
        var engine = Engine(rules: rules)
        #expect(run(&engine, [.make("x")]).map(\.alarm.rule) == ["first"])
    }

    @Test("same events give the same final alarms whatever the batch size", arguments: [1, 3, 64])
    func deterministic(batch: Int) throws {
        var events: [Event] = []
        for i in 0..<200 {
            events.append(
                .make(i % 7 == 0 ? "linkUp" : "linkDown", host: "sw\(i % 3)", at: Double(i), ["ifIndex": "\(i % 5)"]))
        }
        var a = Engine(rules: try compileRules(linkRules))
        var b = Engine(rules: try compileRules(linkRules))
        _ = run(&a, events, batch: 1)
        _ = run(&b, events, batch: batch)
        #expect(a.activeAlarms == b.activeAlarms)
        #expect(a.nextAlarmID == b.nextAlarmID)
    }

    @Test("restore: restored active alarms keep counting instead of raising duplicates")
    func restore() throws {
        var first = Engine(rules: try compileRules(linkRules))
        _ = run(&first, [.make("linkDown", ["ifIndex": "7"]), .make("linkDown", ["ifIndex": "7"])])
        var second = Engine(rules: try compileRules(linkRules))
        let orphans = second.restore(first.activeAlarms)
        #expect(orphans.isEmpty)
        let changes = run(&second, [.make("linkDown", ["ifIndex": "7"])])
        #expect(changes.allSatisfy { $0.kind == .repeated })
        #expect(changes.first { $0.alarm.rule == "interface-down" }?.alarm.count == 3)
        #expect(second.nextAlarmID == first.nextAlarmID)
    }

    @Test("reload keeps the state of unchanged rules and reports every rule")
    func reload() throws {
        var engine = Engine(rules: try compileRules(linkRules))
        _ = run(&engine, [.make("linkDown", ["ifIndex": "7"])])
        let changed =
            linkRules.replacingOccurrences(of: "something down", with: "anything down")
            + "\n- rule: new-rule\n  when: {type: z}\n  alarm: {summary: z}\n"
        var cleared = ChangeBatch()
        let report = engine.replaceRules(try compileRules(changed), at: testEpoch, into: &cleared)
        #expect(cleared.isEmpty)
        #expect(report.unchanged == ["interface-down"])
        #expect(report.changed == ["any-down"])
        #expect(report.added == ["new-rule"])
        let again = run(&engine, [.make("linkDown", ["ifIndex": "7"])])
        #expect(again.allSatisfy { $0.kind == .repeated })
    }
}

extension EngineTests {
    @Test("reload clears the alarms of removed rules and of rules whose key changed")
    func reloadClearsUntrackable() throws {
        var engine = Engine(rules: try compileRules(linkRules))
        _ = run(&engine, [.make("linkDown", ["ifIndex": "7"])])
        let rekeyed = """
            - rule: interface-down
              when: {type: linkDown}
              key: "{host}"
              alarm: {summary: x}
            """
        var cleared = ChangeBatch()
        let report = engine.replaceRules(try compileRules(rekeyed), at: testEpoch, into: &cleared)
        #expect(report.removed == ["any-down"])
        #expect(report.clearedAlarms == 2)
        #expect(cleared.changes.map(\.kind) == [.cleared, .cleared])
        #expect(Set(cleared.changes.map(\.alarm.rule)) == ["interface-down", "any-down"])
        #expect(engine.activeAlarmCount == 0)
    }
}

@Suite("Change batches")
struct ChangeBatchTests {
    @Test("repeats coalesce into the latest snapshot; raises and clears are kept in order")
    func coalesce() {
        func change(_ kind: AlarmChange.Kind, id: UInt64, count: Int64) -> AlarmChange {
            AlarmChange(
                kind: kind,
                alarm: Alarm(
                    id: id, rule: "r", key: "k", severity: .major, summary: "", source: "s", host: "h", type: "t",
                    firstSeen: testEpoch, lastSeen: testEpoch, count: count),
                at: testEpoch)
        }
        var b = ChangeBatch()
        b.append(change(.raised, id: 1, count: 1))
        b.append(change(.repeated, id: 1, count: 2))
        b.append(change(.repeated, id: 2, count: 5))
        b.append(change(.repeated, id: 1, count: 3))
        b.append(change(.cleared, id: 1, count: 3))
        b.append(change(.repeated, id: 2, count: 6))
        #expect(b.changes.map(\.kind) == [.raised, .repeated, .cleared])
        #expect(b.changes.map(\.alarm.count) == [3, 6, 3])
        #expect(b.changes.map(\.alarm.id) == [1, 2, 1])
    }

    @Test("engine hints update an entry in place within a batch and are ignored by another batch")
    func hints() {
        let a = Alarm(
            id: 7, rule: "r", key: "k", severity: .major, summary: "", source: "s", host: "h", type: "t",
            firstSeen: testEpoch, lastSeen: testEpoch)
        var first = ChangeBatch()
        var hint = first.appendRaised(a, at: testEpoch)
        var b = a
        b.count = 2
        first.appendRepeat(of: b, at: testEpoch, hint: &hint)
        #expect(first.changes.map(\.kind) == [.raised])
        #expect(first.changes[0].alarm.count == 2)
        let taken = first.take()
        #expect(taken.count == 1 && first.isEmpty)
        b.count = 3
        first.appendRepeat(of: b, at: testEpoch, hint: &hint)  // stale hint: a new entry
        #expect(first.changes.map(\.kind) == [.repeated])
        #expect(first.changes[0].alarm.count == 3)
        var other = ChangeBatch()
        var foreign = hint
        other.appendRepeat(of: b, at: testEpoch, hint: &foreign)
        #expect(other.changes.count == 1)
    }
}
