import EccCore
import EccNotify
import EccStore
import Foundation
import Logging
import Synchronization

/// A receiver as the dispatcher uses it: its channel and rate limit.
public struct DispatchReceiver: Sendable {
    public var name: String
    public var channel: any Channel
    /// Tokens per second and bucket size; nil: no limit.
    public var rate: (perSecond: Double, burst: Int)?
    /// How long held messages wait before their digest goes out (nanoseconds).
    public var digestAfter: Int64

    public init(name: String, channel: any Channel, rate: (perSecond: Double, burst: Int)?, digestAfter: Int64) {
        self.name = name
        self.channel = channel
        self.rate = rate
        self.digestAfter = digestAfter
    }
}

/// Retries of temporary failures: exponential backoff with jitter, until `giveUpAfter` from the message's
/// creation.
public struct RetryPolicy: Sendable, Hashable {
    public var initial: Int64 = 10_000_000_000
    public var maximum: Int64 = 600_000_000_000
    public var giveUpAfter: Int64 = 86_400_000_000_000

    public init() {}

    /// The delay before attempt `n + 1` after `n` failed attempts: initial × 2^(n-1), at most `maximum`,
    /// scaled by a random factor in [0.5, 1] so that many messages failing together do not retry together.
    public func delay(afterAttempts n: Int, jitter: Double) -> Int64 {
        let base = Double(initial) * pow(2, Double(max(0, n - 1)))
        return Int64(min(base, Double(maximum)) * (0.5 + 0.5 * min(max(jitter, 0), 1)))
    }
}

/// Sends what the outbox holds: turns due groups, repeats and escalation steps into messages, applies
/// each receiver's rate limit (held messages go out as one digest), delivers on one serial queue per
/// receiver, records every attempt and reschedules temporary failures. Runs on its own thread.
public final class Dispatcher: Sendable {
    let outbox: Outbox
    let receivers: [String: DispatchReceiver]
    let routes: @Sendable () -> RouteBook
    let clock: any EccCore.Clock
    let retry: RetryPolicy
    let logger: Logger
    private let queues: [String: DispatchQueue]
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    let counters = Mutex<[String: Int]>([:])

    struct State {
        var stopping = false
        var running = false
        var inFlight: Set<Int64> = []
        var finished: [(Int64, AttemptOutcomeInput)] = []
        var buckets: [String: (tokens: Double, at: Int64)] = [:]
    }

    struct AttemptOutcomeInput: Sendable {
        var result: DeliveryResult
        var attempts: Int
        var createdAt: EventTime
        var milliseconds: Int64
        var receiver: String
        var kind: String
    }

    public init(
        outbox: Outbox, receivers: [DispatchReceiver], routes: @escaping @Sendable () -> RouteBook,
        clock: any EccCore.Clock, retry: RetryPolicy = RetryPolicy(), logger: Logger
    ) {
        self.outbox = outbox
        var map: [String: DispatchReceiver] = [:]
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
    public func start() {
        state.withLock { $0.running = true }
        let t = Thread { [self] in
            run()
            done.signal()
        }
        t.name = "ecc-notify"
        t.start()
    }

    /// Stops after the current round; messages being sent finish first (bounded by their timeouts), the
    /// rest stay in the outbox for the next start.
    public func stop() async {
        let running = state.withLock { s -> Bool in
            s.stopping = true
            return s.running
        }
        guard running else { return }
        wake.signal()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                c.resume()
            }
        }
    }

    /// Wakes the dispatcher (a test message was queued).
    public func poke() { wake.signal() }

    private func run() {
        logger.info("notification dispatcher started", metadata: ["ecc.receivers": "\(receivers.keys.sorted())"])
        while !state.withLock({ $0.stopping }) {
            round(at: clock.now())
            _ = wake.wait(timeout: .now() + .milliseconds(250))
        }
        // Let sends in flight finish and record them, so none is sent twice after a restart.
        for q in queues.values { q.sync {} }
        recordFinished(at: clock.now())
        logger.info("notification dispatcher stopped")
    }

    /// One pass: record finished attempts, make due messages, send what is due.
    func round(at now: EventTime) {
        recordFinished(at: now)
        do {
            let book = routes()
            try flushGroups(book, at: now)
            try repeatGroups(book, at: now)
            try escalate(book, at: now)
            try digests(at: now)
            try send(at: now)
        } catch {
            logger.error("notification outbox failed; retrying", metadata: ["ecc.error": "\(error)"])
        }
    }

    /// One round, then waits for the sends it started and records them: tests and benchmarks drive time
    /// with this instead of ``start()``.
    public func settle(at now: EventTime) {
        round(at: now)
        for q in queues.values { q.sync {} }
        recordFinished(at: now)
    }

    // MARK: Making messages

    private func flushGroups(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        for g in try outbox.dueGroups(at: now) {
            let route = book.routes[g.route]
            var messages: [NewMessage] = []
            let receivers = route?.receivers ?? []
            if route == nil {
                logger.warning(
                    "notification group of a route no longer in the rules dropped",
                    metadata: ["ecc.route": "\(g.route)"])
            }
            for r in receivers {
                if g.changed, !g.firing.isEmpty {
                    messages.append(
                        message(.firing, receiver: r, route: g.route, group: g.labels, alarms: g.firing, at: now))
                }
                if !g.resolved.isEmpty {
                    messages.append(
                        message(.resolved, receiver: r, route: g.route, group: g.labels, alarms: g.resolved, at: now))
                }
            }
            let repeatAt = route.flatMap { $0.repeatInterval > 0 ? now.adding(nanoseconds: $0.repeatInterval) : nil }
            try outbox.flush(
                g, messages: messages, interval: route?.groupInterval ?? 300_000_000_000, repeatAt: repeatAt, at: now)
        }
    }

    private func repeatGroups(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        for g in try outbox.dueRepeats(at: now) {
            let route = book.routes[g.route]
            let messages =
                g.firing.isEmpty
                ? []
                : (route?.receivers ?? []).map {
                    message(.repeat, receiver: $0, route: g.route, group: g.labels, alarms: g.firing, at: now)
                }
            let next = route.flatMap { $0.repeatInterval > 0 ? now.adding(nanoseconds: $0.repeatInterval) : nil }
            try outbox.repeated(g, messages: messages, next: next, at: now)
        }
    }

    private func escalate(_ book: RouteBook, at now: EventTime) throws(StoreError) {
        for e in try outbox.dueEscalations(at: now) {
            guard let policy = book.escalations[e.policy], e.step < policy.steps.count else {
                try outbox.stopEscalation(
                    e.id, reason: "escalation policy '\(e.policy)' is no longer in the rules", at: now)
                continue
            }
            guard let alarm = e.alarm, alarm.state == "active" else {
                try outbox.stopEscalation(e.id, reason: "alarm cleared", at: now)
                continue
            }
            if let s = e.incidentState, s != "new" {
                try outbox.stopEscalation(
                    e.id, reason: "incident \(e.incidentID ?? alarm.incident ?? 0) is \(s)", at: now)
                continue
            }
            let step = policy.steps[e.step]
            let messages = step.receivers.map { r in
                var m = message(.escalation, receiver: r, route: e.route, group: [:], alarms: [alarm], at: now)
                m.content = encode(
                    MessageContent(
                        kind: .escalation, receiver: r, route: e.policy, alarms: [info(alarm)],
                        escalationStep: e.step + 1,
                        createdAt: now))
                return m
            }
            let next =
                e.step + 1 < policy.steps.count ? e.startedAt.adding(nanoseconds: policy.steps[e.step + 1].after) : nil
            try outbox.escalated(
                e, messages: messages, nextAt: next.map { max($0, now) },
                reason: "last step (\(policy.steps.count)) sent", at: now)
        }
    }

    private func digests(at now: EventTime) throws(StoreError) {
        for h in try outbox.heldReceivers() {
            let wait = receivers[h.receiver]?.digestAfter ?? 60_000_000_000
            guard now.nanoseconds - h.oldest.nanoseconds >= wait else { continue }
            let held = try outbox.held(receiver: h.receiver)
            guard !held.isEmpty else { continue }
            let lines = held.map { m in
                let c = decode(m.content)
                let text = c?.alarms.map { "\($0.severity.uppercased()) \($0.host): \($0.summary)" }.joined(
                    separator: "; ")
                return HeldMessage(
                    id: m.uid, kind: MessageContent.Kind(rawValue: m.kind) ?? .firing, route: m.route,
                    line: (text?.isEmpty ?? true) ? m.kind : text ?? m.kind, createdAt: m.createdAt)
            }
            let content = MessageContent(kind: .digest, receiver: h.receiver, held: lines, createdAt: now)
            try outbox.digest(
                NewMessage(
                    receiver: h.receiver, kind: "digest", route: "",
                    alarmIDs: Array(Set(held.flatMap(\.alarmIDs))).sorted(),
                    content: encode(content)),
                listing: held, at: now)
            logger.notice(
                "rate limit: held notifications sent as one digest",
                metadata: ["ecc.receiver": "\(h.receiver)", "ecc.held": "\(held.count)"])
        }
    }

    func message(
        _ kind: MessageContent.Kind, receiver: String, route: String, group: [String: String], alarms: [OutboxAlarm],
        at now: EventTime
    ) -> NewMessage {
        let content = MessageContent(
            kind: kind, receiver: receiver, route: route, group: group, alarms: alarms.map(info), createdAt: now)
        return NewMessage(
            receiver: receiver, kind: kind.rawValue, route: route, alarmIDs: alarms.map(\.id), content: encode(content))
    }

    func info(_ a: OutboxAlarm) -> AlarmInfo {
        AlarmInfo(
            id: a.id, rule: a.rule, key: a.key, state: a.state, severity: a.severity, summary: a.summary, host: a.host,
            source: a.source, type: a.type, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count,
            clearedAt: a.clearedAt, incident: a.incident, priority: a.priority)
    }

    func encode(_ c: MessageContent) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        guard let data = try? e.encode(c) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func decode(_ s: String) -> MessageContent? {
        try? JSONDecoder().decode(MessageContent.self, from: Data(s.utf8))
    }

    // MARK: Sending

    private func send(at now: EventTime) throws(StoreError) {
        let busy = state.withLock { $0.inFlight }
        for m in try outbox.dueMessages(at: now) where !busy.contains(m.rowID) {
            guard let r = receivers[m.receiver] else {
                try outbox.fail(
                    m.rowID, reason: "no receiver named '\(m.receiver)' in eccd.yaml (notify.receivers)", at: now)
                count("failed", m.receiver)
                continue
            }
            guard let content = decode(m.content) else {
                try outbox.fail(m.rowID, reason: "the stored message cannot be read", at: now)
                count("failed", m.receiver)
                continue
            }
            if m.kind != "digest", m.kind != "test", m.attempts == 0, !takeToken(r, at: now) {
                try outbox.hold(m.rowID, at: now)
                count("held", m.receiver)
                continue
            }
            state.withLock { _ = $0.inFlight.insert(m.rowID) }
            let out = OutgoingMessage(id: m.uid, attempt: m.attempts + 1, content: content)
            let queue = queues[r.name] ?? DispatchQueue.global()
            queue.async { [self] in
                let start = ContinuousClock.now
                let result = r.channel.deliver(out)
                let ms =
                    Int64((ContinuousClock.now - start).components.seconds * 1000)
                    + (ContinuousClock.now - start).components.attoseconds / 1_000_000_000_000_000
                state.withLock {
                    $0.finished.append(
                        (
                            m.rowID,
                            AttemptOutcomeInput(
                                result: result, attempts: m.attempts + 1, createdAt: m.createdAt, milliseconds: ms,
                                receiver: m.receiver, kind: m.kind)
                        ))
                }
                wake.signal()
            }
        }
    }

    private func recordFinished(at now: EventTime) {
        let finished = state.withLock { s -> [(Int64, AttemptOutcomeInput)] in
            let f = s.finished
            s.finished.removeAll()
            return f
        }
        for (row, f) in finished {
            let outcome: AttemptOutcome
            switch f.result {
            case .delivered(let d):
                outcome = .delivered(d)
                count("sent", f.receiver)
                logger.info(
                    "notification sent",
                    metadata: [
                        "ecc.receiver": "\(f.receiver)", "ecc.kind": "\(f.kind)", "ecc.id": "\(outbox.uid(row))",
                    ])
            case .permanent(let d):
                outcome = .permanent(d)
                count("failed", f.receiver)
                logger.error(
                    "notification failed permanently; not retried",
                    metadata: ["ecc.receiver": "\(f.receiver)", "ecc.id": "\(outbox.uid(row))", "ecc.error": "\(d)"])
            case .temporary(let d):
                let delay = retry.delay(afterAttempts: f.attempts, jitter: Double.random(in: 0...1))
                let next = now.adding(nanoseconds: delay)
                let giveUp = next.nanoseconds - f.createdAt.nanoseconds > retry.giveUpAfter
                outcome = .temporary(d, retryAt: giveUp ? nil : next)
                count(giveUp ? "failed" : "retried", f.receiver)
                logger.warning(
                    giveUp ? "notification failed; giving up after retrying" : "notification failed; will retry",
                    metadata: [
                        "ecc.receiver": "\(f.receiver)", "ecc.id": "\(outbox.uid(row))", "ecc.error": "\(d)",
                        "ecc.attempt": "\(f.attempts)", "ecc.retry_in_ms": "\(giveUp ? 0 : delay / 1_000_000)",
                    ])
            }
            do {
                try outbox.record(row, outcome, durationMilliseconds: f.milliseconds, at: now)
            } catch {
                logger.error(
                    "notification attempt not recorded; it may be sent again",
                    metadata: ["ecc.id": "\(outbox.uid(row))", "ecc.error": "\(error)"])
            }
            state.withLock { _ = $0.inFlight.remove(row) }
        }
    }

    /// Token bucket per receiver; a message that finds it empty is held for the digest.
    private func takeToken(_ r: DispatchReceiver, at now: EventTime) -> Bool {
        guard let rate = r.rate else { return true }
        return state.withLock { s -> Bool in
            var b = s.buckets[r.name] ?? (Double(rate.burst), now.nanoseconds)
            let elapsed = Double(max(0, now.nanoseconds - b.at)) / 1e9
            b.tokens = min(Double(rate.burst), b.tokens + elapsed * rate.perSecond)
            b.at = now.nanoseconds
            let ok = b.tokens >= 1
            if ok { b.tokens -= 1 }
            s.buckets[r.name] = b
            return ok
        }
    }

    private func count(_ what: String, _ receiver: String) {
        counters.withLock { $0["\(receiver)\u{1F}\(what)", default: 0] += 1 }
    }

    /// Messages sent, retried (temporary failures), failed and held since start, by receiver and result.
    public var totals: [(receiver: String, result: String, count: Int)] {
        counters.withLock { c in
            c.compactMap { k, v in
                let parts = k.split(separator: "\u{1F}", omittingEmptySubsequences: false)
                return parts.count == 2 ? (String(parts[0]), String(parts[1]), v) : nil
            }
        }
    }
}
