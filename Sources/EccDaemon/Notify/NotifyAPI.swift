import EccAPI
import EccCore
import EccHTTP
import EccIncidents
import EccNotify
import EccStore
import Foundation

/// The `/v1/notify/...` endpoints over the outbox and dispatcher.
extension Dispatcher {
    var endpoints: NotifyEndpoints {
        NotifyEndpoints(
            queue: { [outbox] states, receiver, limit in
                try outbox.messages(states: states, receiver: receiver, limit: limit).map { NotificationView($0) }
            },
            test: { [self] receiver, wait in try await test(receiver, wait: wait) },
            receivers: { [receivers] in
                receivers.values.sorted(by: { $0.name < $1.name }).map { r in
                    ReceiverView(
                        name: r.name, channel: r.channel.kind, ratePerMinute: r.rateLimit.map { $0.rate * 60 },
                        burst: r.rateLimit?.burst)
                }
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
    func test(_ receiver: String, wait: Duration) async throws(StoreError) -> NotificationView? {
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
        let row = try queued.get()
        poke()
        let deadline = ContinuousClock.now + wait
        var m = await Self.blocking { [outbox] in try? outbox.message(rowID: row) }
        // One attempt decides what a test says: sent, or failed (a test is not retried).
        while ContinuousClock.now < deadline, m?.attempts == 0, m?.state == .pending {
            try? await Task.sleep(for: .milliseconds(100))
            m = await Self.blocking { [outbox] in try? outbox.message(rowID: row) }
        }
        guard let m else {
            throw StoreError(code: -1, message: "the test message is not in the outbox", operation: "notify test")
        }
        let attempts = await Self.blocking { [outbox] in (try? outbox.attempts(rowID: row)) ?? [] }
        return NotificationView(m, attempts: attempts)
    }

    /// Runs `body` on a dispatch queue and waits for it without blocking a concurrency thread.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            DispatchQueue.global().async { c.resume(returning: body()) }
        }
    }
}
