import EccCore
import EccNotify
import EccStore
import Foundation
import Logging

/// eccd's own alarms (source `eccd`: store unwritable, outbox failing, bus full, clock jump) go to their
/// routes' receivers at once, without the outbox: the outbox lives in the database, which may be what is
/// failing. A raise is sent once per alarm, to every receiver of every route it takes and of the first
/// step of their escalations when that step has no delay (no `group_wait`, no rate limit: there are a
/// handful of these, and they are the ones that must get through); its clear
/// is sent as resolved to those told, on routes with `send_resolved`. Each message is kept in memory
/// with its attempts — temporary failures retried on the usual backoff — and recorded in the outbox
/// (``Outbox/recordSentAtOnce(_:id:attempts:createdAt:)``) once it is final and the outbox takes writes.
/// What is still in memory when eccd is killed is lost; a stop records what it can.
extension Dispatcher {
    /// One message sent at once.
    struct AtOnce: Sendable {
        var id: String
        var message: NewMessage
        var content: MessageContent
        var createdAt: EventTime
        var attempts: [Outbox.Attempt] = []
        var nextAt: EventTime
        var sending = false
        var final = false
    }

    /// Most messages held in memory (waiting, being sent, or waiting to be recorded); past it the oldest
    /// final ones are forgotten unrecorded (and that is logged).
    static let maxAtOnce = 256

    /// Sends the notifying changes of eccd's own alarms among `changes` at once (others are ignored).
    public func sendAtOnce(_ changes: [AlarmChange]) {
        let book = routes()
        let now = clock.now()
        var made: [AtOnce] = []
        state.withLock { s in
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
                        if let first = route.escalation.flatMap({ book.escalations[$0] })?.steps.first, first.after <= 0
                        {
                            receivers += first.receivers
                        }
                        for r in receivers where !told.contains(where: { $0.receiver == r }) {
                            told.append((name, r))
                            made.append(atOnce(.firing, receiver: r, route: name, alarm: a, at: now))
                        }
                    }
                    s.toldAtOnce[a.id] = told
                case .cleared:
                    guard let told = s.toldAtOnce.removeValue(forKey: a.id) else { continue }
                    for (route, r) in told where book.routes[route]?.sendResolved ?? true {
                        made.append(atOnce(.resolved, receiver: r, route: route, alarm: a, at: now))
                    }
                case .repeated:
                    continue
                }
            }
            s.atOnce += made
            if s.atOnce.count > Self.maxAtOnce, let i = s.atOnce.firstIndex(where: \.final) {
                let lost = s.atOnce.remove(at: i)
                logger.error(
                    "eccd's own notification not recorded in the outbox: too many waiting",
                    metadata: ["ecc.id": "\(lost.id)", "ecc.receiver": "\(lost.message.receiver)"])
            }
        }
        if !made.isEmpty { wake.signal() }
    }

    private func atOnce(_ kind: MessageContent.Kind, receiver: String, route: String, alarm a: Alarm, at now: EventTime)
        -> AtOnce
    {
        let info = AlarmInfo(
            id: a.id, rule: a.rule, key: a.key, state: a.state.rawValue, severity: a.severity.name, summary: a.summary,
            host: a.host, source: a.source, type: a.type, firstSeen: a.firstSeen, lastSeen: a.lastSeen, count: a.count,
            clearedAt: a.clearedAt, incident: nil, priority: nil)
        let content = MessageContent(
            kind: kind, receiver: receiver, route: route, group: [:], alarms: [info], createdAt: now)
        let salt = String(UInt32.random(in: 0...0xFF_FFFF), radix: 16)
        return AtOnce(
            id: "ecc-\(outbox.storeID)-eccd-\(a.id)-\(kind.rawValue).\(salt)",
            message: NewMessage(
                receiver: receiver, kind: kind.rawValue, route: route, alarmIDs: [a.id], content: encode(content)),
            content: content, createdAt: now, nextAt: now)
    }

    /// Starts the attempts that are due (first round of each message, then after each backoff).
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
                settleAtOnce(m.id, .permanent("no receiver named '\(m.message.receiver)'"), milliseconds: 0, at: now)
                continue
            }
            let out = OutgoingMessage(id: m.id, attempt: m.attempts.count + 1, content: m.content)
            (queues[r.name] ?? DispatchQueue.global()).async { [self] in
                let start = ContinuousClock.now
                let result = r.channel.deliver(out) { _ in }
                let elapsed = (ContinuousClock.now - start).components
                let ms = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
                settleAtOnce(m.id, result, milliseconds: ms, at: max(now, clock.now()))
                wake.signal()
            }
        }
    }

    private func settleAtOnce(_ id: String, _ result: DeliveryResult, milliseconds: Int64, at now: EventTime) {
        let m = state.withLock { s -> AtOnce? in
            guard let i = s.atOnce.firstIndex(where: { $0.id == id }) else { return nil }
            var m = s.atOnce[i]
            m.sending = false
            switch result {
            case .delivered(let d):
                m.attempts.append(.init(at: now, outcome: .delivered(d), milliseconds: milliseconds))
                m.final = true
            case .permanent(let d):
                m.attempts.append(.init(at: now, outcome: .permanent(d), milliseconds: milliseconds))
                m.final = true
            case .temporary(let d):
                let delay = retry.delay(afterAttempts: m.attempts.count + 1, jitter: Double.random(in: 0...1))
                let next = now.adding(nanoseconds: delay)
                let giveUp = next.nanoseconds - m.createdAt.nanoseconds > retry.giveUpAfter
                m.attempts.append(
                    .init(at: now, outcome: .temporary(d, retryAt: giveUp ? nil : next), milliseconds: milliseconds))
                m.final = giveUp
                m.nextAt = next
            }
            s.atOnce[i] = m
            return m
        }
        guard let m, let last = m.attempts.last else { return }
        let meta: Logger.Metadata = [
            "ecc.receiver": "\(m.message.receiver)", "ecc.kind": "\(m.message.kind)", "ecc.id": "\(m.id)",
            "ecc.attempt": "\(m.attempts.count)",
        ]
        switch last.outcome {
        case .delivered:
            count("sent", m.message.receiver)
            logger.notice("eccd's own alarm notified at once", metadata: meta)
        case .permanent(let d):
            count("failed", m.message.receiver)
            logger.error(
                "eccd's own alarm not notified: failed permanently",
                metadata: meta.merging(["ecc.error": "\(d)"]) { $1 })
        case .temporary(let d, let retryAt):
            count(retryAt == nil ? "failed" : "retried", m.message.receiver)
            logger.warning(
                retryAt == nil
                    ? "eccd's own alarm not notified: not retried any more"
                    : "eccd's own alarm not notified yet; will retry",
                metadata: meta.merging(["ecc.error": "\(d)"]) { $1 })
        }
    }

    /// Records the final messages in the outbox (throws while it cannot be written: they wait).
    func recordAtOnce() throws(StoreError) {
        let final = state.withLock { s in s.atOnce.filter(\.final) }
        for m in final {
            try outbox.recordSentAtOnce(m.message, id: m.id, attempts: m.attempts, createdAt: m.createdAt)
            state.withLock { s in s.atOnce.removeAll { $0.id == m.id } }
        }
    }

    /// Messages sent (or being sent) at once and not yet recorded in the outbox.
    public var unrecordedAtOnce: Int { state.withLock { $0.atOnce.count } }
}
