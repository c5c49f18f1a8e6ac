import EccCore
import EccIncidents
import EccTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import EccNotify
@testable import EccStore

/// A channel that records what it is given and answers from a script (delivered by default).
final class RecordingChannel: Channel {
    let kind = "test"
    private let sent = Mutex<[OutgoingMessage]>([])
    private let script = Mutex<[DeliveryResult]>([])

    func deliver(_ message: OutgoingMessage) -> DeliveryResult {
        sent.withLock { $0.append(message) }
        return script.withLock { $0.isEmpty ? .delivered(detail: "250 ok") : $0.removeFirst() }
    }

    /// The next answers, in order.
    func answer(_ results: [DeliveryResult]) { script.withLock { $0 += results } }
    var messages: [OutgoingMessage] { sent.withLock { $0 } }
    func take() -> [OutgoingMessage] {
        sent.withLock { m in
            defer { m.removeAll() }; return m
        }
    }
}

/// A receiver for the tests: a channel with an optional rate limit (messages per second, burst).
func receiver(_ name: String, _ channel: any Channel, rate: (Double, Int)? = nil) -> ReceiverDefinition {
    ReceiverDefinition(
        name: name, channel: channel, location: SourceLocation(file: "test", line: 1, column: 1),
        rateLimit: rate.map { RateLimit(rate: $0.0, burst: $0.1) })
}

/// The outbox and dispatcher driven by the real engine and store on a SQLite file, with time given
/// explicitly: grouping, repeats, resolved messages, escalation and its stop, rate limits and digests,
/// retries, suppression, restart.
@Suite("Notification dispatch")
struct NotifyDispatchTests {
    static let rules = """
        - rule: interface-down
          when: {type: linkDown}
          key: "{host}/{ifIndex}"
          clear_when: {type: linkUp}
          alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
        - rule: core-down
          when: {type: coreDown}
          key: "{host}"
          clear_when: {type: coreUp}
          alarm: {severity: critical, summary: "Core {host} down"}
        - maintenance: sw9-work
          hosts: [sw9]
          start: 2025-11-25T09:00:00Z
          end: 2025-11-25T12:00:00Z
        - escalation: oncall
          steps:
            - {after: 0s, receivers: [oncall-sms]}
            - {after: 15m, receivers: [manager-email]}
            - {after: 30m, receivers: [manager-sms]}
        - route: core
          match: {rule: core-down}
          escalation: oncall
          receivers: [noc-email]
          group_wait: 0s
        - route: network
          match: {rule: interface-down}
          receivers: [noc-email, hook]
          group_by: [host]
          group_wait: 30s
          group_interval: 5m
          repeat_interval: 1h
        """

    /// SLA breach events (source itsm) as alarms, escalated by the duty policy.
    static let slaRules = """

        - rule: sla-breached
          when: {source: itsm, type: slaBreached}
          key: "{incident}/{sla}"
          incident: false
          alarm: {severity: major, summary: "{summary}"}
        - escalation: duty
          steps:
            - {after: 0s, receivers: [duty-sms]}
            - {after: 10m, receivers: [duty-email]}
        - route: incident-sla
          match: {rule: sla-breached}
          escalation: duty
          group_wait: 0s
        """

    final class Fixture {
        let dir: String
        let rules: RuleSet
        var engine: Engine
        let store: AlarmStore
        let desk: IncidentDesk
        let outbox: Outbox
        let dispatcher: Dispatcher
        let channels: [String: RecordingChannel]

        init(rules text: String = NotifyDispatchTests.rules, rate: [String: (Double, Int)] = [:]) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-notify-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            rules = try compileRules(text)
            engine = Engine(rules: rules)
            // As eccd classifies: a rule with `incident: false` opens none.
            let policy = IncidentPolicy(classify: { [rules] alarm, _ in
                IncidentClassification(
                    ci: alarm.host, opensIncident: rules.rule(named: alarm.rule)?.opensIncident ?? true)
            })
            let book = rules.routeBook
            store = try AlarmStore(path: dir + "/ecc.db", policy: policy, queuesNotifications: true)
            desk = try IncidentDesk(path: dir + "/ecc.db", policy: policy)
            outbox = try Outbox(path: dir + "/ecc.db")
            var channels: [String: RecordingChannel] = [:]
            for use in rules.receiverUses { channels[use.receiver] = RecordingChannel() }
            self.channels = channels
            var retry = RetryPolicy()
            retry.initial = 10_000_000_000
            retry.maximum = 60_000_000_000
            retry.giveUpAfter = 600_000_000_000
            dispatcher = Dispatcher(
                outbox: outbox,
                receivers: channels.map { name, c in
                    receiver(name, c, rate: rate[name])
                },
                routes: { book }, clock: ManualClock(), retry: retry, logger: Logger(label: "test"))
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func event(_ type: String, host: String, at seconds: Double, _ attrs: [String: String] = [:]) throws {
            try handle(Event.make(type, host: host, at: seconds, attrs))
        }

        func engineTick(_ seconds: Double) throws {
            var batch = ChangeBatch()
            engine.tick(at: testEpoch.adding(nanoseconds: Int64(seconds * 1e9)), into: &batch)
            try store.apply(batch)
        }

        func handle(_ e: Event) throws {
            var batch = ChangeBatch()
            engine.handle(e, at: e.time, into: &batch)
            try store.apply(batch)
        }

        func tick(_ seconds: Double) { dispatcher.settle(at: testEpoch.adding(nanoseconds: Int64(seconds * 1e9))) }

        func take(_ receiver: String) -> [OutgoingMessage] { channels[receiver]?.take() ?? [] }
    }

    @Test("a group waits group_wait, then one message lists its alarms; later ones wait group_interval")
    func grouping() throws {
        let f = try Fixture()
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])
        try f.event("linkDown", host: "sw1", at: 10, ["ifIndex": "2"])
        try f.event("linkDown", host: "sw2", at: 12, ["ifIndex": "1"])
        f.tick(29)
        #expect(f.take("noc-email").isEmpty)
        f.tick(31)
        let first = f.take("noc-email")
        #expect(first.count == 1)  // sw1's group; sw2's waits until 42 s
        #expect(first.first?.content.kind == .firing)
        #expect(first.first?.content.alarms.map(\.key) == ["sw1/1", "sw1/2"])
        #expect(first.first?.content.group == ["host": "sw1"])
        #expect(f.take("hook").count == 1)
        f.tick(43)
        #expect(f.take("noc-email").map { $0.content.alarms.map(\.key) } == [["sw2/1"]])
        // A third alarm on sw1 waits for the group interval (5 min after the first message).
        try f.event("linkDown", host: "sw1", at: 60, ["ifIndex": "3"])
        f.tick(120)
        #expect(f.take("noc-email").isEmpty)
        f.tick(332)
        let second = f.take("noc-email")
        #expect(second.map { $0.content.alarms.map(\.key) } == [["sw1/1", "sw1/2", "sw1/3"]])
        // A clear is sent as resolved at the next interval.
        try f.event("linkUp", host: "sw1", at: 400, ["ifIndex": "2"])
        f.tick(500)
        #expect(f.take("noc-email").isEmpty)
        f.tick(632)
        let resolved = f.take("noc-email")
        #expect(resolved.map(\.content.kind) == [.resolved])
        #expect(resolved.first?.content.alarms.map(\.key) == ["sw1/2"])
        // Still firing an hour after the last message: repeated.
        f.tick(632 + 3601)
        let rep = f.take("noc-email")
        #expect(rep.map(\.content.kind) == [.repeat, .repeat])  // sw1's group and sw2's
        #expect(rep.first { $0.content.group["host"] == "sw1" }?.content.alarms.map(\.key) == ["sw1/1", "sw1/3"])
        // Every message has its own stable id.
        #expect(Set((first + second + resolved + rep).map(\.id)).count == 5)
    }

    @Test("an alarm that clears within group_wait notifies no one, and that is recorded")
    func blip() throws {
        let f = try Fixture()
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])
        try f.event("linkUp", host: "sw1", at: 5, ["ifIndex": "1"])
        f.tick(60)
        #expect(f.take("noc-email").isEmpty)
        let skipped = try f.outbox.messages(states: [.skipped])
        #expect(skipped.count == 1)
        #expect(skipped.first?.reason?.contains("within group_wait") == true)
    }

    @Test("escalation steps go out while unacknowledged and stop on acknowledgement")
    func escalation() throws {
        let f = try Fixture()
        try f.event("coreDown", host: "core1", at: 0)
        f.tick(1)
        #expect(f.take("oncall-sms").map(\.content.kind) == [.escalation])
        #expect(f.take("noc-email").map(\.content.kind) == [.firing])
        f.tick(14 * 60)
        #expect(f.take("manager-email").isEmpty)
        f.tick(15 * 60 + 1)
        let step2 = f.take("manager-email")
        #expect(step2.count == 1)
        #expect(step2.first?.content.escalationStep == 2)
        let incident = try #require(step2.first?.content.alarms.first?.incident)
        _ = try f.desk.acknowledge(incident, by: "alice", at: testEpoch.adding(nanoseconds: 20 * 60_000_000_000))
        f.tick(31 * 60)
        #expect(f.take("manager-sms").isEmpty)
    }

    @Test("a clear stops the escalation")
    func escalationStopsOnClear() throws {
        let f = try Fixture()
        try f.event("coreDown", host: "core2", at: 0)
        f.tick(1)
        #expect(f.take("oncall-sms").count == 1)
        try f.event("coreUp", host: "core2", at: 600)
        f.tick(16 * 60)
        f.tick(31 * 60)
        #expect(f.take("manager-email").isEmpty)
        #expect(f.take("manager-sms").isEmpty)
    }

    @Test("past its rate limit a receiver gets one digest listing what was held")
    func rateLimitDigest() throws {
        let f = try Fixture(rate: ["noc-email": (1.0 / 60, 2)])
        for i in 0..<10 { try f.event("coreDown", host: "core\(i)", at: Double(i) * 0.1) }
        f.tick(2)
        #expect(f.take("noc-email").count == 2)
        #expect(try f.outbox.messages(states: [.held]).count == 8)
        f.tick(30)
        #expect(f.take("noc-email").isEmpty)
        f.tick(63)
        let digest = f.take("noc-email")
        #expect(digest.map(\.content.kind) == [.digest])
        #expect(digest.first?.content.held.count == 8)
        #expect(try f.outbox.messages(states: [.digested]).count == 8)
        #expect(try f.outbox.messages(states: [.held]).isEmpty)
        // The SMS receiver has no limit: every escalation went out.
        #expect(f.take("oncall-sms").count == 10)
    }

    @Test("temporary failures are retried with backoff; permanent ones are not; every attempt is recorded")
    func retries() throws {
        let f = try Fixture()
        f.channels["noc-email"]?.answer([.temporary("connection refused"), .temporary("451 try later")])
        f.channels["hook"]?.answer([.permanent("HTTP 404")])
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])
        f.tick(30)
        #expect(f.take("noc-email").count == 1)
        #expect(f.take("hook").count == 1)
        let m = try #require(try f.outbox.messages(states: [.retrying]).first)
        #expect(m.attempts == 1)
        #expect(m.lastError == "connection refused")
        let wait = Double((m.nextAttempt?.nanoseconds ?? 0) - testEpoch.nanoseconds) / 1e9 - 30
        #expect(wait >= 5 && wait <= 10)  // 10 s × jitter in [0.5, 1]
        f.tick(30 + 10.5)
        #expect(f.take("noc-email").count == 1)
        f.tick(30 + 10.5 + 20.5)
        #expect(f.take("noc-email").count == 1)
        let sent = try #require(try f.outbox.messages(states: [.sent]).first { $0.receiver == "noc-email" })
        #expect(sent.attempts == 3)
        #expect(try f.outbox.attempts(rowID: sent.rowID).map(\.result) == [.temporary, .temporary, .delivered])
        let failed = try f.outbox.messages(states: [.failed])
        #expect(failed.map(\.receiver) == ["hook"])
        #expect(failed.first?.attempts == 1)
        f.tick(600)
        #expect(f.take("hook").isEmpty)
    }

    @Test("suppressed alarms notify no one; the reason is recorded")
    func suppressed() throws {
        let f = try Fixture()
        try f.event("linkDown", host: "sw9", at: 0, ["ifIndex": "1"])
        f.tick(60)
        #expect(f.take("noc-email").isEmpty)
        let skipped = try f.outbox.messages(states: [.skipped])
        #expect(skipped.first?.reason?.contains("maintenance:sw9-work") == true)
    }

    @Test("an SLA breach starts an escalation policy; acknowledging the incident it names stops it")
    func slaBreachEscalates() throws {
        let f = try Fixture(rules: Self.rules + Self.slaRules)
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])  // P3: response due after 2 h
        let breach = try f.desk.sweep(at: testEpoch.adding(nanoseconds: 121 * 60_000_000_000))
        #expect(breach.map(\.type) == ["slaBreached"])
        for var e in breach {
            e.time = testEpoch.adding(nanoseconds: 121 * 60_000_000_000)
            try f.handle(e)
        }
        f.tick(121 * 60 + 1)
        let page = f.take("duty-sms")
        #expect(page.count == 1)
        #expect(page.first?.content.alarms.first?.rule == "sla-breached")
        let incident = try #require(Int64(breach.first?.attributes["incident"]?.text ?? ""))
        _ = try f.desk.acknowledge(incident, by: "bob", at: testEpoch.adding(nanoseconds: 125 * 60_000_000_000))
        f.tick(132 * 60)
        #expect(f.take("duty-email").isEmpty)
    }

    @Test("after a restart due messages go out once, with the same ids")
    func restart() throws {
        let f = try Fixture()
        f.channels["noc-email"]?.answer([.temporary("down")])
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])
        f.tick(30)
        let firstID = try #require(f.take("noc-email").first?.id)
        // A new dispatcher on the same database (eccd restarted).
        let again = RecordingChannel()
        let book = f.rules.routeBook
        let d2 = Dispatcher(
            outbox: try Outbox(path: f.dir + "/ecc.db"),
            receivers: [
                receiver("noc-email", again),
                receiver("hook", RecordingChannel()),
            ],
            routes: { book }, clock: ManualClock(), logger: Logger(label: "test"))
        d2.settle(at: testEpoch.adding(nanoseconds: 60_000_000_000))
        d2.settle(at: testEpoch.adding(nanoseconds: 120_000_000_000))
        #expect(again.messages.map(\.id) == [firstID])
        #expect(again.messages.first?.attempt == 2)
    }

    @Test("a first escalation step with a delay waits for it")
    func delayedFirstStep() throws {
        let f = try Fixture(
            rules: Self.rules.replacingOccurrences(
                of: "- {after: 0s, receivers: [oncall-sms]}", with: "- {after: 5m, receivers: [oncall-sms]}"))
        try f.event("coreDown", host: "core1", at: 0)
        f.tick(60)
        #expect(f.take("oncall-sms").isEmpty)
        f.tick(301)
        #expect(f.take("oncall-sms").count == 1)
    }

    @Test("a resolution breach of an incident acknowledged earlier escalates; acknowledging it again stops that")
    func resolutionBreachOfAcknowledgedIncident() throws {
        let f = try Fixture(rules: Self.rules + Self.slaRules)
        try f.event("linkDown", host: "sw1", at: 0, ["ifIndex": "1"])  // P3: resolution due after 48 h
        let t0 = testEpoch.adding(nanoseconds: 60_000_000_000)
        _ = try f.desk.acknowledge(1, by: "alice", at: t0)
        let late = testEpoch.adding(nanoseconds: 49 * 3_600_000_000_000)
        let breach = try f.desk.sweep(at: late).filter { $0.attributes["sla"]?.text == "resolution" }
        #expect(breach.count == 1)
        for var e in breach {
            e.time = late
            try f.handle(e)
        }
        f.tick(49 * 3600 + 1)
        #expect(f.take("duty-sms").count == 1)  // acknowledged before the breach: still escalates
        _ = try f.desk.acknowledge(1, by: "alice", at: late.adding(nanoseconds: 60_000_000_000))
        f.tick(49 * 3600 + 11 * 60)
        #expect(f.take("duty-email").isEmpty)
    }

    @Test("an alarm whose group_by values change leaves its old group")
    func regroup() throws {
        let f = try Fixture(
            rules: Self.rules.replacingOccurrences(of: "group_by: [host]", with: "group_by: [severity]")
                + """

                - rule: port-errors
                  when: {type: portErrors}
                  key: "{host}"
                  escalate: [{after: 1m, severity: critical}]
                  alarm: {severity: major, summary: "Errors on {host}"}
                - route: errors
                  match: {rule: port-errors}
                  receivers: [noc-email]
                  group_by: [severity]
                  group_wait: 0s
                """)
        try f.event("portErrors", host: "sw1", at: 0)
        f.tick(1)
        #expect(f.take("noc-email").first?.content.group == ["severity": "major"])
        try f.engineTick(61)
        f.tick(61)
        f.tick(62)
        let m = f.take("noc-email")
        #expect(m.map(\.content.group) == [["severity": "critical"]])
        // Repeats come from the critical group only.
        f.tick(62 + 4 * 3600 + 1)
        #expect(f.take("noc-email").map(\.content.group) == [["severity": "critical"]])
    }
}
