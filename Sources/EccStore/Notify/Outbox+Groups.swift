import EccCore
import EccIncidents
import Foundation
import Synchronization

/// Notification groups: which are due to flush or repeat, and what a flush or repeat writes.
extension Outbox {
    // MARK: Groups

    /// What to do with a due group: the messages to add, how long until the group's next message, and
    /// when to repeat (nil: no repeat).
    package struct GroupPlan: Sendable {
        package var messages: [NewMessage]
        package var interval: Int64
        package var repeatAt: EventTime?
        /// The route's `send_resolved`: with ``interval``, the timing the group keeps for the clears that
        /// follow (nil: the route is gone, the group keeps what it had).
        package var sendResolved: Bool?

        package init(messages: [NewMessage], interval: Int64, repeatAt: EventTime?, sendResolved: Bool?) {
            self.messages = messages
            self.interval = interval
            self.repeatAt = repeatAt
            self.sendResolved = sendResolved
        }
    }

    func dueIDs(_ sql: String, _ now: EventTime, _ limit: Int) throws(StoreError) -> [Int64] {
        try with { (c) throws(StoreError) -> [Int64] in
            let s = try c.cached(text: sql)
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
    package func flushDueGroups(at now: EventTime, limit: Int = 200, _ plan: (OutboxGroup) -> GroupPlan)
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
                try Self.settle(
                    c, group: g.id, interval: p.interval, repeatAt: p.repeatAt, sendResolved: p.sendResolved, at: now)
                return true
            }
            if done { flushed += 1 }
        }
        return flushed
    }

    /// Each group whose repeat is due: read and committed with its repeat messages and the next repeat in
    /// one transaction. A group with no firing alarm left gets no repeat.
    @discardableResult
    package func repeatDueGroups(
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
        let s = try c.cached(text: "SELECT route, labels FROM notify_groups WHERE id = ?1 AND \(column) <= ?2")
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
    /// After a flush: the group goes when it has no alarms left; otherwise its next flush (when alarms
    /// wait), repeat, and the timing of its route's latest decision (kept for the clears that follow;
    /// `sendResolved` nil: the route is gone, the group keeps what it had), in one statement.
    private static func settle(
        _ c: Connection, group: Int64, interval: Int64, repeatAt: EventTime?, sendResolved: Bool?, at now: EventTime
    ) throws(StoreError) {
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
        let u = try c.cached(
            """
            UPDATE notify_groups SET flush_at = ?2, last_flush = ?3, repeat_at = ?4,
                group_interval = CASE WHEN ?6 IS NULL THEN group_interval ELSE ?5 END,
                send_resolved = coalesce(?6, send_resolved) WHERE id = ?1
            """)
        defer { u.reset() }
        u.bind(1, group)
        u.bind(2, pending > 0 ? now.nanoseconds &+ interval : nil)
        u.bind(3, now.nanoseconds)
        u.bind(4, firing > 0 ? repeatAt?.nanoseconds : nil)
        u.bind(5, interval)
        u.bind(6, sendResolved.map { Int64($0 ? 1 : 0) })
        try u.run()
    }

    /// Every group of a route in `book` takes the route's interval and `send_resolved` (at the dispatcher's
    /// start: groups made before schema 8 had defaults, and the rules may have changed while eccd was down).
    package func updateGroupTiming(_ book: RouteBook) throws(StoreError) {
        try tx { (c) throws(StoreError) in
            let u = try c.cached(
                """
                UPDATE notify_groups SET group_interval = ?2, send_resolved = ?3
                    WHERE route = ?1 AND (group_interval != ?2 OR send_resolved != ?3)
                """)
            for route in book.routes.values {
                u.bind(1, route.name)
                u.bind(2, route.groupInterval)
                u.bind(3, Int64(route.sendResolved ? 1 : 0))
                try u.run()
                u.reset()
            }
        }
    }
}
