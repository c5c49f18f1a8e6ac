import EccBus
import EccCore
import EccIncidents
import EccNotify
import EccStore
import Foundation
import Logging
import Synchronization

/// Sends what the outbox holds: turns due groups, repeats and escalation steps into messages, applies
/// each receiver's rate limit (held messages go out as one digest), delivers on one serial queue per
/// receiver, records every attempt and reschedules temporary failures. Runs on its own thread.
package final class Dispatcher: Sendable {
    package let outbox: Outbox
    package let receivers: [String: ReceiverDefinition]
    let routes: @Sendable () -> RouteBook
    package let clock: any EccCore.Clock
    let retry: RetryPolicy
    package let logger: Logger
    let queues: [String: DispatchQueue]
    let state = Mutex(State())
    let wake = DispatchSemaphore(value: 0)
    private let thread = Mutex<DedicatedThread?>(nil)
    /// How a message's turn ended, as counted (`ecc_notifications_total{result}` and `eccctl status`).
    package enum Tally: String, Sendable, Hashable, CaseIterable {
        case sent
        /// A temporary failure, tried again later.
        case retried
        case failed
        /// Held back by the receiver's rate limit, for the digest.
        case held
    }
    struct Counted: Hashable {
        var receiver: String
        var result: Tally
    }
    let counters = Mutex<[Counted: Int]>([:])

    struct State {
        var stopping = false
        var running = false
        /// Messages being sent: row → receiver.
        var inFlight: [Int64: String] = [:]
        var buckets: [String: DispatchDecisions.TokenBucket] = [:]
        var lastUnknownCheck = Int64.min / 2
        /// The first failed round while the outbox cannot be read or written (nil: it can), whether the
        /// self-alarm was raised, the last time the failure was logged and the failed rounds not logged since.
        var firstFailedRound: EventTime?
        var outboxAlarmed = false
        var lastFailureLog: ContinuousClock.Instant?
        var unloggedFailures = 0
        /// eccd's own alarms' messages sent at once (``sendAtOnce(_:)``), until recorded in the outbox.
        var atOnce: [AtOnce] = []
        /// eccd's own alarms told as firing, with the routes and receivers told (for the resolved message).
        var toldAtOnce: [UInt64: [(route: String, receiver: String)]] = [:]
        /// Numbers the messages sent at once.
        var atOnceSeq = 0
    }

    /// Called when the outbox stops (false, with the error) or starts again (true) being readable and
    /// writable — for eccd's self-alarm. Must not block.
    let onHealth: @Sendable (Bool, String) -> Void
    /// How often a persisting outbox failure is logged again.
    static let failureLogInterval: Duration = .seconds(60)
    /// How long rounds must keep failing before the self-alarm is raised: a round that waits out SQLite's
    /// busy timeout behind a long commit is not trouble worth paging anyone for.
    static let outboxAlarmAfter: Int64 = 10_000_000_000

    /// Sends outstanding per receiver: a dead server holds up only its own receiver, and a stop waits for
    /// at most one send per receiver (the queued ones return unsent and stay in the outbox).
    static let maxInFlight = 4

    package init(
        outbox: Outbox, receivers: [ReceiverDefinition], routes: @escaping @Sendable () -> RouteBook,
        clock: any EccCore.Clock, retry: RetryPolicy = RetryPolicy(), logger: Logger,
        onHealth: @escaping @Sendable (Bool, String) -> Void = { _, _ in }
    ) {
        self.onHealth = onHealth
        self.outbox = outbox
        var map: [String: ReceiverDefinition] = [:]
        var queues: [String: DispatchQueue] = [:]
        for r in receivers {
            map[r.name] = r
            queues[r.name] = DispatchQueue(label: "ecc-notify-\(r.name)")
        }
        self.receivers = map
        self.queues = queues
        self.routes = routes
        self.clock = clock
        self.retry = retry
        self.logger = logger
    }

    /// Starts the dispatcher thread.
    package func start() {
        state.withLock { $0.running = true }
        let t = DedicatedThread(name: "ecc-notify") { [self] in run() }
        thread.withLock { $0 = t }
    }

    /// Stops after the current round; messages being sent finish first (bounded by their timeouts), the
    /// rest stay in the outbox for the next start.
    package func stop() async {
        let running = state.withLock { s -> Bool in
            s.stopping = true
            return s.running
        }
        guard running else { return }
        wake.signal()
        await thread.withLock { $0 }?.join()
    }

    /// Wakes the dispatcher (a test message was queued).
    package func poke() { wake.signal() }

    private func run() {
        logger.info("notification dispatcher started", metadata: ["ecc.receivers": "\(receivers.keys.sorted())"])
        // Groups keep the timing their route decided when alarms joined; after an upgrade (groups from before
        // schema 8) or a restart with changed rules, they take the rules in force now.
        do { try outbox.updateGroupTiming(routes()) } catch {
            logger.warning("notification groups keep their timing for now", metadata: ["ecc.error": "\(error)"])
        }
        while !state.withLock({ $0.stopping }) {
            round(at: clock.now())
            _ = wake.wait(timeout: .now() + .milliseconds(250))
        }
        // Let sends in flight finish (each records its own outcome), so none is sent twice after a restart.
        for q in queues.values { q.sync {} }
        stopAtOnce()
        logger.info("notification dispatcher stopped")
    }

    /// One pass: make due messages, send what is due.
    func round(at now: EventTime) {
        // eccd's own alarms first, and whatever state the outbox is in.
        sendAtOnceDue(at: now)
        do {
            let book = routes()
            try flushGroups(book, at: now)
            try repeatGroups(book, at: now)
            try escalate(book, at: now)
            try digests(at: now)
            try send(at: now)
            outboxWorked(at: now)
        } catch {
            outboxFailed(error, at: now)
            return
        }
        // eccd's own messages sent at once, once final (a failure here is retried next round).
        try? recordAtOnce()
    }

    /// True while the outbox cannot be read or written.
    package var isOutboxFailing: Bool { state.withLock { $0.firstFailedRound != nil } }

    /// A round failed: the first failure is logged, then at most one line a minute, with how many rounds
    /// failed meanwhile; rounds failing for ``outboxAlarmAfter`` raise the self-alarm.
    private func outboxFailed(_ error: StoreError, at round: EventTime) {
        let now = ContinuousClock.now
        let (raise, log, unlogged) = state.withLock { s -> (Bool, Bool, Int) in
            let first = s.firstFailedRound == nil
            if first { s.firstFailedRound = round }
            let since = s.firstFailedRound ?? round
            let raise = !s.outboxAlarmed && round.nanoseconds - since.nanoseconds >= Self.outboxAlarmAfter
            if raise { s.outboxAlarmed = true }
            guard first || s.lastFailureLog.map({ now - $0 >= Self.failureLogInterval }) ?? true else {
                s.unloggedFailures += 1
                return (raise, false, 0)
            }
            let n = s.unloggedFailures
            s.lastFailureLog = now
            s.unloggedFailures = 0
            return (raise, true, n)
        }
        if raise { onHealth(false, "\(error)") }
        guard log else { return }
        logger.error(
            "notification outbox not read or written; retrying every round",
            metadata: ["ecc.error": "\(error)", "ecc.suppressed": "\(unlogged)"])
    }

    /// A round worked: if the outbox had been failing, say it recovered and clear the self-alarm.
    private func outboxWorked(at now: EventTime) {
        let failed = state.withLock { s -> (since: EventTime, rounds: Int, alarmed: Bool)? in
            guard let since = s.firstFailedRound else { return nil }
            let rounds = s.unloggedFailures
            let alarmed = s.outboxAlarmed
            s.firstFailedRound = nil
            s.outboxAlarmed = false
            s.lastFailureLog = nil
            s.unloggedFailures = 0
            return (since, rounds, alarmed)
        }
        guard let failed else { return }
        logger.notice(
            "notification outbox readable and writable again",
            metadata: [
                "ecc.failed_for": "\(Duration.nanoseconds(now.nanoseconds - failed.since.nanoseconds))",
                "ecc.suppressed": "\(failed.rounds)",
            ])
        if failed.alarmed { onHealth(true, "") }
    }

    /// One round, then waits for the sends it started and records them: tests and benchmarks drive time
    /// with this instead of ``start()``.
    package func settle(at now: EventTime) {
        round(at: now)
        for q in queues.values { q.sync {} }
    }

    // MARK: Making messages

    private func flushGroups(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        try outbox.flushDueGroups(at: now) { g in
            let route = book.routes[g.route]
            if route == nil {
                logger.warning(
                    "notification group of a route no longer in the rules dropped",
                    metadata: ["ecc.route": "\(g.route)"])
            }
            let plan = DispatchDecisions.flush(
                route, named: g.route, labels: g.labels, changed: g.changed, firing: g.firing, resolved: g.resolved,
                at: now)
            return Outbox.GroupPlan(
                messages: plan.messages.map(message), interval: plan.interval, repeatAt: plan.repeatAt,
                sendResolved: plan.sendResolved)
        }
    }

    private func repeatGroups(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        try outbox.repeatDueGroups(at: now) { g in
            let plan = DispatchDecisions.repeat(
                book.routes[g.route], named: g.route, labels: g.labels, firing: g.firing, at: now)
            return (plan.messages.map(message), plan.next)
        }
    }

    private func escalate(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        try outbox.escalateDue(at: now) { e in
            let step = DispatchDecisions.escalate(
                DispatchDecisions.Escalation(
                    policy: e.policy, step: e.step, startedAt: e.startedAt, alarm: e.alarm, incidentID: e.incidentID,
                    incidentState: e.incidentState, incidentAcknowledgedAt: e.incidentAcknowledgedAt),
                policy: book.escalations[e.policy], at: now)
            switch step {
            case .stop(let reason): return .stop(reason)
            case .send(let messages, let next, let reason):
                return .send(messages.map(message), nextAt: next, reason: reason)
            }
        }
    }

    private func digests(at now: EventTime) throws(StoreError) {
        for h in try outbox.heldReceivers() {
            guard DispatchDecisions.digestDue(receivers[h.receiver]?.rateLimit, oldest: h.oldest, at: now) else {
                continue
            }
            let held = try outbox.held(receiver: h.receiver)
            guard !held.isEmpty else { continue }
            let lines = held.prefix(DispatchDecisions.digestListed).map { m in
                let c = decode(m.content)
                let text = c?.alarms.map { "\($0.severity.name.uppercased()) \($0.host): \($0.summary)" }.joined(
                    separator: "; ")
                return HeldMessage(
                    id: m.uid, kind: m.kind, route: m.route,
                    line: (text?.isEmpty ?? true) ? m.kind.rawValue : text ?? m.kind.rawValue, createdAt: m.createdAt)
            }
            let content = DispatchDecisions.digest(receiver: h.receiver, held: lines, total: held.count, at: now)
            try outbox.digest(
                NewMessage(
                    receiver: h.receiver, kind: .digest, route: "",
                    alarmIDs: Array(Set(held.flatMap(\.alarmIDs))).sorted(),
                    content: encode(content)),
                listing: held, at: now)
            logger.notice(
                "rate limit: held notifications sent as one digest",
                metadata: ["ecc.receiver": "\(h.receiver)", "ecc.held": "\(held.count)"])
        }
    }

    /// A message to queue, with its content as the outbox stores it.
    func message(_ content: MessageContent) -> NewMessage {
        NewMessage(
            receiver: content.receiver, kind: content.kind, route: content.route, alarmIDs: content.alarms.map(\.id),
            content: encode(content))
    }

    func message(
        _ kind: MessageContent.Kind, receiver: String, route: String, group: [String: String], alarms: [AlarmInfo],
        escalationStep: Int? = nil, at now: EventTime
    ) -> NewMessage {
        let content = MessageContent(
            kind: kind, receiver: receiver, route: route, group: group, alarms: alarms,
            escalationStep: escalationStep, createdAt: now)
        return NewMessage(
            receiver: receiver, kind: kind, route: route, alarmIDs: alarms.map(\.id), content: encode(content))
    }

    package func encode(_ c: MessageContent) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        guard let data = try? e.encode(c) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func decode(_ s: String) -> MessageContent? {
        try? JSONDecoder().decode(MessageContent.self, from: Data(s.utf8))
    }

    /// Token bucket per receiver (``DispatchDecisions/TokenBucket``); a message that finds it empty is held
    /// for the digest.
    func takeToken(_ r: ReceiverDefinition, at now: EventTime) -> Bool {
        guard let limit = r.rateLimit else { return true }
        return state.withLock { s -> Bool in
            var bucket = s.buckets[r.name] ?? DispatchDecisions.TokenBucket(limit, at: now)
            defer { s.buckets[r.name] = bucket }
            return bucket.take(limit, at: now)
        }
    }

    func count(_ what: Tally, _ receiver: String) {
        counters.withLock { $0[Counted(receiver: receiver, result: what), default: 0] += 1 }
    }

    /// Messages sent, retried (temporary failures), failed and held since start, by receiver and result.
    package var totals: [(receiver: String, result: Tally, count: Int)] {
        counters.withLock { c in c.map { ($0.key.receiver, $0.key.result, $0.value) } }
    }
}
