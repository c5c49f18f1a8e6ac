import EccCore
import EccNotify
import Testing

/// The dispatcher's decisions without SQLite: what a due group, a repeat and an escalation step send,
/// when an escalation stops, the token bucket and the digest.
@Suite("Dispatch decisions")
struct DispatchDecisionsTests {
    static let t0 = Fixtures.t0
    static let minute: Int64 = 60_000_000_000
    static let route = Route(
        name: "noc", match: Matcher([]), receivers: ["noc-email", "noc-sms"], continue: false,
        groupInterval: 5 * minute, repeatInterval: 240 * minute)

    @Test("a due group: firing (when changed) and resolved per receiver; interval and repeat from the route")
    func flush() {
        let firing = [Fixtures.alarm(7)]
        let resolved = [Fixtures.alarm(8, state: .cleared)]
        let plan = DispatchDecisions.flush(
            Self.route, named: "noc", labels: ["site": "a"], changed: true, firing: firing, resolved: resolved,
            at: Self.t0)
        #expect(
            plan.messages.map { "\($0.kind.rawValue)→\($0.receiver)" } == [
                "firing→noc-email", "resolved→noc-email", "firing→noc-sms", "resolved→noc-sms",
            ])
        #expect(plan.messages.allSatisfy { $0.group == ["site": "a"] && $0.route == "noc" && $0.createdAt == Self.t0 })
        #expect(plan.interval == 5 * Self.minute && plan.repeatAt == Self.t0.adding(nanoseconds: 240 * Self.minute))
        // Nothing new firing: only the resolved message; nothing at all: no message.
        let quiet = DispatchDecisions.flush(
            Self.route, named: "noc", labels: [:], changed: false, firing: firing, resolved: [], at: Self.t0)
        #expect(quiet.messages.isEmpty)
        // A route no longer in the rules: nothing sent, looked at again in 5 minutes.
        let orphan = DispatchDecisions.flush(
            nil, named: "gone", labels: [:], changed: true, firing: firing, resolved: [], at: Self.t0)
        #expect(
            orphan.messages.isEmpty && orphan.interval == DispatchDecisions.orphanInterval && orphan.repeatAt == nil)
        var once = Self.route
        once.repeatInterval = 0
        #expect(
            DispatchDecisions.flush(
                once, named: "noc", labels: [:], changed: true, firing: firing, resolved: [], at: Self.t0
            )
            .repeatAt == nil)
    }

    @Test(
        "a repeat tells every receiver the firing alarms again, and schedules the next; none without a repeat interval")
    func repeats() {
        let r = DispatchDecisions.repeat(Self.route, named: "noc", labels: [:], firing: [Fixtures.alarm()], at: Self.t0)
        #expect(
            r.messages.map(\.kind) == [.repeat, .repeat] && r.next == Self.t0.adding(nanoseconds: 240 * Self.minute))
        var once = Self.route
        once.repeatInterval = 0
        #expect(DispatchDecisions.repeat(once, named: "noc", labels: [:], firing: [], at: Self.t0).next == nil)
        #expect(DispatchDecisions.repeat(nil, named: "gone", labels: [:], firing: [], at: Self.t0).messages.isEmpty)
    }

    static let policy = EscalationPolicy(
        name: "on-call",
        steps: [.init(after: 0, receivers: ["noc-sms"]), .init(after: 15 * minute, receivers: ["duty-manager"])])

    struct EscalationCase: CustomTestStringConvertible, Sendable {
        var name: String
        var step = 0
        var alarm: AlarmInfo? = Fixtures.alarm()
        var incidentState: IncidentState? = .new
        /// Minutes after the escalation started.
        var acknowledged: Int64? = nil
        var policyGone = false
        /// `stop: reason`, or `send: receivers → next step's minute (or end)`.
        var expected: String

        var testDescription: String { name }
    }

    static let escalations: [EscalationCase] = [
        EscalationCase(
            name: "first step: its receivers, the next timed from the start", expected: "send: noc-sms → 15"),
        EscalationCase(name: "last step: sent, then the end", step: 1, expected: "send: duty-manager → end"),
        EscalationCase(name: "alarm cleared", alarm: Fixtures.alarm(state: .cleared), expected: "stop: alarm cleared"),
        EscalationCase(name: "alarm gone", alarm: nil, expected: "stop: alarm cleared"),
        EscalationCase(name: "incident resolved", incidentState: .resolved, expected: "stop: incident 12 is resolved"),
        EscalationCase(name: "incident closed", incidentState: .closed, expected: "stop: incident 12 is closed"),
        EscalationCase(
            name: "acknowledged after the start", incidentState: .acknowledged, acknowledged: 3,
            expected: "stop: incident 12 acknowledged"),
        EscalationCase(
            name: "acknowledged before the start still escalates", incidentState: .acknowledged, acknowledged: -3,
            expected: "send: noc-sms → 15"),
        EscalationCase(
            name: "policy no longer in the rules", policyGone: true,
            expected: "stop: escalation policy 'on-call' is no longer in the rules"),
        EscalationCase(
            name: "a step past the policy's end", step: 2,
            expected: "stop: escalation policy 'on-call' is no longer in the rules"),
    ]

    @Test("escalation steps", arguments: escalations)
    func escalation(_ c: EscalationCase) {
        let started = Self.t0
        let e = DispatchDecisions.Escalation(
            policy: "on-call", step: c.step, startedAt: started, alarm: c.alarm, incidentID: 12,
            incidentState: c.incidentState,
            incidentAcknowledgedAt: c.acknowledged.map { started.adding(nanoseconds: $0 * Self.minute) })
        let now = started.adding(nanoseconds: Int64(c.step) * 15 * Self.minute)
        let outcome: String
        switch DispatchDecisions.escalate(e, policy: c.policyGone ? nil : Self.policy, at: now) {
        case .stop(let reason): outcome = "stop: \(reason)"
        case .send(let messages, let next, _):
            #expect(messages.allSatisfy { $0.kind == .escalation && $0.escalationStep == c.step + 1 })
            let minute = next.map { String(($0.nanoseconds - started.nanoseconds) / Self.minute) } ?? "end"
            outcome = "send: \(messages.map(\.receiver).joined(separator: ",")) → \(minute)"
        }
        #expect(outcome == c.expected)
    }

    @Test("an overdue step's next step is not in the past")
    func overdueStep() throws {
        let e = DispatchDecisions.Escalation(
            policy: "on-call", step: 0, startedAt: Self.t0, alarm: Fixtures.alarm(), incidentID: 12, incidentState: .new
        )
        let late = Self.t0.adding(nanoseconds: 60 * Self.minute)
        guard case .send(_, let next, _) = DispatchDecisions.escalate(e, policy: Self.policy, at: late) else {
            Issue.record("expected a send")
            return
        }
        #expect(next == late)
    }

    @Test("token bucket: a burst, then one message per 1/rate seconds")
    func tokenBucket() {
        let limit = RateLimit(rate: 1.0 / 6, burst: 3)  // 10 a minute, 3 at once
        var bucket = DispatchDecisions.TokenBucket(limit, at: Self.t0)
        let taken = (0..<5).map { _ in bucket.take(limit, at: Self.t0) }
        #expect(taken == [true, true, true, false, false])
        let early = bucket.take(limit, at: Self.t0.adding(nanoseconds: 5_000_000_000))
        let refilled = bucket.take(limit, at: Self.t0.adding(nanoseconds: 6_100_000_000))
        #expect(!early && refilled)
        // A long quiet fills it to the burst, no more.
        let later = Self.t0.adding(nanoseconds: 3600 * 1_000_000_000)
        #expect((0..<4).map { _ in bucket.take(limit, at: later) } == [true, true, true, false])
    }

    @Test("digest: due after digest_after (1 m by default); lists at most 500 and says how many")
    func digest() {
        let limit = RateLimit(rate: 1, burst: 1, digestAfter: 2 * Self.minute)
        #expect(!DispatchDecisions.digestDue(limit, oldest: Self.t0, at: Self.t0.adding(nanoseconds: Self.minute)))
        #expect(DispatchDecisions.digestDue(limit, oldest: Self.t0, at: Self.t0.adding(nanoseconds: 2 * Self.minute)))
        #expect(DispatchDecisions.digestDue(nil, oldest: Self.t0, at: Self.t0.adding(nanoseconds: Self.minute)))
        let held = (0..<600).map {
            HeldMessage(id: "m\($0)", kind: .firing, route: "noc", line: "CRITICAL core1: down", createdAt: Self.t0)
        }
        let d = DispatchDecisions.digest(receiver: "noc-sms", held: held, total: 600, at: Self.t0)
        #expect(d.kind == .digest && d.held.count == 500 && d.heldTotal == 600 && d.receiver == "noc-sms")
    }
}
