import EccCore
import EccIncidents

/// The daemon's engine over recorded events on the events' own time, as fast as the CPU allows: a backtest
/// ("what would these rules have done last week?").
///
/// The engine is the daemon's (`Engine.handle(_:at:into:)`), with its clock taken from each event instead
/// of the wall: an event is handled at its own timestamp, so the watermark follows the recording and every
/// hold, absence, window and escalation timer fires at its event-time deadline (once the watermark is the
/// rules' `lateness` past it, as live). Events out of order within the lateness are placed where they
/// belong; older ones are counted as late, as in the daemon. At the end the clock moves to `to` (or to the
/// last event), so timers due by then fire and nothing due later does.
///
/// Changes are handed on in batches, as the live daemon's engine hands them to the store: a batch ends after
/// ``window`` of event time or ``batchSize`` events, and the repeats of one alarm within a batch are one
/// change. (Live, how many events a batch holds depends on how fast they arrive; 50 ms of event time stands
/// for that.) So a raise shows the count and summary it would have had live, not those of the repeats
/// that followed it in the next hours of the recording.
package struct Replay {
    /// What is replayed.
    package struct Options: Sendable {
        /// Events before this are skipped.
        package var from: EventTime?
        /// Events after this are skipped; at the end the clock moves here (timers due by then fire).
        package var to: EventTime?

        package init(from: EventTime? = nil, to: EventTime? = nil) {
            self.from = from
            self.to = to
        }
    }

    /// What a replay went through.
    package struct Summary: Sendable, Equatable {
        /// Events handled.
        package var events = 0
        /// Events outside `from`…`to`.
        package var skipped = 0
        /// Events older than the watermark less the rules' lateness (placed as well as possible).
        package var late = 0
        /// Changes made, by kind.
        package var changes: [AlarmChange.Kind: Int] = [:]
        /// The first and last event time handled.
        package var first: EventTime?
        package var last: EventTime?

        package init() {}
    }

    /// Most events per batch of changes: the engine runner's.
    package static let batchSize = EngineRunner.batchSize
    /// Most event time per batch of changes (50 ms).
    package static let window: Int64 = 50_000_000

    private var engine: Engine
    private let options: Options
    private var batch = ChangeBatch()
    private var inBatch = 0
    private var batchStart: EventTime?
    package private(set) var summary = Summary()

    package init(rules: RuleSet, options: Options = Options()) {
        engine = Engine(rules: rules)
        self.options = options
    }

    /// Handles one event on its own time; `emit` receives each batch of changes that ends before it. Returns
    /// true when a batch ended (two replays over the same events end theirs at the same events).
    @discardableResult
    package mutating func feed(_ event: Event, emit: (ChangeBatch) -> Void) -> Bool {
        if let from = options.from, event.time < from {
            summary.skipped += 1
            return false
        }
        if let to = options.to, event.time > to {
            summary.skipped += 1
            return false
        }
        var ended = false
        if let start = batchStart,
            event.time.nanoseconds &- start.nanoseconds >= Self.window || inBatch >= Self.batchSize
        {
            flush(emit)
            ended = true
        }
        if batchStart == nil { batchStart = event.time }
        // A recording's events arrive at their own time: a replay has no receive times (readers mark them).
        var e = event
        e.receivedAt = event.time
        engine.handle(e, at: event.time, into: &batch)
        summary.events += 1
        if summary.first == nil { summary.first = event.time }
        summary.last = max(summary.last ?? event.time, event.time)
        inBatch += 1
        return ended
    }

    /// Ends the replay: the clock moves to `to` (or the last event's time) plus the rules' lateness, so timers
    /// due by then fire; then the last changes are handed on.
    package mutating func finish(emit: (ChangeBatch) -> Void) {
        if let end = options.to ?? summary.last {
            engine.closeAllHistory(at: end, into: &batch)
            engine.tick(at: end.adding(nanoseconds: engine.rules.lateness), into: &batch)
        }
        flush(emit)
        summary.late = Int(truncatingIfNeeded: engine.lateEvents)
    }

    /// Alarms active at this point of the replay.
    package var activeAlarms: Int { engine.activeAlarmCount }

    private mutating func flush(_ emit: (ChangeBatch) -> Void) {
        inBatch = 0
        batchStart = nil
        guard !batch.isEmpty else { return }
        let out = batch.take()
        for c in out.changes { summary.changes[c.kind, default: 0] += 1 }
        emit(out)
    }
}
