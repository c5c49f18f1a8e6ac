import EccCore
import EccIncidents
import EccNotify
import EccStore
import Foundation
import Logging

/// Sending: per receiver, the due messages up to ``Dispatcher/maxInFlight`` at a time, through its rate
/// limit, on its own serial queue; each send records its own outcome as soon as it is known.
extension Dispatcher {
    func send(at now: EventTime) throws(StoreError) {
        for name in receivers.keys.sorted() {
            guard let r = receivers[name] else { continue }
            try send(r, at: now)
        }
        // Messages for receivers no longer configured fail; looking for them reads every due row, so it is
        // done every 30 s, not every round.
        let look = state.withLock { s -> Bool in
            guard now.nanoseconds - s.lastUnknownCheck >= 30_000_000_000 || now.nanoseconds < s.lastUnknownCheck
            else { return false }
            s.lastUnknownCheck = now.nanoseconds
            return true
        }
        guard look else { return }
        for m in try outbox.dueMessages(at: now, notFor: Set(receivers.keys)) {
            try outbox.fail(
                m.rowID,
                reason: "no receiver named '\(m.receiver)' in the configuration (notify.receivers) any more; not sent",
                at: now)
            count(.failed, m.receiver)
        }
    }

    private func send(_ r: ReceiverDefinition, at now: EventTime) throws(StoreError) {
        var busy = state.withLock { $0.inFlight }
        var capacity = Self.maxInFlight - busy.values.filter { $0 == r.name }.count
        while capacity > 0 {
            let due = try outbox.dueMessages(at: now, receiver: r.name, excluding: Set(busy.keys), limit: 200)
            if due.isEmpty { return }
            for m in due {
                guard capacity > 0 else { return }
                guard let content = decode(m.content) else {
                    try outbox.fail(
                        m.rowID,
                        reason: "the stored message cannot be read (written by another eccd version?); not sent",
                        at: now)
                    count(.failed, m.receiver)
                    continue
                }
                // Past the rate limit a message is held for the digest (digests and tests are never held,
                // and a retry already had its token).
                if m.kind != .digest, m.kind != .test, m.attempts == 0, !takeToken(r, at: now) {
                    try outbox.hold(m.rowID, at: now)
                    count(.held, m.receiver)
                    continue
                }
                busy[m.rowID] = r.name
                capacity -= 1
                dispatch(m, content, to: r, at: now)
            }
        }
    }

    private func dispatch(_ m: OutboxMessage, _ content: MessageContent, to r: ReceiverDefinition, at now: EventTime) {
        state.withLock { $0.inFlight[m.rowID] = r.name }
        let out = OutgoingMessage(id: m.uid, attempt: m.attempts + 1, content: content, done: Set(m.progress))
        let queue = queues[r.name] ?? DispatchQueue.global()
        queue.async { [self] in
            defer {
                state.withLock { _ = $0.inFlight.removeValue(forKey: m.rowID) }
                wake.signal()
            }
            // Queued before a stop and not started: it stays in the outbox for the next start.
            if state.withLock({ $0.stopping }) { return }
            let start = ContinuousClock.now
            var accepted = m.progress
            let result = r.channel.deliver(out) { accepted.append($0) }
            finish(m, result, milliseconds: milliseconds(since: start), progress: accepted, at: max(now, clock.now()))
        }
    }

    func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = (ContinuousClock.now - start).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }

    /// How attempt number `attempt` of a message ended, as the outbox records it: a temporary failure is
    /// retried after the backoff unless that passes `give_up_after` (a test message is tried once).
    /// Counted by receiver and result, and logged.
    func outcome(
        of result: DeliveryResult, attempt: Int, kind: NotificationKind, createdAt: EventTime, receiver: String,
        id: String,
        at now: EventTime
    ) -> AttemptOutcome {
        let meta: Logger.Metadata = ["ecc.receiver": "\(receiver)", "ecc.kind": "\(kind.rawValue)", "ecc.id": "\(id)"]
        switch result {
        case .delivered:
            count(.sent, receiver)
            logger.info("notification sent", metadata: meta)
            return AttemptOutcome(result)
        case .permanent(let d):
            count(.failed, receiver)
            logger.error(
                "notification failed permanently; not retried", metadata: meta.merging(["ecc.error": "\(d)"]) { $1 })
            return AttemptOutcome(result)
        case .temporary(let d):
            let delay = retry.delay(afterAttempts: attempt, jitter: Double.random(in: 0...1))
            let next = now.adding(nanoseconds: delay)
            let giveUp = kind == .test || next.nanoseconds - createdAt.nanoseconds > retry.giveUpAfter
            count(giveUp ? .failed : .retried, receiver)
            logger.warning(
                giveUp ? "notification failed; not retried any more" : "notification failed; will retry",
                metadata: meta.merging(
                    [
                        "ecc.error": "\(d)", "ecc.attempt": "\(attempt)",
                        "ecc.retry_in_ms": "\(giveUp ? 0 : delay / 1_000_000)",
                    ]) { $1 })
            return AttemptOutcome(result, retryAt: giveUp ? nil : next)
        }
    }

    /// Records how an attempt ended; a temporary failure is retried after the backoff (a test message is
    /// tried once). A record that fails is retried a few times: an unrecorded success would be sent again.
    private func finish(
        _ m: OutboxMessage, _ result: DeliveryResult, milliseconds: Int64, progress: [String], at now: EventTime
    ) {
        let outcome = outcome(
            of: result, attempt: m.attempts + 1, kind: m.kind, createdAt: m.createdAt, receiver: m.receiver, id: m.uid,
            at: now)
        for attempt in 1...5 {
            do {
                try outbox.record(m.rowID, outcome, durationMilliseconds: milliseconds, progress: progress, at: now)
                return
            } catch {
                logger.error(
                    attempt < 5
                        ? "notification attempt not recorded; retrying"
                        : "notification attempt not recorded; it may be sent again",
                    metadata: ["ecc.id": "\(m.uid)", "ecc.error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
    }
}
