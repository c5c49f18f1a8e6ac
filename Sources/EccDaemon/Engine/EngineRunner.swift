import EccBus
import EccCore
import EccStore
import Foundation
import Logging
import Synchronization

/// Runs the engine on its own thread: drains the bus in batches, feeds the engine, and hands each batch
/// of alarm changes to the store writer and the live stream.
///
/// The engine is owned by this thread alone; rule reloads are handed over through a mutex-protected
/// mailbox and applied between batches, so a reload is atomic with respect to events.
public final class EngineRunner: Sendable {
    private let bus: Ring<Event>
    private let storeInput: Ring<ChangeBatch>
    private let alarms: Broadcast<AlarmChange>
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let initial: Mutex<(Engine, ChangeBatch)?>
    private let reloads = Mutex<[(RuleSet, CheckedContinuation<ReloadReport, Never>)]>([])
    private let reloadPending = Atomic<Bool>(false)
    private let processedCount = Atomic<Int>(0)
    private let activeCount = Atomic<Int>(0)
    private let lateCount = Atomic<Int>(0)
    private let ruleCount = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    /// Max events handled per batch before changes are handed on (bounds latency under load).
    static let batchSize = 4096

    /// Where engine snapshots go (the store writer), every ``snapshotInterval`` and at shutdown.
    private let saveSnapshot: @Sendable (EngineSnapshot) -> Void
    /// How often the not-yet-alarm state is snapshotted while running (processing time).
    static let snapshotInterval: Int64 = 60_000_000_000

    /// `startup` holds changes to hand on before the first event (alarms cleared at start).
    public init(
        engine: Engine, startup: ChangeBatch = ChangeBatch(), bus: Ring<Event>, storeInput: Ring<ChangeBatch>,
        alarms: Broadcast<AlarmChange>, clock: any EccCore.Clock, logger: Logger,
        saveSnapshot: @escaping @Sendable (EngineSnapshot) -> Void = { _ in }, current: RulesInForce? = nil
    ) {
        self.saveSnapshot = saveSnapshot
        self.bus = bus
        self.storeInput = storeInput
        self.alarms = alarms
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
    public var ruleSet: RuleSet { current.get() }

    /// Events the engine has processed.
    public var processed: Int { processedCount.load(ordering: .relaxed) }
    /// Events that arrived later than the allowed lateness (see ``Engine/lateEvents``).
    public var lateEvents: Int { lateCount.load(ordering: .relaxed) }
    /// Alarms active after the last batch.
    public var activeAlarms: Int { activeCount.load(ordering: .relaxed) }
    /// Rules in force.
    public var rules: Int { ruleCount.load(ordering: .relaxed) }

    /// Starts the engine thread.
    public func start() {
        let t = Thread { [self] in
            Thread.current.name = "ecc-engine"  // names the OS thread (top -H, perf)
            guard
                let (engine, startup) = initial.withLock({
                    (e: inout (Engine, ChangeBatch)?) -> (Engine, ChangeBatch)? in
                    let taken = e
                    e = nil
                    return taken
                })
            else { return }
            run(engine, startup: startup)
            done.signal()
        }
        t.name = "ecc-engine"
        t.start()
    }

    /// Swaps the rules between two batches; returns what happened per rule.
    public func replaceRules(_ rules: RuleSet) async -> ReloadReport {
        await withCheckedContinuation { c in
            reloads.withLock { $0.append((rules, c)) }
            reloadPending.store(true, ordering: .releasing)
            bus.parker.wake()
        }
    }

    /// Waits until the engine drained the closed bus and closed the store's input.
    public func waitUntilFinished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                c.resume()
            }
        }
    }

    private func run(_ start: Engine, startup: ChangeBatch) {
        var engine = start
        var batch = startup
        let toStore = Producer(ring: storeInput, policy: .wait, stats: ProducerStats(name: "engine"), batchSize: 1)
        var nextSnapshot = clock.now().adding(nanoseconds: Self.snapshotInterval)
        while true {
            if reloadPending.load(ordering: .acquiring) { applyReloads(&engine, into: &batch) }
            if !bus.hasPublished {
                if bus.isClosed && bus.count == 0 { break }
                // Sleep until something arrives or the next timer (hold, absence, auto-clear) is due.
                var timeout: Int64 = 1_000_000_000
                if let due = engine.nextDeadline {
                    timeout = min(timeout, max(1_000_000, due.nanoseconds - clock.now().nanoseconds))
                }
                _ = bus.waitForPublished(timeoutNanoseconds: timeout)
            }
            let now = clock.now()
            if let due = engine.nextDeadline, due <= now { engine.tick(at: now, into: &batch) }
            if now >= nextSnapshot {
                nextSnapshot = now.adding(nanoseconds: Self.snapshotInterval)
                saveSnapshot(engine.snapshot())
            }
            let n = bus.drain(maximum: Self.batchSize) { event in
                engine.handle(event, at: now, into: &batch)
            }
            if n > 0 {
                processedCount.add(n, ordering: .relaxed)
                lateCount.store(Int(truncatingIfNeeded: engine.lateEvents), ordering: .relaxed)
            }
            if !batch.isEmpty {
                alarms.publish(batch.changes)
                toStore.append(batch.take())
                toStore.flush()
                activeCount.store(engine.activeAlarmCount, ordering: .relaxed)
            }
        }
        if reloadPending.load(ordering: .acquiring) { applyReloads(&engine, into: &batch) }
        if !batch.isEmpty {
            toStore.append(batch)
            toStore.flush()
        }
        // The state that is not an alarm yet (held, counting, heartbeats) survives the restart.
        saveSnapshot(engine.snapshot())
        storeInput.close()
        logger.info(
            "engine drained the bus",
            metadata: ["ecc.processed": "\(processed)", "ecc.active": "\(engine.activeAlarmCount)"])
    }

    private func applyReloads(_ engine: inout Engine, into batch: inout ChangeBatch) {
        let pending = reloads.withLock { r in
            let p = r
            r.removeAll()
            return p
        }
        reloadPending.store(false, ordering: .relaxed)
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
public final class RulesInForce: Sendable {
    private let rules: Mutex<RuleSet>

    public init(_ rules: RuleSet) { self.rules = Mutex(rules) }

    public func get() -> RuleSet { rules.withLock { $0 } }

    func set(_ new: RuleSet) { rules.withLock { $0 = new } }
}
