import EccCore
import EccIncidents
import Foundation
import Synchronization

/// The dispatcher's side of the notification outbox, on a connection of its own: due groups, repeats and
/// escalation steps become messages (one row per receiver) in one transaction each; messages are sent,
/// every attempt recorded, temporary failures rescheduled. The alarm writer fills it (in the transaction
/// of each alarm change, see ``AlarmStore``); the incident desk stops escalations.
public final class Outbox: Sendable {
    private let connection: Mutex<Connection>
    /// This database's id, the middle part of every message's stable id.
    public let storeID: String

    /// Opens a read-write connection to an existing store (the alarm writer creates and migrates it).
    public init(path: String) throws(StoreError) {
        let c = try Connection(path: path, create: false)
        try c.execute("PRAGMA foreign_keys=ON")
        storeID = try c.scalarText("SELECT value FROM store_meta WHERE name = 'store_id'") ?? "0"
        connection = Mutex(c)
    }

    /// The stable id of a row.
    public func uid(_ rowID: Int64, salt: String) -> String { "ecc-\(storeID)-\(rowID).\(salt)" }

    /// The row of a stable id of this store.
    public func rowID(_ uid: String) -> Int64? {
        let prefix = "ecc-\(storeID)-"
        guard uid.hasPrefix(prefix) else { return nil }
        return Int64(uid.dropFirst(prefix.count).prefix { $0 != "." })
    }

    private func with<R: Sendable>(_ body: (Connection) throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> R in try body(c) }
    }

    func tx<R: Sendable>(_ body: (Connection) throws(StoreError) -> R) throws(StoreError) -> R {
        try with { (c) throws(StoreError) -> R in try c.transaction { () throws(StoreError) -> R in try body(c) } }
    }

    // MARK: Groups

    /// What to do with a due group: the messages to add, how long until the group's next message, and
    /// when to repeat (nil: no repeat).
    public struct GroupPlan: Sendable {
        public var messages: [NewMessage]
        public var interval: Int64
        public var repeatAt: EventTime?

        public init(messages: [NewMessage], interval: Int64, repeatAt: EventTime?) {
            self.messages = messages
            self.interval = interval
            self.repeatAt = repeatAt
        }
    }

    /// What an escalation step that is due comes to.
    public enum EscalationStep: Sendable {
        /// The escalation ends without a message (its alarm cleared, its incident was acknowledged).
        case stop(String)
        /// These messages go out; `nextAt` nil ends the escalation (`reason` says why).
        case send([NewMessage], nextAt: EventTime?, reason: String)
    }

    private func dueIDs(_ sql: String, _ now: EventTime, _ limit: Int) throws(StoreError) -> [Int64] {
        try with { (c) throws(StoreError) -> [Int64] in
            let s = try c.cached(sql)
            defer { s.reset() }
            s.bind(1, now.nanoseconds)
            s.bind(2, Int64(limit))
            var ids: [Int64] = []
            while try s.step() { ids.append(s.int(0)) }
            return ids
        }
    }

    /// Each group whose next message is due (`flush_at` passed), oldest first: read and committed in one
    /// transaction with the messages `plan` makes of it, so an alarm change committed meanwhile is either
    /// in this message or still pending for the next. The alarms the messages carried are no longer
    /// pending, resolved ones leave the group, the repeat is set or cleared, an empty group is removed.
    /// Returns how many groups were flushed.
    @discardableResult
    public func flushDueGroups(at now: EventTime, limit: Int = 200, _ plan: (OutboxGroup) -> GroupPlan)
        throws(StoreError) -> Int
    {
        let ids = try dueIDs(
            "SELECT id FROM notify_groups WHERE flush_at <= ?1 ORDER BY flush_at LIMIT ?2", now, limit)
        var flushed = 0
        for id in ids {
            let done = try tx { (c) throws(StoreError) -> Bool in
                guard let g = try Self.load(c, group: id, due: "flush_at", now) else { return false }
                let p = plan(g)
                for m in p.messages { _ = try Self.insert(c, m, at: now) }
                let sent = try c.cached(
                    """
                    UPDATE notify_group_alarms SET pending = 0, notified = 1
                        WHERE group_id = ?1 AND alarm_id = ?2 AND state = 'firing'
                    """)
                for a in g.firing {
                    sent.bind(1, g.id)
                    sent.bind(2, Int64(bitPattern: a.id))
                    try sent.run()
                    sent.reset()
                }
                let gone = try c.cached(
                    "DELETE FROM notify_group_alarms WHERE group_id = ?1 AND alarm_id = ?2 AND state = 'resolved'")
                for a in g.resolved {
                    gone.bind(1, g.id)
                    gone.bind(2, Int64(bitPattern: a.id))
                    try gone.run()
                    gone.reset()
                }
                try Self.settle(c, group: g.id, interval: p.interval, repeatAt: p.repeatAt, at: now)
                return true
            }
            if done { flushed += 1 }
        }
        return flushed
    }

    /// Each group whose repeat is due: read and committed with its repeat messages and the next repeat in
    /// one transaction. A group with no firing alarm left gets no repeat.
    @discardableResult
    public func repeatDueGroups(
        at now: EventTime, limit: Int = 200, _ plan: (OutboxGroup) -> (messages: [NewMessage], next: EventTime?)
    ) throws(StoreError) -> Int {
        let ids = try dueIDs(
            "SELECT id FROM notify_groups WHERE repeat_at <= ?1 ORDER BY repeat_at LIMIT ?2", now, limit)
        var repeated = 0
        for id in ids {
            let done = try tx { (c) throws(StoreError) -> Bool in
                guard let g = try Self.load(c, group: id, due: "repeat_at", now) else { return false }
                let p: (messages: [NewMessage], next: EventTime?) = g.firing.isEmpty ? ([], nil) : plan(g)
                for m in p.messages { _ = try Self.insert(c, m, at: now) }
                let u = try c.cached("UPDATE notify_groups SET repeat_at = ?2 WHERE id = ?1")
                defer { u.reset() }
                u.bind(1, g.id)
                u.bind(2, p.next?.nanoseconds)
                try u.run()
                return !p.messages.isEmpty
            }
            if done { repeated += 1 }
        }
        return repeated
    }

    /// A group, if its `due` column (`flush_at` or `repeat_at`) has passed.
    private static func load(_ c: Connection, group id: Int64, due column: String, _ now: EventTime)
        throws(StoreError) -> OutboxGroup?
    {
        let s = try c.cached("SELECT route, labels FROM notify_groups WHERE id = ?1 AND \(column) <= ?2")
        s.bind(1, id)
        s.bind(2, now.nanoseconds)
        guard try s.step() else {
            s.reset()
            return nil
        }
        let (route, labels) = (s.text(0), s.text(1))
        s.reset()
        return try group(c, id: id, route: route, labels: labels)
    }

    private static func group(_ c: Connection, id: Int64, route: String, labels: String) throws(StoreError)
        -> OutboxGroup
    {
        let s = try c.cached(
            "SELECT alarm_id, state = 'firing', pending FROM notify_group_alarms WHERE group_id = ?1 ORDER BY alarm_id")
        s.bind(1, id)
        var members: [(alarm: UInt64, firing: Bool, pending: Bool)] = []
        while try s.step() { members.append((UInt64(bitPattern: s.int(0)), s.int(1) != 0, s.int(2) != 0)) }
        s.reset()
        var g = OutboxGroup(id: id, route: route, labels: parseLabels(labels), firing: [], changed: false, resolved: [])
        for (alarm, firing, pending) in members {
            guard let a = try Self.alarm(c, alarm) else {
                // Its alarm was pruned: it leaves the group (which then goes when empty).
                let d = try c.cached("DELETE FROM notify_group_alarms WHERE group_id = ?1 AND alarm_id = ?2")
                d.bind(1, id)
                d.bind(2, Int64(bitPattern: alarm))
                try d.run()
                d.reset()
                continue
            }
            if firing {
                g.firing.append(a)
                if pending { g.changed = true }
            } else if pending {
                g.resolved.append(a)
            }
        }
        return g
    }

    // After a flush: alarms that joined while it was prepared wait one interval; an empty group goes.
    private static func settle(_ c: Connection, group: Int64, interval: Int64, repeatAt: EventTime?, at now: EventTime)
        throws(StoreError)
    {
        let count = try c.cached(
            """
            SELECT count(*), coalesce(sum(pending), 0), coalesce(sum(state = 'firing'), 0)
                FROM notify_group_alarms WHERE group_id = ?1
            """)
        count.bind(1, group)
        _ = try count.step()
        let (members, pending, firing) = (count.int(0), count.int(1), count.int(2))
        count.reset()
        if members == 0 {
            let d = try c.cached("DELETE FROM notify_groups WHERE id = ?1")
            defer { d.reset() }
            d.bind(1, group)
            try d.run()
            return
        }
        let u = try c.cached("UPDATE notify_groups SET flush_at = ?2, last_flush = ?3, repeat_at = ?4 WHERE id = ?1")
        defer { u.reset() }
        u.bind(1, group)
        u.bind(2, pending > 0 ? now.nanoseconds &+ interval : nil)
        u.bind(3, now.nanoseconds)
        u.bind(4, firing > 0 ? repeatAt?.nanoseconds : nil)
        try u.run()
    }

    // MARK: Escalations

    /// Each escalation whose next step is due: read (with its alarm and the incident whose acknowledgement
    /// stops it) and committed with what `decide` makes of it in one transaction, so an acknowledgement
    /// committed first always wins: no step goes out after it. Returns how many steps were sent.
    @discardableResult
    public func escalateDue(at now: EventTime, limit: Int = 200, _ decide: (OutboxEscalation) -> EscalationStep)
        throws(StoreError) -> Int
    {
        let ids = try dueIDs("SELECT id FROM escalations WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2", now, limit)
        var sent = 0
        for id in ids {
            let done = try tx { (c) throws(StoreError) -> Bool in
                guard let e = try Self.escalation(c, id: id, now) else { return false }
                switch decide(e) {
                case .stop(let reason):
                    let u = try c.cached(
                        "UPDATE escalations SET next_at = NULL, stopped_at = ?2, stop_reason = ?3 WHERE id = ?1")
                    defer { u.reset() }
                    u.bind(1, id)
                    u.bind(2, now.nanoseconds)
                    u.bind(3, reason)
                    try u.run()
                    return false
                case .send(let messages, let nextAt, let reason):
                    for m in messages { _ = try Self.insert(c, m, at: now) }
                    let u = try c.cached(
                        """
                        UPDATE escalations SET step = step + 1, next_at = ?2,
                            stopped_at = CASE WHEN ?2 IS NULL THEN ?3 END,
                            stop_reason = CASE WHEN ?2 IS NULL THEN ?4 END WHERE id = ?1
                        """)
                    defer { u.reset() }
                    u.bind(1, id)
                    u.bind(2, nextAt?.nanoseconds)
                    u.bind(3, now.nanoseconds)
                    u.bind(4, reason)
                    try u.run()
                    return true
                }
            }
            if done { sent += 1 }
        }
        return sent
    }

    private static func escalation(_ c: Connection, id: Int64, _ now: EventTime) throws(StoreError) -> OutboxEscalation?
    {
        let s = try c.cached(
            """
            SELECT id, alarm_id, incident_id, policy, route, started_at, step FROM escalations
                WHERE id = ?1 AND next_at <= ?2
            """)
        s.bind(1, id)
        s.bind(2, now.nanoseconds)
        guard try s.step() else {
            s.reset()
            return nil
        }
        var e = OutboxEscalation(
            id: s.int(0), alarmID: UInt64(bitPattern: s.int(1)), incidentID: s.optionalInt(2), policy: s.text(3),
            route: s.text(4), startedAt: EventTime(nanoseconds: s.int(5)), step: Int(s.int(6)), alarm: nil,
            incidentState: nil)
        s.reset()
        e.alarm = try alarm(c, e.alarmID)
        if let inc = e.incidentID ?? e.alarm?.incident {
            let q = try c.cached("SELECT state, acknowledged_at FROM incidents WHERE id = ?1")
            q.bind(1, inc)
            if try q.step() {
                e.incidentState = q.value(0, unknown: IncidentState.new)
                e.incidentAcknowledgedAt = q.optionalInt(1).map { EventTime(nanoseconds: $0) }
            }
            q.reset()
            e.incidentID = inc
        }
        return e
    }

    // MARK: Messages

    /// Adds a message due now (tests, digests); returns its row id.
    @discardableResult
    public func enqueue(_ m: NewMessage, at now: EventTime) throws(StoreError) -> Int64 {
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

    private static let messageColumns =
        "id, receiver, kind, route, alarm_ids, content, state, created_at, next_attempt, attempts, last_error, "
        + "sent_at, digest_id, reason, salt, progress"

    private func message(_ s: Statement) -> OutboxMessage {
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
    public func dueMessages(at now: EventTime, receiver: String, excluding: Set<Int64>, limit: Int) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
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
    public func dueMessages(at now: EventTime, notFor known: Set<String>, limit: Int = 100) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
                "SELECT \(Self.messageColumns) FROM notifications WHERE state IN ('pending', 'retrying') "
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
    public func record(
        _ rowID: Int64, _ outcome: AttemptOutcome, durationMilliseconds: Int64, progress: [String] = [],
        at now: EventTime
    ) throws(StoreError) {
        try tx { (c) throws(StoreError) in
            try Self.insertAttempt(c, rowID, outcome, milliseconds: durationMilliseconds, at: now)
            let (_, detail, state, next) = outcome.recorded
            let u = try c.cached(
                """
                UPDATE notifications SET state = ?2, attempts = attempts + 1, next_attempt = ?3,
                    last_error = CASE WHEN ?2 = 'sent' THEN last_error ELSE ?4 END,
                    sent_at = CASE WHEN ?2 = 'sent' THEN ?5 END, progress = ?6 WHERE id = ?1
                """)
            defer { u.reset() }
            u.bind(1, rowID)
            u.bind(2, state)
            u.bind(3, next)
            u.bind(4, detail)
            u.bind(5, now.nanoseconds)
            u.bind(6, progress.joined(separator: "\u{1F}"))
            try u.run()
        }
    }

    /// Records a delivery report (Kannel's dlr-url) for a sent message; a report that the message was not
    /// delivered marks it failed (it is not sent again: parts may have reached the phone). Returns false
    /// when there is no such message.
    public func report(_ rowID: Int64, detail: String, failed: Bool, at now: EventTime) throws(StoreError) -> Bool {
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
    public func fail(_ rowID: Int64, reason: String, at now: EventTime) throws(StoreError) {
        try record(rowID, .permanent(reason), durationMilliseconds: 0, at: now)
    }

    /// Holds a message back: its receiver's rate limit is exhausted; a digest will list it.
    public func hold(_ rowID: Int64, at now: EventTime) throws(StoreError) {
        try with { (c) throws(StoreError) in
            let u = try c.cached(
                "UPDATE notifications SET state = 'held', next_attempt = NULL, reason = 'rate limit' WHERE id = ?1")
            defer { u.reset() }
            u.bind(1, rowID)
            try u.run()
        }
    }

    /// Receivers with held messages: how many, and when the oldest was made.
    public func heldReceivers() throws(StoreError) -> [(receiver: String, count: Int, oldest: EventTime)] {
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
    public func held(receiver: String) throws(StoreError) -> [OutboxMessage] {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            let s = try c.cached(
                "SELECT \(Self.messageColumns) FROM notifications WHERE state = 'held' AND receiver = ?1 ORDER BY id")
            s.bind(1, receiver)
            var out: [OutboxMessage] = []
            while try s.step() { out.append(message(s)) }
            s.reset()
            return out
        }
    }

    /// Adds a digest for held messages and marks them as listed in it; returns the digest's row id.
    @discardableResult
    public func digest(_ m: NewMessage, listing held: [OutboxMessage], at now: EventTime) throws(StoreError) -> Int64 {
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

    // MARK: Queries

    /// Messages in these states (all when empty), newest first.
    public func messages(states: [MessageState], receiver: String? = nil, limit: Int = 100) throws(StoreError)
        -> [OutboxMessage]
    {
        try with { (c) throws(StoreError) -> [OutboxMessage] in
            var sql = "SELECT \(Self.messageColumns) FROM notifications WHERE 1"
            if !states.isEmpty { sql += " AND state IN (\(states.map { _ in "?" }.joined(separator: ",")))" }
            if receiver != nil { sql += " AND receiver = ?\(states.count + 1)" }
            sql += " ORDER BY id DESC LIMIT \(max(1, min(limit, 10_000)))"
            let s = try c.prepare(sql)
            for (i, st) in states.enumerated() { s.bind(Int32(i + 1), st) }
            if let receiver { s.bind(Int32(states.count + 1), receiver) }
            var out: [OutboxMessage] = []
            while try s.step() { out.append(message(s)) }
            return out
        }
    }

    /// One message by row id.
    public func message(rowID: Int64) throws(StoreError) -> OutboxMessage? {
        try with { (c) throws(StoreError) -> OutboxMessage? in
            let s = try c.cached("SELECT \(Self.messageColumns) FROM notifications WHERE id = ?1")
            defer { s.reset() }
            s.bind(1, rowID)
            return try s.step() ? message(s) : nil
        }
    }

    /// The attempts of a message, oldest first.
    public func attempts(rowID: Int64) throws(StoreError) -> [OutboxAttempt] {
        try with { (c) throws(StoreError) -> [OutboxAttempt] in
            let s = try c.cached(
                "SELECT at, result, detail, duration_ms FROM notification_attempts WHERE notification_id = ?1 ORDER BY seq"
            )
            s.bind(1, rowID)
            var out: [OutboxAttempt] = []
            while try s.step() {
                out.append(
                    OutboxAttempt(
                        at: EventTime(nanoseconds: s.int(0)), result: s.value(1, unknown: AttemptResult.temporary),
                        detail: s.text(2),
                        durationMilliseconds: s.int(3)))
            }
            s.reset()
            return out
        }
    }

    /// Messages waiting (pending, retrying, held), by state, for metrics.
    public func countsByState() throws(StoreError) -> [String: Int] {
        try with { (c) throws(StoreError) -> [String: Int] in
            let s = try c.cached(
                "SELECT state, count(*) FROM notifications WHERE state IN ('pending', 'retrying', 'held') GROUP BY state"
            )
            var out: [String: Int] = [:]
            while try s.step() { out[s.text(0)] = Int(s.int(1)) }
            s.reset()
            return out
        }
    }

    // MARK: Alarms

    static func alarm(_ c: Connection, _ id: UInt64) throws(StoreError) -> AlarmInfo? {
        let s = try c.cached(
            """
            SELECT a.id, a.rule, a.key, a.state, a.severity, a.summary, a.host, a.source, a.type, a.first_seen,
                a.last_seen, a.count, a.cleared_at, i.id, i.priority
                FROM alarms a LEFT JOIN incident_alarms ia ON ia.alarm_id = a.id
                LEFT JOIN incidents i ON i.id = ia.incident_id WHERE a.id = ?1
            """)
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: id))
        guard try s.step() else { return nil }
        return AlarmInfo(
            id: UInt64(bitPattern: s.int(0)), rule: s.text(1), key: s.text(2),
            state: s.value(3, unknown: AlarmState.active), severity: s.text(4),
            summary: s.text(5), host: s.text(6), source: s.text(7), type: s.text(8),
            firstSeen: EventTime(nanoseconds: s.int(9)), lastSeen: EventTime(nanoseconds: s.int(10)),
            count: s.int(11), clearedAt: s.optionalInt(12).map { EventTime(nanoseconds: $0) },
            incident: s.optionalInt(13),
            priority: s.optionalInt(14).map { Int($0) })
    }

    static func parseLabels(_ json: String) -> [String: String] {
        guard let data = json.data(using: .utf8),
            let v = (try? JSONSerialization.jsonObject(with: data)) as? [String: String]
        else { return [:] }
        return v
    }
}
