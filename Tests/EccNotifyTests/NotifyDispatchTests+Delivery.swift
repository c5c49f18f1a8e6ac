import EccCore
import EccIncidents
import EccTestSupport
import Foundation
import Logging
import Synchronization
import Testing
@testable import EccNotify
@testable import EccStore

/// Delivery: retries of partly accepted messages, a hanging server, eccd's own alarms sent at once, and an
/// outbox that cannot be read.
extension NotifyDispatchTests {
    @Test("a retry skips what an earlier attempt had accepted (SMS parts per number)")
    func progress() throws {
        final class Partial: Channel {
            let kind = "sms"
            let seen = Mutex<[Set<String>]>([])
            func deliver(_ message: OutgoingMessage) -> DeliveryResult { deliver(message, accepted: { _ in }) }
            func deliver(_ message: OutgoingMessage, accepted: (String) -> Void) -> DeliveryResult {
                let first = seen.withLock { s in
                    s.append(message.done)
                    return s.count == 1
                }
                if first {
                    accepted("+861#1/1")
                    return .temporary("second number: 429")
                }
                return .delivered(detail: "ok")
            }
        }
        let channel = Partial()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-progress-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try AlarmStore(path: dir + "/ecc.db")
        let outbox = try Outbox(path: dir + "/ecc.db")
        let content = #"{"alarms":[],"createdAt":0,"group":{},"held":[],"kind":"test","receiver":"sms","route":""}"#
        try outbox.enqueue(
            NewMessage(receiver: "sms", kind: .firing, route: "r", alarmIDs: [], content: content), at: testEpoch)
        let d = Dispatcher(
            outbox: outbox, receivers: [receiver("sms", channel)],
            routes: { .empty }, clock: ManualClock(), logger: Logger(label: "test"))
        d.settle(at: testEpoch)
        d.settle(at: testEpoch.adding(nanoseconds: 20_000_000_000))
        #expect(channel.seen.withLock { $0 } == [[], ["+861#1/1"]])
        #expect(try outbox.messages(states: [.sent]).count == 1)
    }

    @Test("a receiver whose server hangs holds up only itself")
    func noStarvation() throws {
        final class Hanging: Channel {
            let kind = "email"
            let gate = DispatchSemaphore(value: 0)
            let started = Mutex(0)
            func deliver(_ message: OutgoingMessage) -> DeliveryResult {
                started.withLock { $0 += 1 }
                gate.wait()
                return .delivered(detail: "late")
            }
        }
        let hanging = Hanging()
        let quick = RecordingChannel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-starve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try AlarmStore(path: dir + "/ecc.db")
        let outbox = try Outbox(path: dir + "/ecc.db")
        let content = #"{"alarms":[],"createdAt":0,"group":{},"held":[],"kind":"firing","receiver":"x","route":""}"#
        for _ in 0..<600 {
            try outbox.enqueue(
                NewMessage(receiver: "slow", kind: .firing, route: "r", alarmIDs: [], content: content), at: testEpoch)
        }
        try outbox.enqueue(
            NewMessage(receiver: "fast", kind: .firing, route: "r", alarmIDs: [], content: content), at: testEpoch)
        let d = Dispatcher(
            outbox: outbox,
            receivers: [
                receiver("slow", hanging),
                receiver("fast", quick),
            ],
            routes: { .empty }, clock: ManualClock(), logger: Logger(label: "test"))
        for _ in 0..<3 { d.round(at: testEpoch) }
        let deadline = ContinuousClock.now + .seconds(10)
        while quick.messages.isEmpty, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(quick.messages.count == 1)
        #expect(d.state.withLock { $0.inFlight.values.filter { $0 == "slow" }.count } == Dispatcher.maxInFlight)
        for _ in 0..<Dispatcher.maxInFlight { hanging.gate.signal() }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(hanging.started.withLock { $0 } <= Dispatcher.maxInFlight + 1)
        for _ in 0..<700 { hanging.gate.signal() }
    }

    static let selfRules = """
        - rule: eccd-store-unwritable
          when: {source: eccd, type: storeUnwritable}
          clear_when: {source: eccd, type: storeWritable}
          key: "{host}"
          alarm: {severity: critical, summary: "eccd on {host} cannot write its database"}
        - route: eccd-trouble
          match: {source: eccd}
          receivers: [noc-email]
          group_wait: 10m
          escalation: oncall
        - escalation: oncall
          steps:
            - {after: 0s, receivers: [noc-sms]}
            - {after: 15m, receivers: [duty-email]}
        """

    /// An event of eccd's own through the engine and the store, its changes handed to the dispatcher as
    /// eccd does (``EngineRunner`` for shown changes).
    func selfEvent(_ f: Fixture, _ type: String, at seconds: Double) throws {
        var batch = ChangeBatch()
        let e = Event.make(type, host: "mon1", source: "eccd", severity: .critical, at: seconds)
        f.engine.handle(e, at: e.time, into: &batch)
        let changes = batch.changes
        try f.store.apply(batch)
        f.dispatcher.sendAtOnce(changes)
    }

    @Test("eccd's own alarm goes at once to its route and its escalation's undelayed first step, whatever group_wait")
    func selfAlarmAtOnce() throws {
        let f = try Fixture(rules: Self.selfRules)
        try selfEvent(f, "storeUnwritable", at: 0)
        f.tick(0.1)
        #expect(f.take("noc-email").map(\.content.kind) == [.firing])
        #expect(f.take("noc-sms").map(\.content.kind) == [.firing])
        // The outbox neither groups it (no second firing after group_wait) nor sends the first step again;
        // the escalation goes on from its second step.
        f.tick(601)
        #expect(f.take("noc-email").isEmpty && f.take("noc-sms").isEmpty)
        f.tick(15 * 60 + 1)
        #expect(f.take("duty-email").map(\.content.kind) == [.escalation])
        #expect(f.take("noc-sms").isEmpty)
        // Both messages sent at once are recorded in the outbox, once each.
        let recorded = try f.outbox.messages(states: [.sent]).filter { $0.reason?.contains("sent at once") == true }
        #expect(recorded.map(\.receiver).sorted() == ["noc-email", "noc-sms"])
    }

    @Test("a raise waiting for its retry when eccd's own alarm clears is given up, not sent after its resolution")
    func selfAlarmClearedBeforeRetry() throws {
        let f = try Fixture(rules: Self.selfRules)
        f.channels["noc-sms"]?.answer([.temporary("gateway down")])
        try selfEvent(f, "storeUnwritable", at: 0)
        f.tick(0.1)
        #expect(f.take("noc-email").map(\.content.kind) == [.firing])
        #expect(f.take("noc-sms").count == 1)  // the failed attempt
        try selfEvent(f, "storeWritable", at: 5)
        f.tick(5.1)
        #expect(f.take("noc-email").map(\.content.kind) == [.resolved])
        f.tick(60)  // past the retry's back-off
        #expect(f.take("noc-sms").isEmpty)
        #expect(try f.outbox.messages(states: [.failed]).contains { $0.reason?.contains("sent at once") == true })
        #expect(f.dispatcher.unrecordedAtOnce == 0)
    }

    @Test("an outbox that cannot be read for 10 s raises the self-alarm once, logs sparingly, and clears on recovery")
    func outboxFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-outbox-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try AlarmStore(path: dir + "/ecc.db")
        let health = Mutex<[Bool]>([])
        let d = Dispatcher(
            outbox: try Outbox(path: dir + "/ecc.db"), receivers: [receiver("sms", RecordingChannel())],
            routes: { .empty }, clock: ManualClock(), logger: Logger(label: "test"),
            onHealth: { ok, _ in health.withLock { $0.append(ok) } })
        d.settle(at: testEpoch)
        #expect(!d.isOutboxFailing && health.withLock { $0 }.isEmpty)
        // Another connection takes the outbox's table away: every round fails.
        func at(_ s: Int) -> EventTime { testEpoch.adding(nanoseconds: Int64(s) * 1_000_000_000) }
        // A few seconds of failing (a round waiting out a long commit): failing, but no alarm either way.
        try store.connection.execute("ALTER TABLE notifications RENAME TO notifications_away")
        for s in 1...5 { d.settle(at: at(s)) }
        #expect(d.isOutboxFailing)
        try store.connection.execute("ALTER TABLE notifications_away RENAME TO notifications")
        d.settle(at: at(6))
        #expect(!d.isOutboxFailing && health.withLock { $0 }.isEmpty)
        // Failing for 10 s: the alarm, once.
        try store.connection.execute("ALTER TABLE notifications RENAME TO notifications_away")
        for s in 11...30 { d.settle(at: at(s)) }
        #expect(d.isOutboxFailing)
        #expect(health.withLock { $0 } == [false])
        try store.connection.execute("ALTER TABLE notifications_away RENAME TO notifications")
        d.settle(at: at(31))
        #expect(!d.isOutboxFailing)
        #expect(health.withLock { $0 } == [false, true])
    }
}
