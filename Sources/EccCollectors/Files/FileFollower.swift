import EccBus
import EccCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A file (or a glob of files) to follow (`files:` in eccd.yaml).
package struct FileSource: Sendable, Equatable {
    /// Where a file eccd has not read before starts, when it is there as eccd starts.
    package enum StartAt: String, Sendable, Equatable {
        /// Only what is written from now on (as `tail -F`): the file's history is not replayed.
        case end
        /// The whole file.
        case beginning
    }

    /// What a file's records are.
    package enum Format: String, Sendable, Equatable {
        /// Text lines (or multi-line records) for the rule files' parsers.
        case lines
        /// Suricata's EVE JSON (`eve.json`): each alert an `ids_alert` event (``SuricataEVE``); the other record
        /// types are what `unparsed` says.
        case eve
    }

    /// What becomes of a line no parser takes.
    package enum Unparsed: String, Sendable, Equatable {
        /// Counted (`ecc_file_lines_total{result="unparsed"}`), not an event.
        case drop
        /// An event of source `file`, type `line`, the line as its summary.
        case event
    }

    /// A path, or a glob (`/var/log/nginx/*.log`) looked at again every poll for new files.
    package var path: String
    /// A line matching this starts a record; the lines after it that do not are joined to it (stack traces).
    package var multilineStart: Pattern?
    /// Longest record taken whole; a longer one is cut there and counted (`line_length`).
    package var maxLineBytes = 65_536
    package var unparsed = Unparsed.drop
    package var startAt = StartAt.end
    package var format = Format.lines
    /// The file holds one program's bare messages, without a syslog header (`sshd -E FILE` writes these):
    /// each line is read as that program's message, `TIME HOST PROGRAM: line`, so the parsers written for
    /// syslog take it.
    package var program: String?
    /// Only these parsers (by name) read this file's records; nil: every parser of the rule files.
    package var parsers: [String]?

    package init(path: String) { self.path = path }
}

/// Follows log files: lines (or multi-line records) through the rule files' parsers onto the bus, across
/// rotation by rename and create (the old file read to its end first, also when it happened while eccd was
/// down) and by copytruncate (the file read again from its start), with globs looked at again every poll.
///
/// Where each file has been read to is committed in the store with the changes of the lines before it
/// (``PositionBook``), so a restart, even after `kill -9`, resumes after the last line whose changes are
/// committed: no line is lost or taken twice. Files are polled every 250 ms: no inotify, so it works the
/// same on every file system, and a quiet log costs one `stat` a poll.
package final class FileFollower: Service, Sendable {
    package let sources: [FileSource]
    fileprivate let ring: Ring<Event>
    fileprivate let clock: any EccCore.Clock
    fileprivate let logger: Logger
    fileprivate let parsers: @Sendable () -> LineParsers
    fileprivate let book: PositionBook
    fileprivate let restored: [String: ReadPosition]
    fileprivate let host: String
    /// What one event may hold (`input:`), for EVE records.
    fileprivate let limits: InputLimits
    /// Events this collector put on the bus.
    package let stats = ProducerStats(name: "file")
    /// Lines cut for their length, lines a parser refused.
    package let badInput: BadInputReporter
    /// Records read, by what became of them.
    package let counts = FileCounts()
    private let stop = Box(Atomic<Bool>(false))

    /// `restored`: the read positions in the store; `book`: where new ones go (the store writer's).
    package init(
        sources: [FileSource], ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        parsers: @escaping @Sendable () -> LineParsers, book: PositionBook, restored: [String: ReadPosition],
        limits: InputLimits = .outside, host: String = ProcessInfo.processInfo.hostName
    ) {
        self.limits = limits
        self.sources = sources
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.parsers = parsers
        self.book = book
        self.restored = restored
        self.host = host
        badInput = BadInputReporter(collector: "file", logger: logger)
    }

    package func run() async throws {
        logger.info(
            "file follower started", metadata: ["ecc.files": "\(sources.map(\.path).joined(separator: ","))"])
        let stop = self.stop
        await serveOnThread("ecc-file-follow", stop: stop) { [self] in FollowLoop(self).run(stop: stop.value) }
        logger.info("file follower stopped", metadata: ["ecc.accepted": "\(stats.accepted)"])
    }
}

/// Records read by the file follower, by what became of them; and the files followed now.
package final class FileCounts: Sendable {
    package enum Result: String, Sendable, CaseIterable {
        /// A parser made it an event.
        case parsed
        /// No parser took it; an event all the same (`unparsed: event`).
        case unparsedEvent = "unparsed_event"
        /// No parser took it; dropped (`unparsed: drop`).
        case unparsed
        /// A parser matched and refused it (counted in `ecc_input_refused_total` too).
        case refused
    }

    private let counts = Mutex<[Result: Int]>([:])
    private let followed = Atomic<Int>(0)
    private let rotations = Atomic<Int>(0)

    package init() {}

    func add(_ more: [Result: Int]) { counts.withLock { c in for (r, n) in more { c[r, default: 0] += n } } }
    func setFollowed(_ n: Int) { followed.store(n, ordering: .relaxed) }
    func rotated() { rotations.add(1, ordering: .relaxed) }

    package var byResult: [Result: Int] { counts.withLock { $0 } }
    /// Files open now.
    package var files: Int { followed.load(ordering: .relaxed) }
    /// Rotations seen (a new file under the path, or the file truncated).
    package var rotationCount: Int { rotations.load(ordering: .relaxed) }
}

/// The follower's thread: every file it follows, and the poll. Made and used on that thread only.
final class FollowLoop {
    private let follower: FileFollower
    private let producer: Producer<Event>
    private var files: [String: FollowedFile] = [:]
    private var tally: [FileCounts.Result: Int] = [:]
    private var firstPoll = true
    /// The store's positions not used yet: each is for the first open of its path only (a path opened
    /// again later is a new file).
    private var restored: [String: ReadPosition]
    /// Paths that could not be opened, said once until they can.
    private var unreadable: Set<String> = []
    /// Per source with `parsers:` (by its configured path), its parsers and the rule load they came from.
    private var selected: [String: (from: LineParsers, subset: LineParsers)] = [:]
    /// Records handed to the producer since the last checkpoint.
    private var sinceCheckpoint = 0
    /// Records a checkpoint publishes at most: a read position commits only once every event before it is
    /// committed, so a long read is cut into steps, each committed as the engine gets through it.
    static let checkpointRecords = 512
    static let pollMilliseconds: UInt32 = 250
    /// A multi-line record with nothing joined to it for this long is complete.
    static let recordIdle: Duration = .seconds(1)
    /// At most this much is read from one file a poll, so one busy file cannot starve the others.
    static let readPerPoll = 4 << 20

    init(_ follower: FileFollower) {
        self.follower = follower
        producer = Producer(ring: follower.ring, policy: .wait, stats: follower.stats, batchSize: 512)
        restored = follower.restored
    }

    func run(stop: borrowing Atomic<Bool>) {
        while !stop.load(ordering: .relaxed) {
            // A file that had more than a poll's worth is read again at once.
            if !poll(stopping: false) { usleep(Self.pollMilliseconds * 1000) }
        }
        poll(stopping: true)
        for f in files.values { f.close() }
    }

    /// One look at every source: new files, new lines, rotations; the events published, then the positions
    /// reached recorded.
    /// Returns true when a file had more than one poll may read.
    @discardableResult
    private func poll(stopping: Bool) -> Bool {
        var behind = false
        let now = follower.clock.now()
        var live: Set<String> = []
        for source in follower.sources {
            for path in Glob.expand(source.path) {
                live.insert(path)
                if files[path] == nil {
                    files[path] = open(path, source: source, atStart: firstPoll)
                }
            }
        }
        firstPoll = false
        for (path, file) in files.sorted(by: { $0.key < $1.key }) {
            if file.checkTruncation(logger: follower.logger, { take($0, from: file, at: now) }) {
                follower.counts.rotated()
            }
            if file.read(limit: Self.readPerPoll, { record in take(record, from: file, at: now) }) { behind = true }
            file.flushRecord(idle: stopping ? nil : Self.recordIdle) { take($0, from: file, at: now) }
            if file.checkRotation(logger: follower.logger, { take($0, from: file, at: now) }) {
                follower.counts.rotated()
                // The new file's lines may already be there: read them now, not a poll later.
                if file.read(limit: Self.readPerPoll, { record in take(record, from: file, at: now) }) { behind = true }
            }
            if !live.contains(path) && file.isDrained {
                checkpoint()
                file.close()
                files[path] = nil
            }
        }
        if !tally.isEmpty {
            follower.counts.add(tally)
            tally.removeAll(keepingCapacity: true)
        }
        follower.counts.setFollowed(files.count)
        checkpoint()
        return behind
    }

    /// Publishes the events taken so far, then records every file's read position with the bus's claimed
    /// count: each commits once the engine's changes for everything before it are committed.
    private func checkpoint() {
        producer.flush()
        sinceCheckpoint = 0
        // A closed bus dropped what was pending: those lines must be read again, so no position moves.
        guard !follower.ring.isClosed else { return }
        let moved = files.values.compactMap { $0.positionIfMoved() }
        follower.book.record(moved, published: follower.ring.claimedCount)
    }

    /// A file seen for the first time: where a stored position says, else at its end or start.
    private func open(_ path: String, source: FileSource, atStart: Bool) -> FollowedFile? {
        let f = FollowedFile(path: path, source: source, reporter: follower.badInput)
        let logger = follower.logger
        switch f.resume(from: restored[path], startAtEnd: atStart && source.startAt == .end) {
        case .failed(let why):
            if unreadable.insert(path).inserted {
                logger.warning(
                    "cannot follow file; trying again every poll",
                    metadata: ["ecc.path": "\(path)", "ecc.error": "\(why)"])
            }
            return nil
        case .resumed, .fresh:
            break
        case .rotatedWhileDown(found: let found):
            if found {
                logger.notice(
                    "file was rotated while eccd was down; reading the rest of the old file first",
                    metadata: ["ecc.path": "\(path)"])
            } else {
                logger.warning(
                    "file was rotated while eccd was down and the old file is gone: its last lines are lost",
                    metadata: ["ecc.path": "\(path)"])
            }
        }
        restored[path] = nil
        if unreadable.remove(path) != nil {
            logger.notice("file can be followed now", metadata: ["ecc.path": "\(path)"])
        }
        return f
    }

    /// One record: through the parsers, else an event of its own or a count; a checkpoint every
    /// ``checkpointRecords``.
    private func take(_ record: String, from file: FollowedFile, at now: EventTime) {
        defer {
            sinceCheckpoint += 1
            if sinceCheckpoint >= Self.checkpointRecords { checkpoint() }
        }
        if file.source.format == .eve { return takeEVE(record, from: file, at: now) }
        let line = file.source.program.map { "\(RFC3339.format(now)) \(follower.host) \($0): \(record)" } ?? record
        switch parsers(for: file.source).parse(line, receivedAt: now, reference: now) {
        case .event(var e):
            e.receivedAt = now
            if e.host.isEmpty { e.host = follower.host }
            if e.attributes["path"] == nil { e.attributes["path"] = .string(file.path) }
            producer.append(e)
            tally[.parsed, default: 0] += 1
        case .unmatched:
            unparsed(record, from: file, at: now)
        case .refused(let parser, let reason):
            follower.badInput.report(
                "file line refused", peer: file.path, detail: "parser \(parser): \(reason)", reason: .parserRefused)
            tally[.refused, default: 0] += 1
        }
    }

    /// The parsers that read `source`'s records: the rule files' own, or the ones it names (worked out again
    /// when the rules are reloaded, and a name no rule file defines said in the log).
    private func parsers(for source: FileSource) -> LineParsers {
        let all = follower.parsers()
        guard let names = source.parsers else { return all }
        if let cached = selected[source.path], cached.from.isSame(as: all) { return cached.subset }
        let subset = all.only(names)
        let missing = all.missing(names)
        if !missing.isEmpty {
            follower.logger.error(
                "files[].parsers names parsers no rule file defines; the records they were for go unparsed",
                metadata: ["ecc.path": "\(source.path)", "ecc.parsers": "\(missing)"])
        }
        selected[source.path] = (all, subset)
        return subset
    }

    /// A record no parser took: an event of source `file`, type `line` (`unparsed: event`), or a count.
    private func unparsed(_ record: String, from file: FollowedFile, at now: EventTime) {
        guard file.source.unparsed == .event else {
            tally[.unparsed, default: 0] += 1
            return
        }
        var attributes = Attributes()
        attributes["path"] = .string(file.path)
        producer.append(
            Event(time: now, source: "file", host: follower.host, type: "line", summary: record, attributes: attributes)
        )
        tally[.unparsedEvent, default: 0] += 1
    }

    /// One record of a Suricata EVE file: an alert's event; another record type as `unparsed` says; a record
    /// that is not EVE JSON refused and counted.
    private func takeEVE(_ record: String, from file: FollowedFile, at now: EventTime) {
        var text = record
        let outcome = text.withUTF8 {
            SuricataEVE.decode(
                UnsafeRawBufferPointer($0), receivedAt: now, host: follower.host, limits: follower.limits)
        }
        switch outcome {
        case .alert(var e):
            if e.attributes["path"] == nil { e.attributes["path"] = .string(file.path) }
            producer.append(e)
            tally[.parsed, default: 0] += 1
        case .other:
            unparsed(record, from: file, at: now)
        case .refused(let why, let reason):
            follower.badInput.report("EVE record refused", peer: file.path, detail: why, reason: reason)
            tally[.refused, default: 0] += 1
        }
    }
}
