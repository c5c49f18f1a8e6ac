import EccCore
import EccIncidents
import Foundation
import Synchronization

/// The dispatcher's side of the notification outbox, on a connection of its own: due groups, repeats and
/// escalation steps become messages (one row per receiver) in one transaction each; messages are sent,
/// every attempt recorded, temporary failures rescheduled. The alarm writer fills it (in the transaction
/// of each alarm change, see ``AlarmStore``); the incident desk stops escalations.
package final class Outbox: Sendable {
    private let connection: Mutex<Connection>
    /// This database's id, the middle part of every message's stable id.
    package let storeID: String

    /// Opens a read-write connection to an existing store (the alarm writer creates and migrates it).
    package init(path: String) throws(StoreError) {
        let c = try Connection(path: path, create: false)
        try c.execute("PRAGMA foreign_keys=ON")
        storeID = try c.scalarText("SELECT value FROM store_meta WHERE name = 'store_id'") ?? "0"
        connection = Mutex(c)
    }

    /// The stable id of a row.
    package func uid(_ rowID: Int64, salt: String) -> String { "ecc-\(storeID)-\(rowID).\(salt)" }

    /// The row of a stable id of this store.
    package func rowID(_ uid: String) -> Int64? {
        let prefix = "ecc-\(storeID)-"
        guard uid.hasPrefix(prefix) else { return nil }
        return Int64(uid.dropFirst(prefix.count).prefix { $0 != "." })
    }

    func with<R: Sendable>(_ body: (Connection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> R in try body(c) }
    }

    func tx<R: Sendable>(_ body: (Connection) throws(StoreError) -> R) throws(StoreError) -> R {
        try with { (c) throws(StoreError) -> R in try c.transaction { () throws(StoreError) -> R in try body(c) } }
    }

    // MARK: Messages

    /// Adds a message due now (tests, digests); returns its row id.
    @discardableResult
    package func enqueue(_ m: NewMessage, at now: EventTime) throws(StoreError) -> Int64 {
        try tx { (c) throws(StoreError) -> Int64 in try Self.insert(c, m, at: now) }
    }

    static func insert(_ c: Connection, _ m: NewMessage, at now: EventTime) throws(StoreError) -> Int64 {
        let s = try c.cached(
            """
            INSERT INTO notifications(receiver, kind, route, alarm_ids, content, state, created_at, next_attempt)
                VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)
            """)
        defer { s.reset() }
        s.bind(1, m.receiver)
        s.bind(2, m.kind)
        s.bind(3, m.route)
        s.bind(4, m.alarmIDs.map(String.init).joined(separator: ","))
        s.bind(5, m.content)
        s.bind(6, now.nanoseconds)
        try s.run()
        return c.lastInsertRowID
    }

    static let messageColumns =
        "id, receiver, kind, route, alarm_ids, content, state, created_at, next_attempt, attempts, last_error, "
        + "sent_at, digest_id, reason, salt, progress"

    func message(_ s: Statement) -> OutboxMessage {
        OutboxMessage(
            rowID: s.int(0), uid: uid(s.int(0), salt: s.text(14)), receiver: s.text(1),
            kind: s.value(2, unknown: NotificationKind.firing),
            route: s.text(3),
            alarmIDs: s.text(4).split(separator: ",").compactMap { UInt64($0) }, content: s.text(5),
            state: s.value(6, unknown: MessageState.failed),
            createdAt: EventTime(nanoseconds: s.int(7)),
            nextAttempt: s.optionalInt(8).map { EventTime(nanoseconds: $0) },
            attempts: Int(s.int(9)), lastError: s.optionalText(10),
            sentAt: s.optionalInt(11).map { EventTime(nanoseconds: $0) },
            digestID: s.optionalInt(12), reason: s.optionalText(13),
            progress: s.text(15).split(separator: "\u{1F}").map(String.init))
    }

    /// A receiver's messages due for an attempt, oldest first, leaving out those in `excluding` (being
    /// sent); at most `limit`.
    package func dueMessages(at now: EventTime, receiver: String, excluding: Set<Int64>, limit: Int) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
                text:
                    "SELECT \(Self.messageColumns) FROM notifications WHERE receiver = ?1 AND state IN ('pending', 'retrying') "
                    + "AND next_attempt <= ?2 ORDER BY next_attempt, id LIMIT ?3")
            defer { s.reset() }
            s.bind(1, receiver)
            s.bind(2, now.nanoseconds)
            s.bind(3, Int64(limit + excluding.count))
            var out: [OutboxMessage] = []
            while out.count < limit, try s.step() {
                let m = message(s)
                if !excluding.contains(m.rowID) { out.append(m) }
            }
            return out
        }
    }

    /// Messages due for receivers other than `known` (no longer configured), at most `limit`.
    package func dueMessages(at now: EventTime, notFor known: Set<String>, limit: Int = 100) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
                text: "SELECT \(Self.messageColumns) FROM notifications WHERE state IN ('pending', 'retrying') "
                    + "AND next_attempt <= ?1 ORDER BY next_attempt, id")
            defer { s.reset() }
            s.bind(1, now.nanoseconds)
            var out: [OutboxMessage] = []
            while out.count < limit, try s.step() {
                let m = message(s)
                if !known.contains(m.receiver) { out.append(m) }
            }
            return out
        }
    }

    /// Records an attempt and what follows from it: sent, rescheduled, or failed.
    package func record(
        _ rowID: Int64, _ outcome: AttemptOutcome, durationMilliseconds: Int64, progress: [String] = [],
        at now: EventTime
    ) throws(StoreError) {
        try tx { (c) throws(StoreError) in
            try Self.insertAttempt(c, rowID, outcome, milliseconds: durationMilliseconds, at: now)
            let u = try c.cached(
                """
                UPDATE notifications SET state = ?2, attempts = attempts + 1, next_attempt = ?3,
                    last_error = CASE WHEN ?2 = 'sent' THEN last_error ELSE ?4 END,
                    sent_at = CASE WHEN ?2 = 'sent' THEN ?5 END, progress = ?6 WHERE id = ?1
                """)
            defer { u.reset() }
            u.bind(1, rowID)
            u.bind(2, outcome.state)
            u.bind(3, outcome.retryAt?.nanoseconds)
            u.bind(4, outcome.delivery.detail)
            u.bind(5, now.nanoseconds)
            u.bind(6, progress.joined(separator: "\u{1F}"))
            try u.run()
        }
    }

    /// Records a delivery report (Kannel's dlr-url) for a sent message; a report that the message was not
    /// delivered marks it failed (it is not sent again: parts may have reached the phone). Returns false
    /// when there is no such message.
    package func report(_ rowID: Int64, detail: String, failed: Bool, at now: EventTime) throws(StoreError) -> Bool {
        try tx { (c) throws(StoreError) -> Bool in
            let q = try c.cached("SELECT 1 FROM notifications WHERE id = ?1")
            q.bind(1, rowID)
            let exists = try q.step()
            q.reset()
            guard exists else { return false }
            let a = try c.cached(
                "INSERT INTO notification_attempts(notification_id, at, result, detail, duration_ms) VALUES(?1, ?2, 'report', ?3, 0)"
            )
            a.bind(1, rowID)
            a.bind(2, now.nanoseconds)
            a.bind(3, detail)
            try a.run()
            a.reset()
            if failed {
                let u = try c.cached("UPDATE notifications SET state = 'failed', last_error = ?2 WHERE id = ?1")
                defer { u.reset() }
                u.bind(1, rowID)
                u.bind(2, detail)
                try u.run()
            }
            return true
        }
    }

    /// Marks a message as not sent because no receiver by its name is configured (or another reason the
    /// dispatcher cannot send it at all).
    package func fail(_ rowID: Int64, reason: String, at now: EventTime) throws(StoreError) {
        try record(rowID, AttemptOutcome(.permanent(reason)), durationMilliseconds: 0, at: now)
    }

    /// Holds a message back: its receiver's rate limit is exhausted; a digest will list it.
    package func hold(_ rowID: Int64, at now: EventTime) throws(StoreError) {
        try with { (c) throws(StoreError) in
            let u = try c.cached(
                "UPDATE notifications SET state = 'held', next_attempt = NULL, reason = 'rate limit' WHERE id = ?1")
            defer { u.reset() }
            u.bind(1, rowID)
            try u.run()
        }
    }

    /// Receivers with held messages: how many, and when the oldest was made.
    package func heldReceivers() throws(StoreError) -> [(receiver: String, count: Int, oldest: EventTime)] {
        try with { (c) throws(StoreError) -> [(receiver: String, count: Int, oldest: EventTime)] in
            let s = try c.cached(
                "SELECT receiver, count(*), min(created_at) FROM notifications WHERE state = 'held' GROUP BY receiver")
            var out: [(receiver: String, count: Int, oldest: EventTime)] = []
            while try s.step() { out.append((s.text(0), Int(s.int(1)), EventTime(nanoseconds: s.int(2)))) }
            s.reset()
            return out
        }
    }

    /// A receiver's held messages, oldest first.
    package func held(receiver: String) throws(StoreError) -> [OutboxMessage] {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
                text:
                    "SELECT \(Self.messageColumns) FROM notifications WHERE state = 'held' AND receiver = ?1 ORDER BY id"
            )
            s.bind(1, receiver)
            var out: [OutboxMessage] = []
            while try s.step() { out.append(message(s)) }
            s.reset()
            return out
        }
    }

    /// Adds a digest for held messages and marks them as listed in it; returns the digest's row id.
    @discardableResult
    package func digest(_ m: NewMessage, listing held: [OutboxMessage], at now: EventTime) throws(StoreError) -> Int64 {
        try tx { (c) throws(StoreError) -> Int64 in
            let id = try Self.insert(c, m, at: now)
            let u = try c.cached(
                "UPDATE notifications SET state = 'digested', digest_id = ?2 WHERE id = ?1 AND state = 'held'")
            for h in held {
                u.bind(1, h.rowID)
                u.bind(2, id)
                try u.run()
                u.reset()
            }
            return id
        }
    }

}
