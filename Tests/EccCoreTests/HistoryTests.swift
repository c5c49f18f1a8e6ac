import EccCore
import EccTestSupport
import Testing

/// History arriving late: a sender's spool flushed long after its events happened runs on the sender's own
/// clock, so its holds, absences and windows decide as they would have in time.
@Suite("History arriving late")
struct HistoryTests {
    static let rules =
        timedRules + """

            - engine: settings
              lateness: 5s
            """

    /// An hour of one agent's events: heartbeats every minute with a 15-minute gap, a short outage the hold
    /// absorbs, a long one it raises, failures that cross a threshold and age out.
    static func agentHour(host: String = "agent1") -> [Event] {
        var events: [Event] = []
        for minute in 0..<60 where !(20..<35).contains(minute) {
            events.append(Event.make("heartbeat", host: host, at: Double(minute) * 60))
        }
        let more: [Event] = [
            .make("down", host: host, at: 10 * 60),
            .make("up", host: host, at: 10 * 60 + 20),  // within the 30 s hold: nothing
            .make("down", host: host, at: 40 * 60),
            .make("up", host: host, at: 41 * 60),  // raised at 40:30, cleared at 41:00
            .make("fail", host: host, at: 50 * 60),
            .make("fail", host: host, at: 50 * 60 + 10),
            .make("fail", host: host, at: 50 * 60 + 20),  // 3 within 60 s: raised; clears as they age out
            .make("noisy", host: host, at: 55 * 60),  // auto-clears 5 minutes later
        ]
        events += more
        return events.sorted { $0.time < $1.time }
    }

    /// The event as a collector hands it over: received at `now`, long after its own time.
    static func arrived(_ e: Event, at now: EventTime) -> Event {
        var e = e
        e.receivedAt = now
        return e
    }

    /// What became of each alarm, without processing times (those differ between live and a flush).
    static func outcome(_ changes: [AlarmChange]) -> [String] {
        changes.filter { $0.kind != .repeated }.map { c in
            let a = c.alarm
            let first = (a.firstSeen.nanoseconds - testEpoch.nanoseconds) / 1_000_000_000
            let cleared = a.clearedAt.map { "\(($0.nanoseconds - testEpoch.nanoseconds) / 1_000_000_000)s" } ?? "-"
            return "\(c.kind.rawValue) \(a.rule)/\(a.key) first \(first)s cleared \(cleared) ×\(a.count)"
        }
    }

    /// The events sent in time: each handled when it happens, the clock ticking every second.
    static func inTime(_ events: [Event], rules: RuleSet, until: Double) -> [AlarmChange] {
        var engine = Engine(rules: rules)
        var b = ChangeBatch()
        var clock = 0.0
        for e in events {
            let at = Double(e.time.nanoseconds - testEpoch.nanoseconds) / 1e9
            while clock + 1 < at {
                clock += 1
                engine.tick(at: testEpoch.adding(nanoseconds: Int64(clock * 1e9)), into: &b)
            }
            engine.handle(e, at: e.time, into: &b)
        }
        engine.tick(at: testEpoch.adding(nanoseconds: Int64(until * 1e9)), into: &b)
        return b.changes
    }

    /// The same events flushed from a spool two hours later, in one burst, while another sender is live;
    /// the daemon then finds the sender silent (`closeIdleHistory`) and time goes on to `until`.
    static func flushed(_ events: [Event], rules: RuleSet, until: Double) -> (changes: [AlarmChange], engine: Engine) {
        var engine = Engine(rules: rules)
        var b = ChangeBatch()
        let now = testEpoch.adding(nanoseconds: 7_200_000_000_000)
        engine.handle(.make("heartbeat", host: "live1", at: 7200), at: now, into: &b)
        engine.tick(at: now, into: &b)
        for e in events { engine.handle(Self.arrived(e, at: now), at: now, into: &b) }
        let later = now.adding(nanoseconds: 3_000_000_000)
        engine.tick(at: later, into: &b)
        engine.closeIdleHistory(at: later, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: Int64(until * 1e9)), into: &b)
        return (b.changes.filter { $0.alarm.host != "live1" }, engine)
    }

    @Test("a spool flushed two hours late gives the alarms the same events gave in time")
    func flushEqualsInTime() throws {
        let rules = try compileRules(Self.rules)
        let events = Self.agentHour()
        // Until 7203 s: the in-time run sees the agent silent after its last heartbeat, as the flush does.
        let live = Self.outcome(Self.inTime(events, rules: rules, until: 7203))
        let (changes, engine) = Self.flushed(events, rules: rules, until: 7203)
        #expect(Self.outcome(changes) == live)
        #expect(live.contains("raised held/agent1 first 2400s cleared - ×1"))
        #expect(live.contains { $0.hasPrefix("raised silent/agent1 first 1740s") })
        #expect(live.contains { $0.hasPrefix("cleared burst/agent1") })
        #expect(engine.historyEvents == UInt64(events.count))
        #expect(engine.historySenders == 0)
        #expect(engine.lateEvents == 0)
    }

    @Test("the test can fail: on the engine's one clock, the flush fires every timer at once")
    func withoutOwnClocks() throws {
        let rules = try compileRules(Self.rules + "\n  history_after: 24h\n")
        let events = Self.agentHour()
        let live = Self.outcome(Self.inTime(events, rules: rules, until: 7203))
        let (changes, engine) = Self.flushed(events, rules: rules, until: 7203)
        #expect(Self.outcome(changes) != live)
        #expect(engine.historyEvents == 0)
        #expect(engine.lateEvents > 0)
    }

    @Test("an event that waited in eccd's own queues is not history: it arrived in time")
    func queuedIsNotHistory() throws {
        var engine = Engine(rules: try compileRules(Self.rules))
        var b = ChangeBatch()
        let now = testEpoch.adding(nanoseconds: 3_600_000_000_000)
        engine.tick(at: now, into: &b)
        // Stamped on arrival a minute ago (the bus was full); handled now.
        engine.handle(.make("down", host: "a", at: 3540), at: now, into: &b)
        #expect(engine.historySenders == 0 && engine.historyEvents == 0 && engine.lateEvents == 1)
    }

    @Test("a sender that catches up leaves its own clock: its timers join the engine's")
    func catchUp() throws {
        var engine = Engine(rules: try compileRules(Self.rules))
        var b = ChangeBatch()
        let now = testEpoch.adding(nanoseconds: 3_600_000_000_000)
        engine.tick(at: now, into: &b)
        engine.handle(Self.arrived(.make("down", host: "a", at: 0), at: now), at: now, into: &b)
        #expect(engine.historySenders == 1)
        #expect(b.changes.isEmpty)  // its hold runs on its own clock, still at 0 s
        engine.handle(.make("heartbeat", host: "a", at: 3600), at: now, into: &b)
        #expect(engine.historySenders == 0)
        // Its clock reached 3600 s: the hold (due at 30 s) fired as of its deadline.
        #expect(Self.outcome(b.changes) == ["raised held/a first 0s cleared - ×1"])
        #expect(b.changes.first?.at == testEpoch.adding(nanoseconds: 30_000_000_000))
    }

    @Test("events timed far ahead of eccd's clock take eccd's clock, counted")
    func future() throws {
        var engine = Engine(rules: try compileRules(Self.rules + "\n  max_future: 1m\n"))
        var b = ChangeBatch()
        let now = testEpoch.adding(nanoseconds: 600_000_000_000)
        engine.handle(.make("noisy", host: "a", at: 600 + 30), at: now, into: &b)
        engine.handle(.make("noisy", host: "b", at: 600 + 7200), at: now, into: &b)
        #expect(engine.futureEvents == 1)
        #expect(b.changes.map(\.alarm.firstSeen) == [now.adding(nanoseconds: 30_000_000_000), now])
    }

    @Test("at most history_senders senders get clocks of their own; the history of more is late, counted")
    func senderLimit() throws {
        var engine = Engine(rules: try compileRules(Self.rules + "\n  history_senders: 2\n"))
        var b = ChangeBatch()
        let now = testEpoch.adding(nanoseconds: 3_600_000_000_000)
        engine.tick(at: now, into: &b)
        for host in ["a", "b", "c"] {
            engine.handle(Self.arrived(.make("down", host: host, at: 0), at: now), at: now, into: &b)
        }
        #expect(engine.historySenders == 2)
        #expect(engine.historyRefused == 1)
        #expect(engine.lateEvents == 1)
        // c's hold ran on the engine's clock: overdue, it raised at the next tick.
        engine.tick(at: now, into: &b)
        #expect(b.changes.map(\.alarm.key) == ["c"])
    }

    @Test("a flush in many batches, the engine waking between them, still decides on the sender's clock")
    func flushInBatches() throws {
        let rules = try compileRules(Self.rules)
        let events = Self.agentHour()
        let live = Self.outcome(Self.inTime(events, rules: rules, until: 7203))
        var engine = Engine(rules: rules)
        var b = ChangeBatch()
        var now = testEpoch.adding(nanoseconds: 7_200_000_000_000)
        for (n, e) in events.enumerated() {
            if n % 7 == 0 {
                now = now.adding(nanoseconds: 100_000_000)
                engine.tick(at: now, into: &b)
                engine.closeIdleHistory(at: now, into: &b)  // 100 ms apart: never silent for 2 s
            }
            engine.handle(Self.arrived(e, at: now), at: now, into: &b)
        }
        now = now.adding(nanoseconds: 2_000_000_000)
        engine.closeIdleHistory(at: now, into: &b)
        #expect(engine.historySenders == 0)
        engine.tick(at: testEpoch.adding(nanoseconds: 7_203_000_000_000), into: &b)
        #expect(Self.outcome(b.changes) == live)
    }
}
