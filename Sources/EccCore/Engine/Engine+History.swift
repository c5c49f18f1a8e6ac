/// What the engine does with history arriving late and with clocks far ahead (the `- engine: settings`
/// entry's `history_after`, `history_idle`, `max_future`).
///
/// History is a sender's events that arrive long after their time: an agent's spool flushed after an
/// outage, a collector's backlog, a device that buffered its log. On the engine's one clock they would all
/// be late, and every hold, absence and window they start would be overdue at once. Instead the sender
/// gets a clock of its own while it delivers history, driven by its own events, and the timers its events
/// set run on that clock. When the sender catches up (an event that arrives in time) or falls silent for
/// ``idle``, its clock joins the engine's again: timers due by then fire, each as of its own deadline, and
/// the rest move to the engine's timers.
package struct HistoryPolicy: Sendable, Equatable {
    /// An event that arrived more than this after its own time (or the lateness, if that is longer) is history.
    package var after: Int64 = 10_000_000_000
    /// A sender delivering history that sends nothing for this long (eccd's clock) has delivered it.
    package var idle: Int64 = 2_000_000_000
    /// An event timed more than this ahead of eccd's clock takes eccd's clock (counted).
    package var maxFuture: Int64 = 60_000_000_000
    /// Most senders on clocks of their own at once; the history of more is handled as late events.
    package var maxSenders = 1024

    package init() {}
}

/// A sender delivering history: its clock and the timers its events set.
struct HistoryLane: Sendable {
    /// The newest event time the sender delivered (its watermark).
    var clock: EventTime
    /// When its last event was handled (eccd's clock).
    var arrival: EventTime
    var timers = TimerHeap()
}

extension Engine {
    /// Senders now delivering history on clocks of their own.
    package var historySenders: Int { lanes.count }

    /// How long after its own time an event arrived (0 when it arrived before it, or when a time is a marker
    /// out of range: no wrapped subtraction may make an event look late).
    @inline(__always)
    static func arrivalDelay(_ e: Event) -> Int64 {
        let (d, overflow) = e.receivedAt.nanoseconds.subtractingReportingOverflow(e.time.nanoseconds)
        return overflow || d < 0 || !e.receivedAt.isInRange ? 0 : d
    }

    /// The sender an event belongs to, for history: its host, or its source when it names no host.
    @inline(__always)
    static func sender(of event: Event) -> String { event.host.isEmpty ? event.source : event.host }

    /// Takes the event's sender onto (or off) a clock of its own; true when the event is history and is to be
    /// handled on the sender's clock (``lane`` is set to the sender).
    ///
    /// History is decided by how late the event *arrived* (its receive time less its own time), not by how far
    /// it lies behind the watermark: an event eccd stamped itself, or one that waited in eccd's own queues
    /// during an overload, is never history (it is late, if anything, as before).
    mutating func enterHistory(_ event: Event, at now: EventTime, into batch: inout ChangeBatch) -> Bool {
        let arrivedLate = Self.arrivalDelay(event)
        let sender = Self.sender(of: event)
        guard lanes[sender] != nil else {
            guard arrivedLate > max(rules.lateness, rules.history.after) else { return false }
            guard lanes.count < rules.history.maxSenders else {
                historyRefused &+= 1
                return false
            }
            lanes[sender] = HistoryLane(clock: event.time, arrival: now)
            historyEvents &+= 1
            lane = sender
            return true
        }
        if arrivedLate <= rules.history.after {
            // Caught up: what its clock made due fires, the rest joins the engine's timers.
            closeHistory(sender, at: event.time, into: &batch)
            return false
        }
        lanes[sender]?.arrival = now
        historyEvents &+= 1
        if let clock = lanes[sender]?.clock {
            if event.time.nanoseconds < clock.nanoseconds &- rules.lateness { lateEvents &+= 1 }
            if event.time > clock {
                lanes[sender]?.clock = event.time
                fireHistory(sender, into: &batch)
            }
        }
        lane = sender
        return true
    }

    /// Fires the timers of `sender`'s clock that are due (its clock `lateness` past their deadline).
    mutating func fireHistory(_ sender: String, into batch: inout ChangeBatch) {
        guard let clock = lanes[sender]?.clock else { return }
        let horizon = clock.adding(nanoseconds: -rules.lateness)
        let outer = lane
        lane = sender
        defer { lane = outer }
        while let t = lanes[sender]?.timers.next, t.deadline <= horizon {
            _ = lanes[sender]?.timers.pop()
            fireOne(t, into: &batch)
        }
    }

    /// Ends `sender`'s own clock at `time`: timers due by then fire; the rest join the engine's timers.
    mutating func closeHistory(_ sender: String, at time: EventTime, into batch: inout ChangeBatch) {
        guard let clock = lanes[sender]?.clock else { return }
        if time > clock { lanes[sender]?.clock = time }
        fireHistory(sender, into: &batch)
        guard var rest = lanes.removeValue(forKey: sender)?.timers else { return }
        while let t = rest.pop() { timers.push(t) }
    }

    /// Ends the own clocks of senders that sent nothing for the policy's `idle`, at `now` (eccd's clock):
    /// their history is delivered, and time has passed for them as for every other sender. Call when the
    /// events waiting have been handled (a backlog still queued is not silence); `flowingSince` is when events
    /// last flowed freely (the engine waiting for the store holds senders back: that is not silence either).
    package mutating func closeIdleHistory(
        at now: EventTime, flowingSince: EventTime = .zero, into batch: inout ChangeBatch
    ) {
        guard !lanes.isEmpty else { return }
        let idle = lanes.filter {
            now.nanoseconds &- max($0.value.arrival, flowingSince).nanoseconds >= rules.history.idle
        }
        for sender in idle.keys.sorted() { closeHistory(sender, at: now, into: &batch) }
        if let next = timers.next, next.deadline <= firingHorizon { fireDue(into: &batch) }
    }

    /// Ends every sender's own clock at `time` (the end of a replay).
    package mutating func closeAllHistory(at time: EventTime, into batch: inout ChangeBatch) {
        for sender in lanes.keys.sorted() { closeHistory(sender, at: time, into: &batch) }
    }
}
