import EccCore
import EccDaemon
import EccIncidents
import EccNotify
import EccStore
import Foundation
import Logging

/// The notification path (issue #6): what the outbox costs the store writer (alarm changes per second
/// with planning on and off, same changes), and how fast the dispatcher empties the outbox with a channel
/// that accepts at once (so the figure is eccd's own: SQLite, grouping, encoding, bookkeeping).
enum NotifyBench {
    final class NullChannel: Channel {
        let kind = "null"
        func deliver(_ message: OutgoingMessage) -> DeliveryResult { .delivered(detail: "250 ok") }
    }

    static let routes = [
        Route(name: "noc", match: Matcher([]), receivers: ["noc-email", "noc-sms"], continue: false, groupWait: 0)
    ]
    static let book = RouteBook(routes: routes, escalations: [])

    /// Raises then clears `alarms` alarms, each notifying route `noc`, straight into an AlarmStore in
    /// batches of 4096. Returns changes per second.
    static func store(alarms: Int, planning: Bool, dir: String) throws -> Double {
        let store = try AlarmStore(path: dir + "/ecc.db", queuesNotifications: planning)
        // What the engine attaches to each raise, decided before the clock starts (the engine's work).
        let rules = try RuleSet([], routes: routes)
        var batches: [ChangeBatch] = []
        var b = ChangeBatch()
        for clear in [false, true] {
            for id in 1...UInt64(alarms) {
                let a = StoreBench.alarm(id, count: 1, cleared: clear)
                b.append(
                    AlarmChange(
                        kind: clear ? .cleared : .raised, alarm: a, at: EventTime(nanoseconds: Int64(id)),
                        origin: clear ? nil : Event(standingInFor: a),
                        routes: clear ? [] : rules.routeDecisions(for: a, origin: nil)))
                if b.count == 4096 { batches.append(b.take()) }
            }
        }
        if !b.isEmpty { batches.append(b.take()) }
        let start = ContinuousClock.now
        for batch in batches { try store.apply(batch) }
        let s = (ContinuousClock.now - start).seconds
        return Double(alarms * 2) / s
    }

    /// Empties an outbox of `alarms` alarms raised on route `noc` (two receivers each): messages per second.
    static func dispatch(alarms: Int, dir: String) throws -> (Double, Int) {
        let store = try AlarmStore(path: dir + "/ecc.db", queuesNotifications: true)
        let rules = try RuleSet([], routes: routes)
        var b = ChangeBatch()
        for id in 1...UInt64(alarms) {
            let a = StoreBench.alarm(id, count: 1, cleared: false)
            b.append(
                AlarmChange(
                    kind: .raised, alarm: a, at: EventTime(nanoseconds: Int64(id)), origin: Event(standingInFor: a),
                    routes: rules.routeDecisions(for: a, origin: nil)))
        }
        try store.apply(b)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let outbox = try Outbox(path: dir + "/ecc.db")
        let d = Dispatcher(
            outbox: outbox,
            receivers: ["noc-email", "noc-sms"].map {
                ReceiverDefinition(
                    name: $0, channel: NullChannel(), location: SourceLocation(file: "bench", line: 1, column: 1))
            },
            routes: { book }, clock: WallClock(), logger: logger)
        let now = EventTime(nanoseconds: Int64(alarms) + 1)
        let start = ContinuousClock.now
        var rounds = 0
        while rounds < 100_000 {
            d.settle(at: now)
            rounds += 1
            if d.totals.filter({ $0.result == .sent }).reduce(0, { $0 + $1.count }) >= 2 * alarms { break }
        }
        let s = (ContinuousClock.now - start).seconds
        let sent = d.totals.filter { $0.result == .sent }.reduce(0) { $0 + $1.count }
        return (Double(sent) / s, sent)
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
