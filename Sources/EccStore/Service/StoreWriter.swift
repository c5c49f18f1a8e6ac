import EccBus
import EccCore
import Foundation
import Logging
import Synchronization

/// The store's own writer thread: takes change batches off a small ring, coalesces whatever queued up
/// while the last transaction ran, and commits it as one transaction.
///
/// The ring is bounded, so a slow or failing disk pushes back on the engine (and from there on the event
/// bus) instead of growing memory. Transient errors (busy, full disk, I/O, read-only) are retried with
/// back-off and logged; a batch that fails for any other reason is retried change by change so one bad
/// change cannot wedge the daemon or take its neighbours down with it.
public final class StoreWriter: Sendable {
    /// Where the engine submits batches (one producer: the engine thread).
    public let input: Ring<ChangeBatch>
    private let store: Mutex<AlarmStore?>
    private let logger: Logger
    private let done = DispatchSemaphore(value: 0)
    private let committedChanges = Atomic<Int>(0)
    private let failedChanges = Atomic<Int>(0)
    private let transactions = Atomic<Int>(0)
    private let retrying = Atomic<Bool>(false)
    private let writeErrors = Atomic<Int>(0)
    // A database size limit in pages to apply on the writer thread (`PRAGMA max_page_count`).
    private let pendingPageLimit = Mutex<Int64?>(nil)
    /// Called on the writer thread when the database stops (false, with the error) or starts again (true)
    /// taking writes — for a self-alarm. Must not block.
    private let onHealth: @Sendable (Bool, String) -> Void

    /// Active alarms, the next free alarm id and the engine's snapshot, read when the store was opened.
    public let restored: (alarms: [Alarm], nextAlarmID: UInt64, snapshot: EngineSnapshot)
    // The newest engine snapshot not yet written; written after the changes submitted before it.
    private let pendingSnapshot = Mutex<EngineSnapshot?>(nil)

    /// Opens the store at `path` (creating and migrating it) and reads the state the engine restores.
    /// Group commit: at most one transaction per this interval (unless the input is half full), so a flood
    /// of repeats for many alarms becomes one row update per alarm per interval rather than per batch.
    public let commitInterval: Duration

    public init(
        path: String, synchronous: AlarmStore.Synchronous = .normal, commitInterval: Duration = .milliseconds(50),
        policy: IncidentPolicy = IncidentPolicy(), maxSizeBytes: Int64? = nil, logger: Logger,
        onHealth: @escaping @Sendable (Bool, String) -> Void = { _, _ in }
    ) throws(StoreError) {
        self.onHealth = onHealth
        if let maxSizeBytes { pendingPageLimit.withLock { $0 = max(1, maxSizeBytes / 4096) } }
        let s = try AlarmStore(path: path, synchronous: synchronous, policy: policy)
        restored = (try s.activeAlarms(), try s.maxAlarmID() + 1, try s.loadSnapshot())
        store = Mutex(s)
        input = Ring(minimumCapacity: 4096)
        self.commitInterval = commitInterval
        self.logger = logger
    }

    /// Changes committed so far.
    public var committed: Int { committedChanges.load(ordering: .relaxed) }
    /// Changes that could not be written and were dropped (each logged).
    public var failed: Int { failedChanges.load(ordering: .relaxed) }
    /// Transactions committed.
    public var transactionCount: Int { transactions.load(ordering: .relaxed) }
    /// True while the writer is retrying after a transient error (disk full, read-only, busy).
    public var isRetrying: Bool { retrying.load(ordering: .relaxed) }
    /// Failed write attempts so far (each retried).
    public var writeErrorCount: Int { writeErrors.load(ordering: .relaxed) }

    /// Caps the database at `pages` pages of 4 KiB (SQLite's `max_page_count`; never below its current
    /// size): past it, writes fail as on a full disk. Applied by the writer before its next write.
    public func limitDatabase(pages: Int64) {
        pendingPageLimit.withLock { $0 = pages }
    }

    /// Hands over an engine snapshot; it is written after every change submitted before it (a newer one
    /// replaces one not yet written).
    public func submit(_ snapshot: EngineSnapshot) {
        pendingSnapshot.withLock { $0 = snapshot }
        input.parker.wake()
    }

    /// Starts the writer thread.
    public func start() {
        let t = Thread { [self] in
            Thread.current.name = "ecc-store"  // names the OS thread (top -H, perf)
            guard
                let s = store.withLock({ (s: inout AlarmStore?) -> sending AlarmStore? in
                    let taken = s
                    s = nil
                    return taken
                })
            else { return }
            run(s)
            done.signal()
        }
        t.name = "ecc-store"
        t.start()
    }

    /// Waits (without blocking a concurrency thread) until the writer committed everything submitted
    /// before ``Ring/close()`` was called on ``input`` and closed the database.
    public func waitUntilFinished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                c.resume()
            }
        }
    }

    private func run(_ s: AlarmStore) {
        var pending = ChangeBatch()
        var lastCommit = ContinuousClock.now - commitInterval
        while true {
            let ready = input.waitForPublished(timeoutNanoseconds: 1_000_000_000)
            if !ready && input.isClosed && input.count == 0 { break }
            let since = ContinuousClock.now - lastCommit
            if since < commitInterval && !input.isClosed && input.count < input.capacity / 2 {
                let wait = commitInterval - since
                let (secs, attos) = wait.components
                sleepThread(nanoseconds: Int(secs) * 1_000_000_000 + Int(attos / 1_000_000_000))
            }
            lastCommit = ContinuousClock.now
            _ = input.drain(maximum: .max) { pending.append(contentsOf: $0) }
            if !pending.isEmpty { write(&pending, to: s) }
            writeSnapshot(to: s)
        }
        _ = input.drain(maximum: .max) { pending.append(contentsOf: $0) }
        if !pending.isEmpty { write(&pending, to: s) }
        writeSnapshot(to: s)
        do { try s.checkpoint() } catch {
            logger.warning("store checkpoint failed", metadata: ["ecc.error": "\(error)"])
        }
        logger.info(
            "store closed",
            metadata: ["ecc.committed": "\(committed)", "ecc.failed": "\(failed)", "ecc.path": "\(s.connection.path)"])
    }

    private func writeSnapshot(to s: AlarmStore) {
        guard
            let snapshot = pendingSnapshot.withLock({ (p: inout EngineSnapshot?) -> EngineSnapshot? in
                let taken = p
                p = nil
                return taken
            })
        else { return }
        do {
            try s.saveSnapshot(snapshot)
        } catch {
            logger.error("engine snapshot not saved", metadata: ["ecc.error": "\(error)"])
        }
    }

    private func write(_ pending: inout ChangeBatch, to s: AlarmStore) {
        var attempt = 0
        while true {
            if let pages = pendingPageLimit.withLock({ (p: inout Int64?) -> Int64? in
                defer { p = nil }
                return p
            }) {
                do { try s.connection.execute("PRAGMA max_page_count = \(pages)") } catch {
                    logger.error("database size limit not applied", metadata: ["ecc.error": "\(error)"])
                }
            }
            do {
                try s.apply(pending)
                transactions.add(1, ordering: .relaxed)
                committedChanges.add(pending.count, ordering: .relaxed)
                if attempt > 0 {
                    retrying.store(false, ordering: .relaxed)
                    logger.notice(
                        "store writable again; pending changes committed", metadata: ["ecc.changes": "\(pending.count)"]
                    )
                    onHealth(true, "")
                }
                pending.removeAll()
                return
            } catch  where error.isTransient {
                attempt += 1
                writeErrors.add(1, ordering: .relaxed)
                if attempt == 1 { onHealth(false, error.message) }
                if attempt == 1 || attempt % 60 == 0 {
                    retrying.store(true, ordering: .relaxed)
                    logger.error(
                        "store write failed; retrying, events keep queueing up to the bus capacity",
                        metadata: ["ecc.error": "\(error)", "ecc.attempt": "\(attempt)"])
                }
                sleepThread(nanoseconds: min(attempt, 10) * 100_000_000)
            } catch {
                logger.error("store batch failed; writing its changes one by one", metadata: ["ecc.error": "\(error)"])
                writeOneByOne(pending, to: s)
                pending.removeAll()
                return
            }
        }
    }

    private func writeOneByOne(_ batch: ChangeBatch, to s: AlarmStore) {
        for change in batch.changes {
            var single = ChangeBatch()
            single.append(change)
            do {
                try s.apply(single)
                committedChanges.add(1, ordering: .relaxed)
            } catch {
                failedChanges.add(1, ordering: .relaxed)
                logger.error(
                    "alarm change dropped: it cannot be stored",
                    metadata: [
                        "ecc.error": "\(error)", "ecc.alarm": "\(change.alarm.id)", "ecc.change": "\(change.kind)",
                    ])
            }
        }
    }
}
