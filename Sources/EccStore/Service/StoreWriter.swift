import EccBus
import EccCore
import EccIncidents
import Foundation
import Logging
import Synchronization

/// The store's own writer thread: takes change batches off a small ring, coalesces whatever queued up
/// while the last transaction ran, and commits it as one transaction.
///
/// What is shown is what is kept: committed changes go to ``onCommitted`` (the live stream) after their
/// transaction, never before, so `kill -9` cannot take back a change an operator saw. The changes handed
/// over and not yet committed are counted (``uncommitted``, ``uncommittedAge``) so the engine can stop
/// taking events while the store is behind. The ring is bounded, so a slow or failing disk pushes back on
/// the engine (and from there on the event bus) instead of growing memory. Transient errors (busy, full disk, I/O, read-only) are retried with
/// back-off and logged; a batch that fails for any other reason is retried change by change so one bad
/// change cannot wedge the daemon or take its neighbours down with it.
package final class StoreWriter: Sendable {
    /// One batch handed to the writer; `shown`: already on the live stream (eccd's self-alarms, which
    /// cannot wait for a store that is in trouble), so not published again once committed.
    package struct Submission: Sendable {
        package var changes: ChangeBatch
        package var shown: Bool
        /// The bus's consumed count once the engine had made these changes: every event before it is in
        /// this batch or an earlier one (nil: not said). Read positions reached by then commit with it.
        package var drained: Int?
    }

    /// Where batches arrive; use ``makeSubmitter()`` (one producer: the engine thread).
    let input: Ring<Submission>
    /// Changes handed over and not yet committed or dropped, and since when some have been waiting.
    private let lag = Mutex<(changes: Int, since: ContinuousClock.Instant?)>((0, nil))
    /// Receives the changes of each committed transaction (not those `shown` before), on the writer thread.
    private let onCommitted: @Sendable ([AlarmChange]) -> Void
    private let store: Mutex<AlarmStore?>
    private let logger: Logger
    private let thread = Mutex<DedicatedThread?>(nil)
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
    /// Called on the writer thread with how long each committed transaction took (a metric).
    private let onTransaction: @Sendable (Duration) -> Void

    /// Active alarms, the next free alarm id and the engine's snapshot, read when the store was opened.
    package let restored: (alarms: [Alarm], nextAlarmID: UInt64, snapshot: EngineSnapshot)
    // The newest engine snapshot not yet written; written after the changes submitted before it.
    private let pendingSnapshot = Mutex<EngineSnapshot?>(nil)
    /// Followed files' read positions waiting for the engine to drain their lines' events; committed with
    /// the changes those events made (``Submission/drained``).
    package let positions = PositionBook()
    /// The read positions stored when the store was opened, by path.
    package let restoredPositions: [String: ReadPosition]

    /// Opens the store at `path` (creating and migrating it) and reads the state the engine restores.
    package init(
        path: String, synchronous: AlarmStore.Synchronous = .normal,
        policy: IncidentPolicy = IncidentPolicy(), queuesNotifications: Bool = false, maxSizeBytes: Int64? = nil,
        logger: Logger,
        onHealth: @escaping @Sendable (Bool, String) -> Void = { _, _ in },
        onTransaction: @escaping @Sendable (Duration) -> Void = { _ in },
        onCommitted: @escaping @Sendable ([AlarmChange]) -> Void = { _ in }
    ) throws(StoreError) {
        self.onHealth = onHealth
        self.onTransaction = onTransaction
        self.onCommitted = onCommitted
        if let maxSizeBytes { pendingPageLimit.withLock { $0 = max(1, maxSizeBytes / 4096) } }
        let s = try AlarmStore(
            path: path, synchronous: synchronous, policy: policy, queuesNotifications: queuesNotifications)
        restored = (try s.activeAlarms(), try s.maxAlarmID() + 1, try s.loadSnapshot())
        restoredPositions = try s.readPositions()
        store = Mutex(s)
        input = Ring(minimumCapacity: 4096)
        self.logger = logger
    }

    /// Changes committed so far.
    package var committed: Int { committedChanges.load(ordering: .relaxed) }
    /// Changes handed to the writer and not yet committed (or dropped as unstorable).
    package var uncommitted: Int { lag.withLock { $0.changes } }
    /// How long the oldest uncommitted change has waited (about: measured from the first change handed over
    /// after the last commit that left none), zero when there are none.
    package var uncommittedAge: Duration { lag.withLock { l in l.since.map { ContinuousClock.now - $0 } ?? .zero } }

    /// Hands batches to the writer from one thread, waiting while its ring is full.
    ///
    /// Ordinary batches leave the ring's headroom free (``Ring/headroom``); batches already shown (eccd's
    /// self-alarms) may use it, so they never wait behind a store that is stuck retrying.
    package struct Submitter: ~Copyable {
        fileprivate let writer: StoreWriter

        /// Hands over `changes` (blocking while the ring is full); `shown`: already on the live stream;
        /// `drained`: the bus's consumed count once they were made (``Submission/drained``). A batch without
        /// changes is handed over only to carry `drained` (lines that changed nothing still move their files'
        /// read positions).
        package func submit(_ changes: ChangeBatch, shown: Bool = false, drained: Int? = nil) {
            guard !changes.isEmpty || drained != nil else { return }
            let ring = writer.input
            if !changes.isEmpty {
                writer.lag.withLock { l in
                    if l.changes == 0 { l.since = ContinuousClock.now }
                    l.changes += changes.count
                }
            }
            let item = UnsafeMutablePointer<Submission>.allocate(capacity: 1)
            defer { item.deallocate() }
            item.initialize(to: Submission(changes: changes, shown: shown, drained: drained))
            var attempt = 0
            while ring.publish(movingFrom: item, count: 1, keepFree: shown ? 0 : ring.headroom) == 0 {
                if ring.isClosed {
                    item.deinitialize(count: 1)
                    writer.settled(changes.count)
                    return
                }
                attempt += 1
                if attempt < 64 { yieldThread() } else { sleepThread(nanoseconds: 50_000) }
            }
        }

        /// Whether an ordinary ``submit(_:shown:)`` could block now (the ring is at its headroom).
        package var isFull: Bool { writer.input.count >= writer.input.capacity - writer.input.headroom - 1 }

        /// No more batches: the writer commits what it has, then stops.
        package consuming func close() { writer.input.close() }
    }

    /// The submitter for the one thread that hands batches over.
    package func makeSubmitter() -> Submitter {
        Submitter(writer: self)
    }

    /// `n` changes left the uncommitted count (committed or dropped).
    fileprivate func settled(_ n: Int) {
        lag.withLock { l in
            l.changes = Swift.max(0, l.changes - n)
            l.since = l.changes == 0 ? nil : ContinuousClock.now
        }
    }
    /// Changes that could not be written and were dropped (each logged).
    package var failed: Int { failedChanges.load(ordering: .relaxed) }
    /// Transactions committed.
    package var transactionCount: Int { transactions.load(ordering: .relaxed) }
    /// True while the writer is retrying after a transient error (disk full, read-only, busy).
    package var isRetrying: Bool { retrying.load(ordering: .relaxed) }
    /// Failed write attempts so far (each retried).
    package var writeErrorCount: Int { writeErrors.load(ordering: .relaxed) }

    /// Caps the database at `pages` pages of 4 KiB (SQLite's `max_page_count`; never below its current
    /// size): past it, writes fail as on a full disk. Applied by the writer before its next write.
    package func limitDatabase(pages: Int64) {
        pendingPageLimit.withLock { $0 = pages }
    }

    /// Hands over an engine snapshot; it is written after every change submitted before it (a newer one
    /// replaces one not yet written).
    package func submit(_ snapshot: EngineSnapshot) {
        pendingSnapshot.withLock { $0 = snapshot }
        input.parker.wake()
    }

    /// Starts the writer thread, and the checkpointer beside it.
    package func start() {
        let stopped = Atomic<Bool>(false)
        precondition(thread.withLock { $0 == nil }, "the store writer is started once")
        let t = DedicatedThread(name: "ecc-store") { [self] in
            guard
                let s = store.withLock({ (s: inout AlarmStore?) -> sending AlarmStore? in
                    let taken = s
                    s = nil
                    return taken
                })
            else { return }
            let path = s.connection.path
            let checkpointer = DedicatedThread(name: "ecc-checkpoint") { [self] in
                checkpoints(path: path, until: stopped)
            }
            // The checkpointer is stopped (its connection closed) before the final checkpoint, which a
            // checkpoint in progress on another connection would make fail, and before the database is given
            // up (another eccd may open it once this one is done).
            run(s) {
                stopped.store(true, ordering: .relaxed)
                wakeCheckpointer.signal()
                checkpointer.joinBlocking()
            }
        }
        thread.withLock { $0 = t }
    }

    /// Every ``checkpointIntervalMilliseconds`` copies what the WAL holds into the database file, from a connection and
    /// a thread of its own and without waiting for any lock (a passive checkpoint), so that copying and
    /// syncing tens of megabytes never happens inside a commit: done by the writer (SQLite's automatic
    /// checkpoint), it held up the commits behind it for up to half a second. Under a flood of commits a
    /// passive checkpoint may not catch up with the writer, and SQLite starts the WAL over only once it
    /// has: the writer's own automatic checkpoint (at 8192 pages) is the backstop, and it then copies only
    /// what this one has not.
    private func checkpoints(path: String, until stopped: borrowing Atomic<Bool>) {
        let connection: Connection
        do { connection = try Connection(path: path, create: false) } catch {
            logger.warning(
                "no checkpoint connection; the writer checkpoints itself", metadata: ["ecc.error": "\(error)"])
            return
        }
        var failing = false
        while !stopped.load(ordering: .relaxed) {
            _ = wakeCheckpointer.wait(timeout: .now() + .milliseconds(Self.checkpointIntervalMilliseconds))
            if stopped.load(ordering: .relaxed) { break }
            do {
                try connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                failing = false
            } catch {
                if !failing { logger.warning("WAL checkpoint failed", metadata: ["ecc.error": "\(error)"]) }
                failing = true
            }
        }
    }

    /// How often the checkpointer copies the WAL into the database file.
    static let checkpointIntervalMilliseconds = 200
    /// Wakes the checkpointer early (to stop).
    private let wakeCheckpointer = DispatchSemaphore(value: 0)

    /// Waits (without blocking a concurrency thread) until the writer committed everything submitted
    /// before ``Ring/close()`` was called on ``input`` and closed the database.
    package func waitUntilFinished() async {
        await thread.withLock { $0 }?.join()
    }

    private func run(_ s: AlarmStore, beforeClosing stopCheckpointer: () -> Void) {
        var pending = Pending()
        // Group commit without a timer: a transaction takes every change queued while the previous one ran.
        // A lone change is committed at once; under a flood, transactions grow with their own duration, so a
        // flood of repeats for many alarms becomes one row update per alarm per transaction, and a slower
        // disk means bigger transactions, not more of them.
        while true {
            let ready = input.waitForPublished(timeoutNanoseconds: 1_000_000_000)
            if !ready && input.isClosed && input.count == 0 { break }
            _ = input.drain(maximum: .max) { pending.add($0) }
            // Exactly the positions whose lines' changes are in this transaction or an earlier one.
            pending.add(positions.take(drained: pending.drained))
            if !pending.isEmpty { write(&pending, to: s) }
            writeSnapshot(to: s)
        }
        _ = input.drain(maximum: .max) { pending.add($0) }
        pending.add(positions.take(drained: pending.drained))
        if !pending.isEmpty { write(&pending, to: s) }
        writeSnapshot(to: s)
        stopCheckpointer()
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

    /// What the next transaction holds: the coalesced changes, how many were handed over, and those to
    /// publish once committed (every change of the batches not shown before, as the engine made them).
    struct Pending {
        var changes = ChangeBatch()
        var submitted = 0
        var toPublish: [AlarmChange] = []
        var shownAlarms: Set<UInt64> = []
        /// Read positions to commit with the changes, the newest per path.
        var positions: [String: ReadPosition] = [:]

        mutating func add(_ more: [ReadPosition]) { for p in more { positions[p.source] = p } }

        /// Whether there is anything to commit.
        var isEmpty: Bool { changes.isEmpty && positions.isEmpty }

        /// The highest ``Submission/drained`` taken so far (kept across transactions): positions reached by
        /// then commit with these changes.
        var drained = 0

        mutating func add(_ s: Submission) {
            submitted += s.changes.count
            if let d = s.drained { drained = Swift.max(drained, d) }
            if s.shown {
                for c in s.changes.changes { shownAlarms.insert(c.alarm.id) }
            } else {
                toPublish += s.changes.changes
            }
            changes.append(contentsOf: s.changes)
        }

        /// Past this many changes a transaction's storage is given back rather than kept for the next one:
        /// a backlog after a stall must not stay in the heap as its high-water mark.
        static let keptCapacity = 8192

        mutating func removeAll() {
            if submitted > Self.keptCapacity {
                self = Pending(drained: drained)
                return
            }
            changes.removeAll()
            submitted = 0
            toPublish.removeAll(keepingCapacity: true)
            shownAlarms.removeAll()
            positions.removeAll()
        }
    }

    private func write(_ pending: inout Pending, to s: AlarmStore) {
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
                let began = ContinuousClock.now
                try s.apply(pending.changes, positions: pending.positions.values.sorted { $0.source < $1.source })
                onTransaction(ContinuousClock.now - began)
                transactions.add(1, ordering: .relaxed)
                committedChanges.add(pending.changes.count, ordering: .relaxed)
                settled(pending.submitted)
                if !pending.toPublish.isEmpty { onCommitted(pending.toPublish) }
                if attempt > 0 {
                    retrying.store(false, ordering: .relaxed)
                    logger.notice(
                        "store writable again; pending changes committed",
                        metadata: ["ecc.changes": "\(pending.changes.count)"])
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
                settled(pending.submitted)
                pending.removeAll()
                return
            }
        }
    }

    /// The slow path after a batch failed for a reason other than a full or busy disk: each change alone,
    /// the ones that commit published (in their coalesced form), the others dropped and logged.
    private func writeOneByOne(_ pending: Pending, to s: AlarmStore) {
        var published: [AlarmChange] = []
        defer { if !published.isEmpty { onCommitted(published) } }
        for change in pending.changes.changes {
            var single = ChangeBatch()
            single.append(change)
            do {
                try s.apply(single)
                committedChanges.add(1, ordering: .relaxed)
                if !pending.shownAlarms.contains(change.alarm.id) { published.append(change) }
            } catch {
                failedChanges.add(1, ordering: .relaxed)
                logger.error(
                    "alarm change dropped: it cannot be stored",
                    metadata: [
                        "ecc.error": "\(error)", "ecc.alarm": "\(change.alarm.id)", "ecc.change": "\(change.kind)",
                    ])
            }
        }
        // The positions after the changes: a change dropped as unstorable is logged, and its line is not read again.
        guard !pending.positions.isEmpty else { return }
        do { try s.apply(ChangeBatch(), positions: pending.positions.values.sorted { $0.source < $1.source }) } catch {
            logger.error("read positions not stored", metadata: ["ecc.error": "\(error)"])
        }
    }
}
