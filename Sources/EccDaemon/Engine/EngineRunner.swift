import EccBus
import EccConfig
import EccCore
import EccIncidents
import EccStore
import Foundation
import Logging
import Synchronization

/// Runs the engine on its own thread: drains the bus in batches, feeds the engine, and hands each batch
/// of alarm changes to the store writer, which publishes them on the live stream once committed.
///
/// The engine never runs far ahead of the store: while more than ``StoreLag/maxChanges`` changes are
/// uncommitted, or the oldest has waited longer than ``StoreLag/maxAge``, it takes no events (the bus fills,
/// collectors that can wait are slowed, UDP drops are counted). eccd's own trouble (``submitUrgent(_:)``)
/// skips both the bus backlog and that wait, and its changes are shown at once.
///
/// The engine is owned by this thread alone; rule reloads are handed over through a mutex-protected
/// mailbox and applied between batches, so a reload is atomic with respect to events.
package final class EngineRunner: Sendable {
    private let bus: Ring<Event>
    private let store: StoreWriter
    private let alarms: Broadcast<AlarmChange>
    private let lag: StoreLag
    /// eccd's own events (self-alarms), taken before the bus and while the engine waits for the store;
    /// `closed` once the engine has stopped.
    private let urgent = Mutex<(events: [Event], closed: Bool)>(([], false))
    private let urgentPending = Atomic<Bool>(false)
    private let waitingForStore = Atomic<Bool>(false)
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let initial: Mutex<(Engine, ChangeBatch)?>
    private let reloads = Mutex<[(RuleSet, CheckedContinuation<ReloadReport, Never>)]>([])
    private let reloadPending = Atomic<Bool>(false)
    private let processedCount = Atomic<Int>(0)
    private let activeCount = Atomic<Int>(0)
    private let lateCount = Atomic<Int>(0)
    private let historyCount = Atomic<Int>(0)
    private let historyRefusedCount = Atomic<Int>(0)
    private let futureCount = Atomic<Int>(0)
    private let historySenderCount = Atomic<Int>(0)
    private let ruleCount = Atomic<Int>(0)
    private let thread = Mutex<DedicatedThread?>(nil)

    /// How often senders delivering history are looked at for silence (``HistoryPolicy/idle``).
    static let historyCheckInterval: Int64 = 100_000_000

    /// Max events handled per batch before changes are handed on (bounds latency under load).
    static let batchSize = 4096

    /// Where engine snapshots go (the store writer), every ``snapshotInterval`` and at shutdown.
    private let saveSnapshot: @Sendable (EngineSnapshot) -> Void
    /// Receives eccd's own alarm changes as they are shown, before the store has them (the dispatcher
    /// notifies them at once).
    private let shownAtOnce: @Sendable ([AlarmChange]) -> Void
    /// How often the not-yet-alarm state is snapshotted while running (processing time).
    static let snapshotInterval: Int64 = 60_000_000_000

    /// `startup` holds changes to hand on before the first event (alarms cleared at start).
    package init(
        engine: Engine, startup: ChangeBatch = ChangeBatch(), bus: Ring<Event>, store: StoreWriter,
        alarms: Broadcast<AlarmChange>, lag: StoreLag = StoreLag(), clock: any EccCore.Clock, logger: Logger,
        saveSnapshot: @escaping @Sendable (EngineSnapshot) -> Void = { _ in }, current: RulesInForce? = nil,
        shownAtOnce: @escaping @Sendable ([AlarmChange]) -> Void = { _ in }
    ) {
        self.saveSnapshot = saveSnapshot
        self.shownAtOnce = shownAtOnce
        self.bus = bus
        self.store = store
        self.alarms = alarms
        self.lag = lag
        self.clock = clock
        self.logger = logger
        // The rules at start (a reload logs its own).
        for w in engine.rules.mergeWarnings {
            logger.warning(
                "incident store's CMDB or change windows left out of the rules", metadata: ["ecc.reason": "\(w)"])
        }
        activeCount.store(engine.activeAlarmCount, ordering: .relaxed)
        ruleCount.store(engine.rules.rules.count, ordering: .relaxed)
        self.current = current ?? RulesInForce(engine.rules)
        self.current.set(engine.rules)
        initial = Mutex((engine, startup))
    }

    // The rules in force, for explanations (`eccctl alarms why`).
    private let current: RulesInForce

    /// The rules in force.
    package var ruleSet: RuleSet { current.get() }

    /// Events the engine has processed.
    package var processed: Int { processedCount.load(ordering: .relaxed) }
    /// Events that arrived later than the allowed lateness (see ``Engine/lateEvents``).
    package var lateEvents: Int { lateCount.load(ordering: .relaxed) }
    /// Events handled on their sender's own clock as history (see ``HistoryPolicy``).
    package var historyEvents: Int { historyCount.load(ordering: .relaxed) }
    /// History handled as late events because too many senders were delivering history at once.
    package var historyRefused: Int { historyRefusedCount.load(ordering: .relaxed) }
    /// Events timed too far ahead of eccd's clock, given eccd's clock.
    package var futureEvents: Int { futureCount.load(ordering: .relaxed) }
    /// Senders now delivering history on clocks of their own.
    package var historySenders: Int { historySenderCount.load(ordering: .relaxed) }
    /// Alarms active after the last batch.
    package var activeAlarms: Int { activeCount.load(ordering: .relaxed) }
    /// Rules in force.
    package var rules: Int { ruleCount.load(ordering: .relaxed) }
    /// True while the engine takes no events because the store is behind (``StoreLag``).
    package var isWaitingForStore: Bool { waitingForStore.load(ordering: .relaxed) }

    /// Most self-alarm events waiting at once; more are dropped (they repeat while the trouble lasts).
    static let maxUrgent = 64

    /// Hands one of eccd's own events to the engine ahead of the bus; false when too many are waiting.
    @discardableResult
    package func submitUrgent(_ event: Event) -> Bool {
        let taken = urgent.withLock { q in
            guard !q.closed, q.events.count < Self.maxUrgent else { return false }
            q.events.append(event)
            return true
        }
        if taken {
            urgentPending.store(true, ordering: .releasing)
            bus.parker.wake()
        }
        return taken
    }

    /// Starts the engine thread.
    package func start() {
        precondition(thread.withLock { $0 == nil }, "the engine runner is started once")
        let t = DedicatedThread(name: "ecc-engine") { [self] in
            guard
                let (engine, startup) = initial.withLock({
                    (e: inout (Engine, ChangeBatch)?) -> (Engine, ChangeBatch)? in
                    let taken = e
                    e = nil
                    return taken
                })
            else { return }
            run(engine, startup: startup)
        }
        thread.withLock { $0 = t }
    }

    /// Swaps the rules between two batches; returns what happened per rule.
    package func replaceRules(_ rules: RuleSet) async -> ReloadReport {
        await withCheckedContinuation { c in
            reloads.withLock { $0.append((rules, c)) }
            reloadPending.store(true, ordering: .releasing)
            bus.parker.wake()
        }
    }

    /// Waits until the engine drained the closed bus and closed the store's input.
    package func waitUntilFinished() async {
        await thread.withLock { $0 }?.join()
    }

    private func run(_ start: Engine, startup: ChangeBatch) {
        var engine = start
        var batch = startup
        let toStore = store.makeSubmitter()
        // The engine learns the time: restored timers now due fire, and calendar rules are set.
        engine.tick(at: clock.now(), into: &batch)
        var nextSnapshot = clock.now().adding(nanoseconds: Self.snapshotInterval)
        var nextHistoryCheck = EventTime.zero
        // When events last started to flow freely (after a wait for the store).
        var flowingSince = EventTime.zero
        // The bus's consumed count last handed to the store with a batch.
        var sentDrained = 0
        while true {
            if reloadPending.load(ordering: .acquiring) { applyReloads(&engine, into: &batch) }
            if urgentPending.load(ordering: .acquiring) { handleUrgent(&engine, into: &batch, toStore) }
            // Behind the store: take no events (nor timers) until it catches up, but keep serving urgent ones.
            let room = lag.maxChanges - store.uncommitted
            if room <= 0 || store.uncommittedAge > lag.maxAge || toStore.isFull {
                waitingForStore.store(true, ordering: .relaxed)
                flowingSince = .latest
                if bus.isClosed && bus.count == 0 && store.uncommitted == 0 { break }
                sleepThread(nanoseconds: 1_000_000)
                continue
            }
            waitingForStore.store(false, ordering: .relaxed)
            if flowingSince == .latest { flowingSince = clock.now() }
            if !bus.hasPublished {
                if bus.isClosed && bus.count == 0 { break }
                // Sleep until something arrives or the next timer (hold, absence, auto-clear) is due.
                var timeout: Int64 = 1_000_000_000
                if let due = engine.nextDeadline {
                    timeout = min(timeout, max(1_000_000, due.nanoseconds - clock.now().nanoseconds))
                }
                // Senders delivering history are looked at for silence every 100 ms.
                if engine.historySenders > 0 { timeout = min(timeout, Self.historyCheckInterval) }
                _ = bus.waitForPublished(timeoutNanoseconds: timeout)
            }
            let now = clock.now()
            if let due = engine.nextDeadline, due <= now { engine.tick(at: now, into: &batch) }
            if now >= nextSnapshot {
                nextSnapshot = now.adding(nanoseconds: Self.snapshotInterval)
                saveSnapshot(engine.snapshot())
            }
            // No more events than the room left (an event makes a change or two), so the bound holds closely.
            let n = bus.drain(maximum: min(Self.batchSize, max(1, room))) { event in
                engine.handle(event, at: now, into: &batch)
            }
            // A sender's history is delivered once it fell silent with nothing of it left waiting on the bus.
            if engine.historySenders > 0, !bus.hasPublished, now >= nextHistoryCheck {
                nextHistoryCheck = now.adding(nanoseconds: Self.historyCheckInterval)
                engine.closeIdleHistory(at: now, flowingSince: flowingSince, into: &batch)
                historySenderCount.store(engine.historySenders, ordering: .relaxed)
            }
            if n > 0 {
                processedCount.add(n, ordering: .relaxed)
                lateCount.store(Int(truncatingIfNeeded: engine.lateEvents), ordering: .relaxed)
                historyCount.store(Int(truncatingIfNeeded: engine.historyEvents), ordering: .relaxed)
                historyRefusedCount.store(Int(truncatingIfNeeded: engine.historyRefused), ordering: .relaxed)
                futureCount.store(Int(truncatingIfNeeded: engine.futureEvents), ordering: .relaxed)
                historySenderCount.store(engine.historySenders, ordering: .relaxed)
            }
            if !batch.isEmpty {
                // With the bus's consumed count: read positions up to it commit with these changes.
                sentDrained = bus.consumedCount
                toStore.submit(batch.take(), drained: sentDrained)
                activeCount.store(engine.activeAlarmCount, ordering: .relaxed)
            } else if store.positions.hasWaiting && bus.consumedCount > sentDrained {
                // Lines that changed nothing (or were recorded after their events were drained) still move
                // their files' read positions: checked every pass, idle ones included.
                sentDrained = bus.consumedCount
                toStore.submit(ChangeBatch(), drained: sentDrained)
            }
        }
        if reloadPending.load(ordering: .acquiring) { applyReloads(&engine, into: &batch) }
        urgent.withLock { $0.closed = true }
        handleUrgent(&engine, into: &batch, toStore)
        toStore.submit(batch, drained: bus.consumedCount)
        // The state that is not an alarm yet (held, counting, heartbeats) survives the restart.
        saveSnapshot(engine.snapshot())
        toStore.close()
        logger.info(
            "engine drained the bus",
            metadata: ["ecc.processed": "\(processed)", "ecc.active": "\(engine.activeAlarmCount)"])
    }

    /// eccd's own events: handled at once, their changes shown on the stream now (they are about the store
    /// or the bus being in trouble, so they cannot wait for a commit) and stored when the store can.
    private func handleUrgent(
        _ engine: inout Engine, into batch: inout ChangeBatch, _ toStore: borrowing StoreWriter.Submitter
    ) {
        // Cleared before the queue is taken: an event submitted meanwhile sets it again (never lost).
        urgentPending.store(false, ordering: .sequentiallyConsistent)
        let events = urgent.withLock { q in
            let taken = q.events
            q.events.removeAll()
            return taken
        }
        guard !events.isEmpty else { return }
        // Whatever the engine had made before goes first, unshown, as usual.
        toStore.submit(batch.take())
        let now = clock.now()
        for e in events { engine.handle(e, at: now, into: &batch) }
        processedCount.add(events.count, ordering: .relaxed)
        guard !batch.isEmpty else { return }
        // Only eccd's own alarms are shown at once; what else its events touched (an alarm they released
        // or suppressed) waits for the commit like everything else.
        var mine = ChangeBatch()
        var others = ChangeBatch()
        for c in batch.take().changes {
            if c.alarm.source == Event.eccdSource { mine.append(c) } else { others.append(c) }
        }
        toStore.submit(others)
        if !mine.isEmpty {
            alarms.publish(mine.changes)
            shownAtOnce(mine.changes)
            toStore.submit(mine, shown: true)
        }
        activeCount.store(engine.activeAlarmCount, ordering: .relaxed)
    }

    private func applyReloads(_ engine: inout Engine, into batch: inout ChangeBatch) {
        // Cleared before the mailbox is taken: a reload handed over meanwhile sets it again (never stranded).
        reloadPending.store(false, ordering: .sequentiallyConsistent)
        let pending = reloads.withLock { r in
            let p = r
            r.removeAll()
            return p
        }
        for (rules, continuation) in pending {
            let report = engine.replaceRules(rules, at: clock.now(), into: &batch)
            ruleCount.store(rules.rules.count, ordering: .relaxed)
            current.set(rules)
            activeCount.store(engine.activeAlarmCount, ordering: .relaxed)
            continuation.resume(returning: report)
        }
    }
}

/// The rules in force, shared by whoever needs to read them off the engine thread (explanations, the
/// store's incident policy); the engine runner replaces them on every applied reload.
package final class RulesInForce: Sendable {
    private let rules: Mutex<RuleSet>

    package init(_ rules: RuleSet) { self.rules = Mutex(rules) }

    package func get() -> RuleSet { rules.withLock { $0 } }

    func set(_ new: RuleSet) { rules.withLock { $0 = new } }
}
