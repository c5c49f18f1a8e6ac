import EccCore
import EccIncidents
import EccNotify
import EccStore
import Foundation
import Logging

/// eccd's own alarms (source `eccd`: store unwritable, outbox failing, events dropped, a collector silent,
/// a clock jump) go to their receivers at once, without the outbox: the outbox lives in the database,
/// which may be what is failing. A raise is sent once per alarm to every receiver of every route it takes
/// and of the first step of their escalations when that step has no delay (no `group_wait`, no rate
/// limit, no `repeat_interval`: there are a handful of these, and they are the ones that must get
/// through); its clear is sent as resolved to those told, on routes with `send_resolved` (a raise still
/// waiting to be retried is given up instead: it would page for an alarm that is over). Each message is
/// kept in memory with its attempts — temporary failures retried on the usual backoff, on the receiver's
/// queue — and recorded in the outbox (``Outbox/recordSentAtOnce(_:id:attempts:progress:createdAt:)``)
/// once it is final and the outbox takes writes. A stop hands what is not final to the outbox as ordinary
/// messages; `kill -9` loses what is in memory.
extension Dispatcher {
    /// One message sent at once.
    struct AtOnce: Sendable {
        var id: String
        var alarm: UInt64
        var message: NewMessage
        var content: MessageContent
        var createdAt: EventTime
        var attempts: [Outbox.Attempt] = []
        /// Pieces accepted so far (SMS parts per number), not sent again.
        var progress: [String] = []
        var nextAt: EventTime
        var sending = false
        var final = false
    }

    /// Most messages held in memory (waiting, being sent, or waiting to be recorded); past it the oldest
    /// are forgotten (final ones first), each logged.
    static let maxAtOnce = 256

    /// Sends the notifying changes of eccd's own alarms among `changes` at once (others are ignored).
    package func sendAtOnce(_ changes: [AlarmChange]) {
        let book = routes()
        let now = clock.now()
        var forgotten: [AtOnce] = []
        let (made, stopping) = state.withLock { s -> ([AtOnce], Bool) in
            var made: [AtOnce] = []
            for c in changes where c.alarm.source == Event.eccdSource {
                let a = c.alarm
                switch c.kind {
                case .raised, .updated:
                    guard s.toldAtOnce[a.id] == nil, !c.notify.isEmpty else { continue }
                    // Each receiver once: the routes' own and their escalations' first steps without delay
                    // (the outbox starts those escalations at their second step).
                    var told: [(route: String, receiver: String)] = []
                    for name in c.notify {
                        guard let route = book.routes[name] else { continue }
                        var receivers = route.receivers
                        let policy = route.escalation.flatMap { book.escalations[$0] }
                        if let first = policy?.steps.first, first.after <= 0 { receivers += first.receivers }
                        for r in receivers where !told.contains(where: { $0.receiver == r }) {
                            told.append((name, r))
                            made.append(atOnce(.firing, receiver: r, route: name, alarm: a, at: now, seq: &s.atOnceSeq))
                        }
                    }
                    s.toldAtOnce[a.id] = told
                case .cleared:
                    guard let told = s.toldAtOnce.removeValue(forKey: a.id) else { continue }
                    for (route, r) in told where book.routes[route]?.sendResolved ?? true {
                        // A raise waiting for a retry is given up: it would arrive after its resolution.
                        if let i = s.atOnce.firstIndex(where: {
                            $0.alarm == a.id && $0.message.receiver == r && !$0.final && !$0.sending
                        }) {
                            s.atOnce[i].final = true
                            s.atOnce[i].attempts.append(
                                .init(
                                    at: now,
                                    outcome: AttemptOutcome(
                                        .permanent("given up: the alarm cleared before it was delivered")),
                                    milliseconds: 0))
                            continue
                        }
                        made.append(atOnce(.resolved, receiver: r, route: route, alarm: a, at: now, seq: &s.atOnceSeq))
                    }
                case .repeated:
                    continue
                }
            }
            guard !s.stopping else { return (made, true) }
            s.atOnce += made
            while s.atOnce.count > Self.maxAtOnce,
                let i = s.atOnce.firstIndex(where: \.final) ?? s.atOnce.firstIndex(where: { !$0.sending })
            {
                forgotten.append(s.atOnce.remove(at: i))
            }
            return (made, false)
        }
        for m in forgotten {
            logger.error(
                "eccd's own notification forgotten: too many waiting in memory",
                metadata: ["ecc.id": "\(m.id)", "ecc.receiver": "\(m.message.receiver)", "ecc.final": "\(m.final)"])
        }
        // After the dispatcher stopped (the store's last commits at shutdown): into the outbox, for the next start.
        if stopping {
            handOver(made)
        } else if !made.isEmpty {
            wake.signal()
        }
    }

    private func atOnce(
        _ kind: MessageContent.Kind, receiver: String, route: String, alarm a: Alarm, at now: EventTime, seq: inout Int
    ) -> AtOnce {
        let info = AlarmInfo(
            id: a.id, rule: a.rule, key: a.key, state: a.state, severity: a.severity, summary: a.summary,
            host: a.host, source: a.source, type: a.type, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count,
            clearedAt: a.clearedAt, incident: nil, priority: nil)
        let content = MessageContent(
            kind: kind, receiver: receiver, route: route, group: [:], alarms: [info], createdAt: now)
        seq += 1
        // Unique in this process by its sequence number, across restarts by the salt.
        let salt = String(UInt32.random(in: 0...0xFF_FFFF), radix: 16)
        return AtOnce(
            id: "ecc-\(outbox.storeID)-eccd\(seq)-\(a.id).\(salt)", alarm: a.id,
            message: NewMessage(
                receiver: receiver, kind: kind, route: route, alarmIDs: [a.id], content: encode(content)),
            content: content, createdAt: now, nextAt: now)
    }

    /// Starts the attempts that are due (first of each message, then after each backoff), on the receivers'
    /// queues.
    func sendAtOnceDue(at now: EventTime) {
        let due = state.withLock { s -> [AtOnce] in
            var out: [AtOnce] = []
            for i in s.atOnce.indices where !s.atOnce[i].final && !s.atOnce[i].sending && s.atOnce[i].nextAt <= now {
                s.atOnce[i].sending = true
                out.append(s.atOnce[i])
            }
            return out
        }
        for m in due {
            guard let r = receivers[m.message.receiver] else {
                settleAtOnce(
                    m.id, .permanent("no receiver named '\(m.message.receiver)'"), [], milliseconds: 0, at: now)
                continue
            }
            let out = OutgoingMessage(
                id: m.id, attempt: m.attempts.count + 1, content: m.content, done: Set(m.progress))
            (queues[r.name] ?? DispatchQueue.global()).async { [self] in
                defer { wake.signal() }
                // Queued before a stop and not started: handed to the outbox at the stop.
                if state.withLock({ $0.stopping }) {
                    state.withLock { s in
                        if let i = s.atOnce.firstIndex(where: { $0.id == m.id }) { s.atOnce[i].sending = false }
                    }
                    return
                }
                let start = ContinuousClock.now
                var accepted = m.progress
                let result = r.channel.deliver(out) { accepted.append($0) }
                settleAtOnce(
                    m.id, result, accepted, milliseconds: milliseconds(since: start), at: max(now, clock.now()))
            }
        }
    }

    private func settleAtOnce(
        _ id: String, _ result: DeliveryResult, _ progress: [String], milliseconds: Int64, at now: EventTime
    ) {
        guard let m = state.withLock({ s in s.atOnce.first { $0.id == id } }) else { return }
        let outcome = outcome(
            of: result, attempt: m.attempts.count + 1, kind: m.message.kind, createdAt: m.createdAt,
            receiver: m.message.receiver, id: m.id, at: now)
        state.withLock { s in
            guard let i = s.atOnce.firstIndex(where: { $0.id == id }) else { return }
            s.atOnce[i].sending = false
            s.atOnce[i].progress = progress
            s.atOnce[i].attempts.append(.init(at: now, outcome: outcome, milliseconds: milliseconds))
            if let retryAt = outcome.retryAt {
                s.atOnce[i].nextAt = retryAt
            } else {
                s.atOnce[i].final = true
            }
        }
    }

    /// Records the final messages in the outbox (throws while it cannot be written: they wait).
    func recordAtOnce() throws(StoreError) {
        let final = state.withLock { s in s.atOnce.filter(\.final) }
        for m in final {
            try outbox.recordSentAtOnce(
                m.message, id: m.id, attempts: m.attempts, progress: m.progress, createdAt: m.createdAt)
            state.withLock { s in s.atOnce.removeAll { $0.id == m.id } }
        }
    }

    /// At a stop (sends finished): the final messages are recorded, the others handed to the outbox as
    /// ordinary messages for the next start.
    func stopAtOnce() {
        do { try recordAtOnce() } catch {
            logger.error(
                "eccd's own notifications not recorded in the outbox at stop",
                metadata: ["ecc.count": "\(unrecordedAtOnce)", "ecc.error": "\(error)"])
        }
        handOver(state.withLock { s in s.atOnce.filter { !$0.final } })
    }

    /// Puts messages not yet delivered into the outbox as ordinary pending messages.
    private func handOver(_ messages: [AtOnce]) {
        for m in messages {
            do {
                try outbox.enqueue(m.message, at: m.createdAt)
                state.withLock { s in s.atOnce.removeAll { $0.id == m.id } }
            } catch {
                logger.error(
                    "eccd's own notification lost at stop: the outbox cannot be written",
                    metadata: ["ecc.id": "\(m.id)", "ecc.receiver": "\(m.message.receiver)", "ecc.error": "\(error)"])
            }
        }
    }

    /// Messages sent (or being sent) at once and not yet recorded in the outbox.
    package var unrecordedAtOnce: Int { state.withLock { $0.atOnce.count } }
}
