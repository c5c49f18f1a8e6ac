import EccCore
import EccIncidents
import EccTestSupport
import Foundation
import Testing

/// The incident lifecycle's business rules, without a database: an incident in a given state and
/// ownership, a command by someone at a time on a manual clock, and what must come of it.
@Suite("Incident lifecycle")
struct IncidentLifecycleTests {
    static let opened = EventTime(nanoseconds: 1_796_292_000_000_000_000)  // 2026-12-02T10:00:00Z
    static let minute: Int64 = 60_000_000_000

    /// A P3 incident opened at ``opened``: response due in 2 h, resolution in 48 h.
    static func incident(_ state: IncidentState = .new, owner: String? = nil, followUp: Bool = false) -> Incident {
        let alarm = Alarm(
            id: 7, rule: "link-down", key: "sw1/3", state: .active, severity: .major, summary: "sw1 port 3 down",
            source: "snmp", host: "sw1", type: "linkDown", firstSeen: opened, lastSeen: opened, count: 1)
        var i = Incident(
            id: 12, state: state, severity: .major, title: alarm.summary, host: "sw1", openedAt: opened,
            updatedAt: opened, ci: "sw1", owner: owner, alarm: alarm)
        i.responseDue = opened.adding(nanoseconds: 120 * minute)
        i.resolutionDue = opened.adding(nanoseconds: 48 * 60 * minute)
        i.followUpRequired = followUp
        return i
    }

    /// One row: the incident before, the command, who, minutes after opening; then either the refusal's
    /// kind and words, or the state, owner and journal actions after, and whether escalations stop.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var before: Incident
        var command: IncidentCommand
        var actor = "alice"
        var minutes: Int64 = 5
        var refused: String? = nil
        var state: IncidentState? = nil
        var owner: String?? = .none
        var journal: [String] = []
        var stopsEscalations = false
        var breachEvent: SLAClock.Target? = nil

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "ack of a new incident: acknowledged, owned by the first to ack, escalations stop",
            before: incident(), command: .acknowledge(note: nil), state: .acknowledged, owner: "alice",
            journal: ["acknowledged", "owner"], stopsEscalations: true),
        Case(
            name: "ack after the response target: the breach is marked and its event queued",
            before: incident(), command: .acknowledge(note: "late"), minutes: 130, state: .acknowledged,
            owner: "alice", journal: ["acknowledged", "owner", "sla_breached"], stopsEscalations: true,
            breachEvent: .response),
        Case(
            name: "ack of someone else's incident is refused, naming the owner and the way out",
            before: incident(.acknowledged, owner: "bob"), command: .acknowledge(note: nil),
            refused: "conflict: incident 12 is owned by bob; ask them to hand it over"),
        Case(
            name: "the owner's second ack changes nothing but answers a running escalation",
            before: incident(.inProgress, owner: "alice"), command: .acknowledge(note: nil), state: .inProgress,
            owner: "alice", stopsEscalations: true),
        Case(
            name: "ack of a resolved incident is refused",
            before: incident(.resolved, owner: "alice"), command: .acknowledge(note: nil),
            refused: "conflict: incident 12 is resolved; reopen it first"),
        Case(
            name: "assign to a group keeps the owner",
            before: incident(.acknowledged, owner: "alice"), command: .assign(group: "network", reason: nil),
            state: .acknowledged, owner: "alice", journal: ["assigned"]),
        Case(
            name: "assign without a group is incomplete", before: incident(), command: .assign(group: "", reason: nil),
            refused: "invalid: give the assignment group"),
        Case(
            name: "hand-over by the owner", before: incident(.acknowledged, owner: "alice"),
            command: .handOver(to: "bob", reason: "shift change", override: false), state: .acknowledged,
            owner: "bob", journal: ["handed_over"]),
        Case(
            name: "hand-over by someone else is refused", before: incident(.acknowledged, owner: "bob"),
            command: .handOver(to: "carol", reason: "mine now", override: false),
            refused: "conflict: incident 12 is owned by bob; only they hand it over"),
        Case(
            name: "a supervisor's override hand-over says so in the journal",
            before: incident(.acknowledged, owner: "bob"),
            command: .handOver(to: "carol", reason: "bob is ill", override: true), state: .acknowledged,
            owner: "carol", journal: ["handed_over (override)"]),
        Case(
            name: "hand-over of an unowned incident is refused", before: incident(),
            command: .handOver(to: "bob", reason: "x", override: false),
            refused: "conflict: incident 12 has no owner yet"),
        Case(
            name: "hand-over without a reason is incomplete", before: incident(.acknowledged, owner: "alice"),
            command: .handOver(to: "bob", reason: "  ", override: false),
            refused: "invalid: a hand-over needs a reason"),
        Case(
            name: "the owner's first note starts the work", before: incident(.acknowledged, owner: "alice"),
            command: .note(text: "checking the optics", followUp: false), state: .inProgress, owner: "alice",
            journal: ["note", "in_progress"]),
        Case(
            name: "someone else's note leaves the state", before: incident(.acknowledged, owner: "alice"),
            command: .note(text: "seen it too", followUp: false), actor: "bob", state: .acknowledged,
            owner: "alice", journal: ["note"]),
        Case(
            name: "an empty note is incomplete", before: incident(), command: .note(text: "\n", followUp: false),
            refused: "invalid: the note is empty"),
        Case(
            name: "resolve an open incident: resolved, escalations stop",
            before: incident(.inProgress, owner: "alice"), command: .resolve(note: "optic replaced"),
            state: .resolved, owner: "alice", journal: ["resolved"], stopsEscalations: true),
        Case(
            name: "resolve after the resolution target: the breach comes first in the journal",
            before: incident(.inProgress, owner: "alice"), command: .resolve(note: "finally"), minutes: 49 * 60,
            state: .resolved, owner: "alice", journal: ["sla_breached", "resolved"], stopsEscalations: true,
            breachEvent: .resolution),
        Case(
            name: "resolve twice is refused", before: incident(.resolved, owner: "alice"),
            command: .resolve(note: "again"), refused: "conflict: incident 12 is already resolved"),
        Case(
            name: "close a resolved incident", before: incident(.resolved, owner: "alice"), command: .close(note: nil),
            state: .closed, owner: "alice", journal: ["closed"]),
        Case(
            name: "close an open incident is refused", before: incident(.inProgress, owner: "alice"),
            command: .close(note: nil),
            refused: "conflict: incident 12 is in_progress; only a resolved incident can be closed"),
        Case(
            name: "close without the required follow-up is refused",
            before: incident(.resolved, owner: "alice", followUp: true), command: .close(note: nil),
            refused: "conflict: incident 12 needs a follow-up note"),
        Case(
            name: "reopen an owned incident: in progress with its owner",
            before: incident(.closed, owner: "alice"), command: .reopen(reason: "it is back"), state: .inProgress,
            owner: "alice", journal: ["reopened"]),
        Case(
            name: "reopen an unowned incident: new", before: incident(.resolved), command: .reopen(reason: "back"),
            state: .new, owner: .some(nil), journal: ["reopened"]),
        Case(
            name: "reopen an open incident is refused", before: incident(.acknowledged, owner: "alice"),
            command: .reopen(reason: "x"), refused: "conflict: incident 12 is open (acknowledged)"),
        Case(
            name: "no actor, no action", before: incident(), command: .acknowledge(note: nil), actor: " ",
            refused: "invalid: say who you are (actor)"),
    ]

    @Test("operator commands", arguments: cases)
    func commands(_ c: Case) {
        let now = Self.opened.adding(nanoseconds: c.minutes * Self.minute)
        let result = Result { () throws(IncidentRefusal) in
            try IncidentLifecycle.apply(c.command, to: c.before, by: c.actor, at: now)
        }
        switch result {
        case .failure(let refusal):
            let kind: String
            switch refusal {
            case .notFound: kind = "notFound"
            case .conflict: kind = "conflict"
            case .invalid: kind = "invalid"
            case .store: kind = "store"
            }
            let text = "\(kind): \(refusal.description)"
            #expect(c.refused.map { text.hasPrefix($0) } == true, "refused: \(text)")
        case .success(let t):
            #expect(c.refused == nil, "accepted, expected: \(c.refused ?? "")")
            if let state = c.state { #expect(t.incident.state == state) }
            if case .some(let owner) = c.owner { #expect(t.incident.owner == owner) }
            #expect(t.journal.map(\.action.rawValue) == c.journal)
            #expect(
                t.journal.allSatisfy { $0.action.rawValue.hasPrefix("sla_") ? $0.actor == "eccd" : $0.actor == c.actor }
            )
            #expect(t.effects.contains { if case .stopEscalations = $0 { true } else { false } } == c.stopsEscalations)
            let queued = t.effects.compactMap { if case .queueBreachEvent(let target, _) = $0 { target } else { nil } }
            #expect(queued == (c.breachEvent.map { [$0] } ?? []))
            #expect(t.incident.updatedAt == now)
            // The journal says how the state moved.
            if t.incident.state != c.before.state {
                #expect(t.journal.contains { $0.field == "state" && $0.old == c.before.state.rawValue })
            }
        }
    }

    @Test("stamps: acknowledged_at, resolved_at, closed_at, reopen count, follow-up, breach flags")
    func stamps() throws {
        let at = Self.opened.adding(nanoseconds: 130 * Self.minute)
        let acked = try IncidentLifecycle.apply(.acknowledge(note: nil), to: Self.incident(), by: "alice", at: at)
        #expect(acked.incident.acknowledgedAt == at)
        #expect(acked.incident.responseBreached && acked.incident.responseWarned && !acked.incident.resolutionBreached)
        let noted = try IncidentLifecycle.apply(
            .note(text: "called the customer", followUp: true), to: Self.incident(.resolved, followUp: true), by: "bob",
            at: at)
        #expect(noted.incident.followUpDone && noted.journal.map(\.action.rawValue) == ["follow_up"])
        let closed = try IncidentLifecycle.apply(.close(note: nil), to: noted.incident, by: "bob", at: at)
        #expect(closed.incident.closedAt == at)
        let reopened = try IncidentLifecycle.apply(.reopen(reason: "back"), to: closed.incident, by: "bob", at: at)
        #expect(reopened.incident.reopenCount == 1 && reopened.incident.closedAt == nil)
        #expect(reopened.incident.resolvedAt == nil)
    }

    @Test(
        "alarm transitions: cleared resolves (marking a missed target), severity moves the priority, a return reopens")
    func alarmTransitions() throws {
        let late = Self.opened.adding(nanoseconds: 49 * 60 * Self.minute)
        let cleared = try #require(
            IncidentLifecycle.alarmCleared(Self.incident(.acknowledged, owner: "alice"), at: late))
        #expect(cleared.incident.state == .resolved && cleared.incident.resolvedAt == late)
        #expect(cleared.journal.map(\.action.rawValue) == ["sla_breached", "resolved"])
        #expect(cleared.journal.allSatisfy { $0.actor == "eccd" })
        #expect(IncidentLifecycle.alarmCleared(Self.incident(.closed), at: late) == nil)

        let worse = try #require(
            IncidentLifecycle.severityChanged(Self.incident(), to: .critical, priority: 2, at: late))
        #expect(worse.incident.priority == 2 && worse.incident.severity == .critical)
        #expect(worse.journal.map { "\($0.old ?? "") → \($0.new ?? "")" } == ["P3 → P2"])
        #expect(IncidentLifecycle.severityChanged(Self.incident(), to: .major, priority: 3, at: late) == nil)

        var again = Self.incident().alarm
        again.id = 9
        let back = IncidentLifecycle.alarmReturned(Self.incident(.resolved, owner: "alice"), as: again, at: late)
        #expect(back.incident.state == .inProgress && back.incident.alarm.id == 9 && back.incident.reopenCount == 1)
        #expect(back.journal.first?.note == "alarm returned as #9 within the reopen window")
    }

    /// The SLA clock on a manual clock: near-breach at 80 % of the target, breach at it, once each, and
    /// only while the target's clock runs.
    @Test("SLA clock: near-breach, breach, once each, only while the clock runs")
    func slaClock() {
        let clock = ManualClock(Self.opened)
        let policy = IncidentPolicy()
        var i = Self.incident()
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == nil)
        clock.advance(seconds: 95 * 60)  // 79 % of 2 h
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == nil)
        clock.advance(seconds: 2 * 60)  // 80.8 %
        let due = Self.opened.adding(nanoseconds: 120 * Self.minute)
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == .nearBreach(due: due))
        _ = SLAClock.markWarned(&i, .response, due: due)
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == nil)
        clock.advance(seconds: 23 * 60)  // 2 h
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == .breached(due: due))
        let lines = SLAClock.markBreached(&i, .response, due: due, at: clock.now())
        #expect(lines.map(\.action.rawValue) == ["sla_breached"])
        #expect(SLAClock.check(.response, of: i, policy: policy, at: clock.now()) == nil)
        // Acknowledged: the response clock stops; the resolution clock runs until resolved.
        var acked = Self.incident(.acknowledged, owner: "alice")
        #expect(SLAClock.check(.response, of: acked, policy: policy, at: clock.now()) == nil)
        clock.advance(seconds: 48 * 3600)
        #expect(SLAClock.check(.resolution, of: acked, policy: policy, at: clock.now()) != nil)
        acked.state = .resolved
        #expect(SLAClock.check(.resolution, of: acked, policy: policy, at: clock.now()) == nil)
        // No near-breach when it is turned off.
        var off = policy
        off.nearBreach = 0
        #expect(
            SLAClock.check(
                .response, of: Self.incident(), policy: off, at: Self.opened.adding(nanoseconds: 110 * Self.minute))
                == nil)
        let e = SLAClock.event(Self.incident(.new, owner: "alice"), .response, due: due, breached: true)
        #expect(e.type == "slaBreached" && e.source == "itsm" && e.severity == .major && e.time == due)
        #expect(e.attributes["owner"] == .string("alice") && e.attributes["sla"] == .string("response"))
    }

    /// Business hours: a P3 counted in business hours, opened on a Friday evening, is due on Monday.
    @Test("business hours: deadlines and the near-breach point skip the weekend")
    func businessHours() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        var policy = IncidentPolicy()
        policy.businessHours = BusinessHours(days: [2, 3, 4, 5, 6], start: 8 * 60, end: 18 * 60, timeZone: utc)
        policy.sla[3]?.businessHours = true
        let friday = try #require(RFC3339.parse("2026-12-04T17:00:00Z"))
        let due = policy.deadlines(priority: 3, opened: friday)
        #expect(due.response == RFC3339.parse("2026-12-07T09:00:00Z"))  // 1 h Friday, 1 h Monday
        #expect(
            policy.nearBreachPoint(priority: 3, opened: friday, due: try #require(due.response))
                == RFC3339.parse("2026-12-07T08:36:00Z"))
        #expect(policy.deadlines(priority: 1, opened: friday).response == RFC3339.parse("2026-12-04T17:15:00Z"))
    }
}
