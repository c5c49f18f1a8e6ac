import EccBus
import EccCore
import EccSyslog
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The systemd journal to follow (`journal:` in eccd.yaml).
package struct JournalSource: Sendable, Equatable {
    /// A directory of journal files (`/var/log/journal`, what systemd-journal-remote writes); nil: this
    /// machine's own journal.
    package var directory: String?
    /// Only entries of these units (`_SYSTEMD_UNIT`) or these syslog identifiers (`SYSLOG_IDENTIFIER`, the
    /// program's name as syslog would show it); both empty: every entry.
    package var units: [String] = []
    package var identifiers: [String] = []
    /// Where to start when the store holds no position for this journal.
    package var startAt = FileSource.StartAt.end

    package init(directory: String? = nil) { self.directory = directory }

    /// The name its read position is stored under.
    var positionSource: String { ReadPosition.journalSource(directory: directory) }
}

/// Follows the systemd journal through sd-journal: each entry becomes the event a syslog message with the
/// same fields would (``SyslogEvents``: the rule files' parsers take sshd's or sudo's messages as from
/// syslog, the rest is a `syslog` event), with `syslog_format: journal` and the entry's unit as `unit`.
///
/// The cursor of the last entry taken is committed in the store with the changes of the entries before it
/// (``PositionBook``, as for followed files), so a restart, even after `kill -9`, resumes after the last
/// entry whose changes are committed: none is lost or taken twice. Matches by unit and identifier are
/// sd-journal's own, applied before an entry is read.
package final class JournalFollower: Service, Sendable {
    package let source: JournalSource
    fileprivate let ring: Ring<Event>
    fileprivate let clock: any EccCore.Clock
    fileprivate let logger: Logger
    fileprivate let parsers: @Sendable () -> LineParsers
    fileprivate let book: PositionBook
    fileprivate let restored: ReadPosition?
    fileprivate let host: String
    fileprivate let limits: InputLimits
    /// Events this collector put on the bus.
    package let stats = ProducerStats(name: "journal")
    /// Entries read, by what became of them.
    package let counts = JournalCounts()
    private let stop = Box(Atomic<Bool>(false))

    /// `restored`: the store's read positions (the one of this journal is used); `book`: where new ones go.
    package init(
        source: JournalSource, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        parsers: @escaping @Sendable () -> LineParsers, book: PositionBook, restored: [String: ReadPosition],
        limits: InputLimits = .outside, host: String = ProcessInfo.processInfo.hostName
    ) {
        self.source = source
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.parsers = parsers
        self.book = book
        self.restored = restored[source.positionSource]
        self.limits = limits
        self.host = host
    }

    package func run() async throws {
        logger.info(
            "journal follower started",
            metadata: [
                "ecc.journal": "\(source.directory ?? "this machine's")", "ecc.units": "\(source.units)",
                "ecc.identifiers": "\(source.identifiers)",
            ])
        let stop = self.stop
        await serveOnThread("ecc-journal", stop: stop) { [self] in JournalLoop(self).run(stop: stop.value) }
        logger.info("journal follower stopped", metadata: ["ecc.accepted": "\(stats.accepted)"])
    }
}

/// Journal entries read, by what became of them; and whether the journal is open.
package final class JournalCounts: Sendable {
    package enum Result: String, Sendable, CaseIterable {
        /// A rule file's parser made it an event.
        case parsed
        /// The generic `syslog` event.
        case generic
        /// No MESSAGE field (metadata-only entries): skipped.
        case noMessage = "no_message"
    }

    private let counts = Mutex<[Result: Int]>([:])
    private let open = Atomic<Bool>(false)

    package init() {}

    func add(_ more: [Result: Int]) { counts.withLock { c in for (r, n) in more { c[r, default: 0] += n } } }
    func setOpen(_ value: Bool) { open.store(value, ordering: .relaxed) }

    package var byResult: [Result: Int] { counts.withLock { $0 } }
    /// Whether the journal is open with files eccd can read (false while it cannot be opened or has none).
    package var isOpen: Bool { open.load(ordering: .relaxed) }
}

/// The follower's thread: the open journal, the entries, the checkpoints. Made and used on that thread only.
final class JournalLoop {
    private let follower: JournalFollower
    private let producer: Producer<Event>
    private var journal: Journal?
    private var tally: [JournalCounts.Result: Int] = [:]
    /// The last entry taken, and the last one recorded in the book.
    private var taken: String?
    private var recorded: String?
    private var failing = false
    /// The reader stands on an entry not taken yet (the one taken last was vacuumed while eccd was down).
    private var onUntaken = false
    /// Whether the journal had files eccd can read when last looked at.
    private var hadFiles = true
    private var sinceCheckpoint = 0
    /// Entries a checkpoint publishes at most (as for files: a long read is committed step by step).
    static let checkpointEntries = 512
    static let waitMicroseconds: UInt64 = 250_000

    init(_ follower: JournalFollower) {
        self.follower = follower
        producer = Producer(ring: follower.ring, policy: .wait, stats: follower.stats, batchSize: 512)
        taken = follower.restored.flatMap {
            if case .cursor(let cursor) = $0.mark { cursor } else { nil }
        }
        recorded = taken
    }

    func run(stop: borrowing Atomic<Bool>) {
        while !stop.load(ordering: .relaxed) {
            do throws(Journal.Failure) {
                guard let journal = try openIfNeeded() else {
                    usleep(1_000_000)
                    continue
                }
                var read = 0
                if onUntaken {
                    onUntaken = false
                    take(journal)
                    read += 1
                }
                while read < Self.checkpointEntries * 8, !stop.load(ordering: .relaxed), try journal.next() {
                    take(journal)
                    read += 1
                }
                checkpoint()
                if read == 0, try journal.wait(microseconds: Self.waitMicroseconds) != .none { noteFiles(journal) }
            } catch {
                // A journal that fails to read is opened again (from the last entry taken) a second later.
                fail("cannot read the journal; opening it again in 1 s", error)
                checkpoint()
                journal = nil
                usleep(1_000_000)
            }
        }
        checkpoint()
        journal = nil
        follower.counts.setOpen(false)
    }

    /// The journal, opened (with its matches) and placed after the last entry taken, or at its end or start.
    private func openIfNeeded() throws(Journal.Failure) -> Journal? {
        if let journal { return journal }
        let source = follower.source
        let j: Journal
        do throws(Journal.Failure) {
            j = try Journal(directory: source.directory)
            j.limitFieldBytes(follower.limits.maxStringBytes)
            try j.match("_SYSTEMD_UNIT", source.units)
            if !source.units.isEmpty && !source.identifiers.isEmpty { try j.orElse() }
            try j.match("SYSLOG_IDENTIFIER", source.identifiers)
            if let taken {
                if try j.seek(after: taken) == .onNext {
                    onUntaken = true
                    follower.logger.warning(
                        """
                        the journal no longer holds the last entry eccd took (vacuumed or rotated away while \
                        eccd was down); reading on from the nearest entry
                        """,
                        metadata: ["ecc.cursor": "\(taken)"])
                }
            } else if source.startAt == .end {
                try j.seekLast()
            } else {
                try j.seekHead()
            }
        } catch {
            fail("cannot open the journal; trying again every second", error)
            return nil
        }
        if failing {
            follower.logger.notice("the journal can be followed again")
            failing = false
        }
        journal = j
        hadFiles = true
        noteFiles(j)
        return j
    }

    /// `ecc_journal_open` says whether the journal has files eccd can read; none is said once (a directory
    /// not written to yet, or no permission: sd-journal leaves out what it cannot read without an error).
    private func noteFiles(_ j: Journal) {
        let has = j.hasFiles
        follower.counts.setOpen(has)
        if !has && hadFiles {
            follower.logger.warning(
                """
                the journal has no file eccd can read (nothing written yet, or eccd's user lacks the \
                systemd-journal group); it is followed as files appear
                """, metadata: ["ecc.journal": "\(follower.source.directory ?? "local")"])
        } else if has && !hadFiles {
            follower.logger.notice("the journal has files eccd can read now")
        }
        hadFiles = has
    }

    /// Says why once until it works again.
    private func fail(_ message: Logger.Message, _ error: Journal.Failure) {
        follower.counts.setOpen(false)
        guard !failing else { return }
        failing = true
        follower.logger.warning(
            message, metadata: ["ecc.journal": "\(follower.source.directory ?? "local")", "ecc.error": "\(error)"])
    }

    /// One entry: the event its syslog fields make (through the parsers), with its unit.
    private func take(_ j: Journal) {
        defer {
            taken = (try? j.cursor()) ?? taken
            sinceCheckpoint += 1
            if sinceCheckpoint >= Self.checkpointEntries { checkpoint() }
        }
        guard
            let e = JournalEntry.event(
                j, at: follower.clock.now(), host: follower.host, parsers: follower.parsers(), limits: follower.limits)
        else {
            tally[.noMessage, default: 0] += 1
            return
        }
        tally[e.type == "syslog" ? .generic : .parsed, default: 0] += 1
        producer.append(e)
    }

    /// Publishes the events taken so far, then records the cursor of the last entry taken with the bus's
    /// claimed count: it commits once the engine's changes for everything before it are committed.
    private func checkpoint() {
        producer.flush()
        sinceCheckpoint = 0
        if !tally.isEmpty {
            follower.counts.add(tally)
            tally.removeAll(keepingCapacity: true)
        }
        // A closed bus dropped what was pending: those entries must be read again, so the position stays.
        guard !follower.ring.isClosed, let taken, taken != recorded else { return }
        recorded = taken
        follower.book.record(
            [ReadPosition(source: follower.source.positionSource, mark: .cursor(taken))],
            published: follower.ring.claimedCount)
    }
}

/// What a journal entry becomes on the bus.
package enum JournalEntry {
    /// The event of the reader's current entry, arrived at `now`: the syslog message its fields make
    /// (``SyslogEvents``, through `parsers`), with `unit`; nil for an entry without MESSAGE.
    package static func event(
        _ j: Journal, at now: EventTime, host: String, parsers: LineParsers, limits: InputLimits
    ) -> Event? {
        guard let message = j.text("MESSAGE") else { return nil }
        let m = SyslogMessage(
            format: .journal, facility: j.text("SYSLOG_FACILITY").flatMap { Int($0) }.map { min(max($0, 0), 23) } ?? 1,
            severity: j.text("PRIORITY").flatMap { Int($0) }.map { min(max($0, 0), 7) } ?? 6,
            time: j.realtime().flatMap { usec in
                let (ns, overflow) = Int64(clamping: usec).multipliedReportingOverflow(by: 1000)
                return overflow ? nil : EventTime(nanoseconds: ns)
            },
            hostname: j.text("_HOSTNAME") ?? host, appName: j.text("SYSLOG_IDENTIFIER") ?? j.text("_COMM"),
            procID: j.text("SYSLOG_PID") ?? j.text("_PID"), message: message)
        var e = SyslogEvents.event(
            m, bytes: UnsafeRawBufferPointer(start: nil, count: 0), sender: "journal", at: now, parsers: parsers,
            limits: limits)
        if let unit = j.text("_SYSTEMD_UNIT") ?? j.text("_SYSTEMD_USER_UNIT"), e.attributes["unit"] == nil,
            e.attributes.count < limits.maxAttributes
        {
            e.attributes["unit"] = .string(unit)
        }
        return e
    }
}
