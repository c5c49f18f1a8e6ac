import EccCore
import EccHTTP
import EccNotify
import EccStore
import Foundation

/// The `/v1/notify/...` endpoints over the outbox and dispatcher.
extension Dispatcher {
    var endpoints: NotifyEndpoints {
        NotifyEndpoints(
            queue: { [outbox] states, receiver, limit in
                let list = try outbox.messages(states: states, receiver: receiver, limit: limit)
                var w = JSONWriter(capacity: 256 * list.count + 2)
                w.beginArray()
                for m in list { Self.write(m, to: &w) }
                w.endArray()
                return w.bytes
            },
            test: { [self] receiver, wait in await test(receiver, wait: wait) },
            receivers: { [receivers] in
                var w = JSONWriter()
                w.beginArray()
                for r in receivers.values.sorted(by: { $0.name < $1.name }) {
                    w.beginObject()
                    w.field("name", r.name)
                    w.field("channel", r.channel.kind)
                    if let rate = r.rateLimit {
                        w.key("rate_per_minute")
                        w.value(rate.rate * 60)
                        w.field("burst", Int64(rate.burst))
                    }
                    w.endObject()
                }
                w.endArray()
                return w.bytes
            },
            report: { [self] id, status, to, answer, secret in
                await report(id, status: status, to: to, answer: answer, secret: secret)
            })
    }

    /// Kannel's delivery report types (dlr-mask bits).
    static func reportText(_ status: Int) -> (String, failed: Bool) {
        switch status {
        case 1: ("delivered to the phone", false)
        case 2: ("not delivered to the phone", true)
        case 4: ("queued on the SMSC", false)
        case 8: ("accepted by the SMSC", false)
        case 16: ("rejected by the SMSC", true)
        default: ("report type \(status)", false)
        }
    }

    func report(_ id: String, status: Int, to: String?, answer: String?, secret: String?) async
        -> DeliveryReportOutcome
    {
        guard let row = outbox.rowID(id) else { return .unknownMessage }
        let message = await Self.blocking { [outbox] in try? outbox.message(rowID: row) }
        guard let message else { return .unknownMessage }
        guard let expected = dlrSecret(of: message.receiver), let secret,
            Self.constantTimeEqual(Array(expected.utf8), Array(secret.utf8))
        else {
            logger.warning(
                "delivery report refused: missing or wrong secret",
                metadata: ["ecc.id": "\(id)", "ecc.receiver": "\(message.receiver)"])
            return .badSecret
        }
        let (text, failed) = Self.reportText(status)
        let detail =
            "delivery report \(status): \(text)" + (to.map { " (\($0))" } ?? "")
            + (answer.map { ": " + String($0.prefix(200)) } ?? "")
        let now = clock.now()
        let ok = await Self.blocking { [outbox] in
            (try? outbox.report(row, detail: detail, failed: failed, at: now)) ?? false
        }
        guard ok else { return .unknownMessage }
        if failed {
            logger.error("SMS not delivered", metadata: ["ecc.id": "\(id)", "ecc.report": "\(detail)"])
        } else {
            logger.info("SMS delivery report", metadata: ["ecc.id": "\(id)", "ecc.report": "\(detail)"])
        }
        return .recorded
    }

    /// The `dlr_secret` of a receiver that sends SMS through Kannel (nil: none, reports are refused).
    func dlrSecret(of receiver: String) -> String? {
        guard let sms = receivers[receiver]?.channel as? SMSChannel, case .kannel(let k) = sms.gateway else {
            return nil
        }
        return k.dlrSecret
    }

    /// Compares secrets without an early exit, so timing does not tell how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Queues a test message for `receiver` and waits up to `wait` for it to be sent or to fail; nil when
    /// there is no such receiver.
    func test(_ receiver: String, wait: Duration) async -> [UInt8]? {
        guard receivers[receiver] != nil else { return nil }
        let now = clock.now()
        let content = MessageContent(kind: .test, receiver: receiver, createdAt: now)
        let message = NewMessage(receiver: receiver, kind: .test, route: "", alarmIDs: [], content: encode(content))
        // SQLite calls may wait on the database lock: off the concurrency pool.
        let queued = await Self.blocking { [outbox] () -> Result<Int64, StoreError> in
            do throws(StoreError) { return .success(try outbox.enqueue(message, at: now)) } catch {
                return .failure(error)
            }
        }
        guard case .success(let row) = queued else {
            if case .failure(let e) = queued { return Self.errorJSON("store: \(e)") }
            return nil
        }
        poke()
        let deadline = ContinuousClock.now + wait
        var m = await Self.blocking { [outbox] in try? outbox.message(rowID: row) }
        // One attempt decides what a test says: sent, or failed (a test is not retried).
        while ContinuousClock.now < deadline, m?.attempts == 0, m?.state == .pending {
            try? await Task.sleep(for: .milliseconds(100))
            m = await Self.blocking { [outbox] in try? outbox.message(rowID: row) }
        }
        guard let m else { return Self.errorJSON("the test message is not in the outbox") }
        let attempts = await Self.blocking { [outbox] in (try? outbox.attempts(rowID: row)) ?? [] }
        var w = JSONWriter()
        Self.write(m, to: &w, attempts: attempts)
        return w.bytes
    }

    /// Runs `body` on a dispatch queue and waits for it without blocking a concurrency thread.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            DispatchQueue.global().async { c.resume(returning: body()) }
        }
    }

    static func errorJSON(_ message: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", message)
        w.endObject()
        return w.bytes
    }

    static func write(_ m: OutboxMessage, to w: inout JSONWriter, attempts: [OutboxAttempt]? = nil) {
        w.beginObject()
        w.field("id", m.uid)
        w.field("receiver", m.receiver)
        w.field("kind", m.kind.rawValue)
        w.field("route", m.route)
        w.field("state", m.state.rawValue)
        w.key("alarms")
        w.beginArray()
        for a in m.alarmIDs { w.value(Int64(bitPattern: a)) }
        w.endArray()
        w.field("created_at", RFC3339.format(m.createdAt))
        if let t = m.nextAttempt { w.field("next_attempt", RFC3339.format(t)) }
        w.field("attempts", Int64(m.attempts))
        if let e = m.lastError { w.field("last_error", e) }
        if let t = m.sentAt { w.field("sent_at", RFC3339.format(t)) }
        if let d = m.digestID { w.field("digest_row", d) }
        if let r = m.reason { w.field("reason", r) }
        if m.state == .skipped { w.field("alarm", m.content) }
        if let attempts {
            w.key("attempt_log")
            w.beginArray()
            for a in attempts {
                w.beginObject()
                w.field("at", RFC3339.format(a.at))
                w.field("result", a.result.rawValue)
                w.field("detail", a.detail)
                w.field("duration_ms", a.durationMilliseconds)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
}
