import EccBus
import EccCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Which files to watch for integrity (`integrity:` in eccd.yaml).
package struct IntegritySettings: Sendable, Equatable {
    /// Files, and directories (every file under them, recursively).
    package var paths: [String]
    /// Every file is looked at again this often, besides inotify (which misses what happens while its queue
    /// overflows, and changes on file systems that do not report them).
    package var rescan: Duration = .seconds(3600)
    /// A larger file is not hashed: its size and modification and change times stand in for its content.
    package var maxFileBytes: Int64 = 64 << 20
    /// Most files watched, all paths together; the rest are said once in the log and not watched.
    package var maxFiles = 10_000

    package init(paths: [String]) { self.paths = paths }
}

/// File integrity: the configured files' content (SHA-256), permissions, owner and existence, watched with
/// inotify (a change is looked at 200 ms after the last event about it) and a full rescan every
/// ``IntegritySettings/rescan``. Each change is an event (source `integrity`, type `file_changed`,
/// attributes `path`, `change`: created, deleted, content, mode or owner, `old`, `new`) for the rules.
///
/// The first start takes a baseline and reports nothing. What was reported is kept in baseline files of
/// numbered generations in `directory`; the generation whose changes the store committed is stored as this
/// source's read position, so after a restart (even after `kill -9`) eccd compares against exactly what it
/// had reported: changes made while it was down are reported once, and none is lost or reported twice.
package final class IntegrityWatcher: Service, Sendable {
    package let settings: IntegritySettings
    fileprivate let directory: String
    fileprivate let ring: Ring<Event>
    fileprivate let clock: any EccCore.Clock
    fileprivate let logger: Logger
    fileprivate let book: PositionBook
    fileprivate let committed: Int?
    fileprivate let host: String
    package let stats = ProducerStats(name: "integrity")
    package let counts = IntegrityCounts()
    fileprivate let stop = Box(Atomic<Bool>(false))

    /// The name its read position is stored under.
    static let positionSource = "integrity:"

    /// `directory`: where the baselines are kept (eccd's own, beside the database).
    package init(
        settings: IntegritySettings, directory: String, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        book: PositionBook, restored: [String: ReadPosition], host: String = ProcessInfo.processInfo.hostName
    ) {
        self.settings = settings
        self.directory = directory
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.book = book
        committed = restored[Self.positionSource].flatMap {
            if case .cursor(let c) = $0.mark { Int(c) } else { nil }
        }
        self.host = host
    }

    package func run() async throws {
        logger.info("file integrity watching started", metadata: ["ecc.paths": "\(settings.paths)"])
        let stop = self.stop
        await serveOnThread("ecc-integrity", stop: stop) { [self] in IntegrityLoop(self).run(stop: stop.value) }
        logger.info("file integrity watching stopped")
    }
}

/// One aspect of a watched file that changed (the `change` attribute of its event).
package enum IntegrityChange: String, Sendable, CaseIterable {
    case created, deleted, content, mode, owner
}

/// What integrity watching counts.
package final class IntegrityCounts: Sendable {
    private let changes = Mutex<[IntegrityChange: Int]>([:])
    private let watched = Atomic<Int>(0)
    private let scans = Atomic<Int>(0)

    package init() {}

    func add(_ change: IntegrityChange) { changes.withLock { $0[change, default: 0] += 1 } }
    func setWatched(_ n: Int) { watched.store(n, ordering: .relaxed) }
    func scanned() { scans.add(1, ordering: .relaxed) }

    /// Changes reported, by kind (created, deleted, content, mode, owner).
    package var byChange: [IntegrityChange: Int] { changes.withLock { $0 } }
    /// Files watched now.
    package var files: Int { watched.load(ordering: .relaxed) }
    /// Full scans done (the first, and each rescan).
    package var scanCount: Int { scans.load(ordering: .relaxed) }
}

/// The watcher's thread. Made and used on that thread only.
final class IntegrityLoop {
    private let watcher: IntegrityWatcher
    private let producer: Producer<Event>
    private var baseline: Baseline
    private var generation = 0
    private let inotify: Int32
    /// Watch descriptor → the directory it watches.
    private var watches: [Int32: String] = [:]
    /// Paths an event named, with when the first and the last event about each came.
    private var dirty: [String: (first: ContinuousClock.Instant, last: ContinuousClock.Instant)] = [:]
    /// What was said once already (files too many, watches too many, paths eccd may not read or list,
    /// names that are not UTF-8), so the log says each once until it changes.
    private var said: Set<String> = []
    /// Folders came or went in the events being read (see ``foldersSettled(at:)``), and the new ones.
    private var foldersChanged = false
    private var newFolders: [String] = []
    /// A path is looked at once no event came about it for this long, or this long after the first.
    static let settle: Duration = .milliseconds(200)
    static let settleAtMost: Duration = .seconds(1)
    /// Baseline generations older than this many before the newest are deleted once an hour old (the store
    /// commits a generation within moments, and the engine stops when it cannot).
    static let keptGenerations = 64
    /// Most inotify watches (directories) eccd holds.
    static let maxWatches = 8192

    init(_ watcher: IntegrityWatcher) {
        self.watcher = watcher
        producer = Producer(ring: watcher.ring, policy: .wait, stats: watcher.stats, batchSize: 256)
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        baseline = Baseline(roots: watcher.settings.paths)
    }

    deinit { if inotify >= 0 { close(inotify) } }

    private var logger: Logger { watcher.logger }
    private var stopping: Bool { watcher.stop.value.load(ordering: .relaxed) }

    private func baselinePath(_ generation: Int) -> String { watcher.directory + "/baseline.\(generation)" }

    /// Says `message` once for `key` (until ``unsay(_:)``).
    private func sayOnce(_ key: String, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        guard said.insert(key).inserted else { return }
        logger.warning(message, metadata: metadata)
    }

    private func unsay(_ key: String) { said.remove(key) }

    func run(stop: borrowing Atomic<Bool>) {
        if inotify < 0 {
            logger.warning(
                "inotify is not available; integrity is checked by rescans only",
                metadata: ["ecc.error": "\(String(cString: strerror(errno)))"])
        }
        try? FileManager.default.createDirectory(atPath: watcher.directory, withIntermediateDirectories: true)
        var first = true
        if let g = watcher.committed {
            generation = g
            if let text = try? String(contentsOfFile: baselinePath(g), encoding: .utf8), let b = Baseline(encoded: text)
            {
                baseline = b
                first = false
            } else {
                logger.warning(
                    "the integrity baseline eccd reported last is missing or cut; taking a new one (changes since are not reported)",
                    metadata: ["ecc.path": "\(baselinePath(g))"])
            }
        }
        watchAll()
        if first {
            take(tracked())
            commit()
            logger.notice("integrity baseline taken", metadata: ["ecc.files": "\(baseline.files.count)"])
        } else {
            adoptRoots()
            check(Set(tracked()).union(baseline.files.keys))
        }
        watcher.counts.scanned()
        var nextRescan = ContinuousClock.now + watcher.settings.rescan
        while !stop.load(ordering: .relaxed) {
            readEvents(waitMilliseconds: 100)
            let now = ContinuousClock.now
            let ready = dirty.filter { now - $0.value.last >= Self.settle || now - $0.value.first >= Self.settleAtMost }
            if !ready.isEmpty {
                for path in ready.keys { dirty[path] = nil }
                check(Set(ready.keys))
            }
            if now >= nextRescan {
                watchAll()
                check(Set(tracked()).union(baseline.files.keys))
                watcher.counts.scanned()
                nextRescan = now + watcher.settings.rescan
            }
        }
        producer.flush()
    }

    /// Files taken into the baseline without a word (the first start, a path newly configured).
    private func take(_ paths: [String]) {
        for path in paths where baseline.files.count < watcher.settings.maxFiles {
            if let s = read(path) { baseline.files[path] = s }
        }
    }

    /// `integrity.paths` changed since the baseline was taken: files under a new path are taken in silently,
    /// files under none of the paths are dropped silently.
    private func adoptRoots() {
        let now = watcher.settings.paths
        guard baseline.roots != now else { return }
        let old = baseline.roots
        let added = now.filter { !old.contains($0) }
        baseline.files = baseline.files.filter { isTracked($0.key) }
        // Only what no earlier path covered: a file watched before keeps its baseline, so a change made to it
        // while eccd was down is still reported.
        let fresh = tracked().filter { path in
            added.contains { Self.isUnder(path, $0) } && !old.contains { Self.isUnder(path, $0) }
        }
        take(fresh)
        baseline.roots = now
        logger.notice(
            "integrity.paths changed; the baseline follows without reporting",
            metadata: ["ecc.added": "\(added)", "ecc.files_taken": "\(fresh.count)"])
        commit()
    }

    /// The file's state, saying once when eccd may not read it (its size and times stand in for its content).
    private func read(_ path: String) -> FileState? {
        var unreadable = false
        let s = FileState.read(path, maxBytes: watcher.settings.maxFileBytes, unreadable: &unreadable)
        if unreadable {
            sayOnce(
                "read:" + path,
                """
                eccd may not read a watched file: its size and times stand in for its content (run eccd with \
                CAP_DAC_READ_SEARCH, or as root, to hash it)
                """, ["ecc.path": "\(path)"])
        } else {
            unsay("read:" + path)
        }
        return s
    }

    static func isUnder(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    static func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

    /// Whether `path` is watched: a configured file, or a file under a configured directory.
    private func isTracked(_ path: String) -> Bool { watcher.settings.paths.contains { Self.isUnder(path, $0) } }

    /// Every file watched now: the configured files and the files under the configured directories (at most
    /// `maxFiles`; the walk stops there).
    private func tracked() -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        var full = false
        func add(_ p: String) -> Bool {
            guard out.count < watcher.settings.maxFiles else {
                full = true
                return false
            }
            if seen.insert(p).inserted { out.append(p) }
            return true
        }
        for path in watcher.settings.paths {
            if isDirectory(path) { _ = walk(path, add) } else { _ = add(path) }
        }
        if full {
            sayOnce(
                "max_files", "more files under integrity.paths than integrity.max_files; the rest are not watched",
                ["ecc.max_files": "\(watcher.settings.maxFiles)"])
        }
        watcher.counts.setWatched(out.count)
        return out
    }

    private func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The files under `dir`, recursively (symbolic links are files: not followed), until `add` says no more.
    private func walk(_ dir: String, _ add: (String) -> Bool) -> Bool {
        let (files, subdirectories) = entries(dir)
        for f in files where !add(f) { return false }
        for s in subdirectories where !walk(s, add) { return false }
        return true
    }

    /// The directories under `dir`, recursively, at most `limit`.
    private func directories(under dir: String, limit: Int, into out: inout [String]) {
        for s in entries(dir).directories {
            guard out.count < limit, !stopping else { return }
            out.append(s)
            directories(under: s, limit: limit, into: &out)
        }
    }

    /// What `dir` holds, sorted: its files (and links, and anything else not a directory) and its directories.
    /// A folder eccd may not list, and a name that is not UTF-8 (which eccd cannot name to the system), are
    /// said once.
    private func entries(_ dir: String) -> (files: [String], directories: [String]) {
        guard let d = opendir(dir) else {
            sayOnce(
                "list:" + dir, "eccd may not list a watched folder; files added to it are not seen",
                ["ecc.path": "\(dir)", "ecc.error": "\(String(cString: strerror(errno)))"])
            return ([], [])
        }
        unsay("list:" + dir)
        defer { closedir(d) }
        var files: [String] = []
        var directories: [String] = []
        while let entry = readdir(d) {
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            let name = String(decoding: raw, as: UTF8.self)
            if name == "." || name == ".." { continue }
            guard name.utf8.elementsEqual(raw) else {
                sayOnce(
                    "utf8:" + dir + "/" + name,
                    "a file whose name is not UTF-8 is in a watched folder; eccd cannot watch it",
                    ["ecc.path": "\(Self.join(dir, name))"])
                continue
            }
            let path = Self.join(dir, name)
            if isDirectory(path) { directories.append(path) } else { files.append(path) }
        }
        return (files.sorted(), directories.sorted())
    }

    /// Watches the configured directories (and theirs), and the directories of the configured files (a file
    /// replaced by rename, as editors and `sed -i` do, is a new inode: only its directory sees it); for a
    /// path whose folder does not exist yet, its nearest existing ancestor, to see the folder come.
    private func watchAll() {
        guard inotify >= 0 else { return }
        var dirs: Set<String> = []
        for path in watcher.settings.paths {
            if isDirectory(path) {
                dirs.insert(path)
                var subs: [String] = []
                directories(under: path, limit: Self.maxWatches, into: &subs)
                dirs.formUnion(subs)
            } else {
                var dir = (path as NSString).deletingLastPathComponent
                while !isDirectory(dir) && dir != "/" && !dir.isEmpty {
                    dir = (dir as NSString).deletingLastPathComponent
                }
                dirs.insert(dir.isEmpty ? "/" : dir)
            }
        }
        let mask = UInt32(
            IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF
                | IN_MOVE_SELF)
        let watched = Set(watches.values)
        for dir in dirs.sorted() where !watched.contains(dir) {
            guard watches.count < Self.maxWatches else {
                sayOnce(
                    "watches", "more folders to watch than eccd watches; changes there are seen at the rescan",
                    ["ecc.watches": "\(Self.maxWatches)"])
                break
            }
            let wd = inotify_add_watch(inotify, dir, mask)
            if wd >= 0 {
                watches[wd] = dir
            } else if errno == ENOSPC {
                sayOnce(
                    "watches",
                    """
                    the kernel has no more inotify watches (fs.inotify.max_user_watches); changes in the folders \
                    not watched are seen at the rescan
                    """, ["ecc.path": "\(dir)"])
            }
        }
    }

    /// Reads what inotify has (waiting up to `waitMilliseconds` for it), marking the paths it names dirty.
    private func readEvents(waitMilliseconds: Int32) {
        guard inotify >= 0 else {
            usleep(UInt32(waitMilliseconds) * 1000)
            return
        }
        var p = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, waitMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        defer { foldersSettled(at: ContinuousClock.now) }
        // A few reads at most: a steady stream of events must not keep the settle and the stop flag waiting.
        for _ in 0..<8 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(inotify, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            let now = ContinuousClock.now
            buffer.withUnsafeBytes { raw in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= n {
                    let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + header)..<min(n, offset + header + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    offset += header + length
                    handle(wd: wd, mask: mask, name: name, at: now)
                }
            }
        }
    }

    /// Folders came or went in the last batch of events: watched (a folder made again under a name gets a
    /// watch anew, a missing one its nearest parent), once a batch, and what the new ones hold looked at.
    private func foldersSettled(at now: ContinuousClock.Instant) {
        guard foldersChanged else { return }
        foldersChanged = false
        watchAll()
        guard !newFolders.isEmpty else { return }
        let folders = newFolders
        newFolders.removeAll()
        markDirty(tracked().filter { p in folders.contains { Self.isUnder(p, $0) } }, at: now)
        markDirty(baseline.files.keys.filter { p in folders.contains { Self.isUnder(p, $0) } }, at: now)
    }

    private func markDirty(_ paths: some Sequence<String>, at now: ContinuousClock.Instant) {
        for p in paths { dirty[p] = (dirty[p]?.first ?? now, now) }
    }

    private func handle(wd: Int32, mask: UInt32, name: String, at now: ContinuousClock.Instant) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: folders may have come, and every file is looked at.
            watchAll()
            markDirty(tracked(), at: now)
            markDirty(Array(baseline.files.keys), at: now)
            return
        }
        guard let dir = watches[wd] else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            watches[wd] = nil
            return
        }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            // A watched folder went: its watch goes (a folder made again under the name is watched anew),
            // and what was under it is looked at (and reported deleted).
            inotify_rm_watch(inotify, wd)
            watches[wd] = nil
            markDirty(baseline.files.keys.filter { Self.isUnder($0, dir) }, at: now)
            foldersChanged = true
            return
        }
        guard !name.isEmpty else { return }
        let path = Self.join(dir, name)
        if mask & UInt32(IN_ISDIR) != 0 {
            // A folder created or moved here: watched when it holds watched files or leads to them; what it
            // holds is looked at.
            guard isTracked(path) || watcher.settings.paths.contains(where: { Self.isUnder($0, path) }) else { return }
            newFolders.append(path)
            foldersChanged = true
            return
        }
        if isTracked(path) { markDirty([path], at: now) }
    }

    /// Looks at `paths` against the baseline: each change an event; the baseline moves on, and the new
    /// generation is recorded to commit after those events.
    private func check(_ paths: Set<String>) {
        var changed = false
        let now = watcher.clock.now()
        for path in paths.sorted() {
            if stopping { break }
            let old = baseline.files[path]
            if old == nil && baseline.files.count >= watcher.settings.maxFiles { continue }
            let new = isTracked(path) ? read(path) : nil
            for (change, before, after) in FileState.changes(from: old, to: new) {
                producer.append(event(path, change, before, after, at: now))
                watcher.counts.add(change)
                changed = true
            }
            baseline.files[path] = new
        }
        if changed { commit() }
    }

    private func event(_ path: String, _ change: FileState.Change, _ old: String, _ new: String, at now: EventTime)
        -> Event
    {
        var a = Attributes()
        a["path"] = .string(path)
        a["change"] = .string(change.rawValue)
        if !old.isEmpty { a["old"] = .string(old) }
        if !new.isEmpty { a["new"] = .string(new) }
        let summary =
            switch change {
            case .created: "\(path) created"
            case .deleted: "\(path) deleted"
            case .content: "\(path): content changed"
            case .mode: "\(path): mode \(old) → \(new)"
            case .owner: "\(path): owner \(old) → \(new)"
            }
        return Event(
            time: now, source: "integrity", host: watcher.host, type: "file_changed", severity: .warning,
            summary: summary, attributes: a)
    }

    /// Writes the baseline as the next generation, publishes the events before it, and records the
    /// generation to be committed once the engine's changes for them are. When the baseline cannot be
    /// written, nothing is recorded: after a restart the changes are reported again rather than lost.
    private func commit() {
        var error = ""
        guard baseline.write(to: baselinePath(generation + 1), error: &error) else {
            producer.flush()
            logger.error(
                "cannot write the integrity baseline; after a restart these changes are reported again",
                metadata: ["ecc.path": "\(baselinePath(generation + 1))", "ecc.error": "\(error)"])
            return
        }
        generation += 1
        producer.flush()
        if !watcher.ring.isClosed {
            watcher.book.record(
                [ReadPosition(source: IntegrityWatcher.positionSource, mark: .cursor(String(generation)))],
                published: watcher.ring.claimedCount)
        }
        removeOldBaselines()
    }

    /// Deletes the generations more than ``keptGenerations`` behind that are over an hour old.
    private func removeOldBaselines() {
        let fm = FileManager.default
        let hourAgo = Date().addingTimeInterval(-3600)
        for name in (try? fm.contentsOfDirectory(atPath: watcher.directory)) ?? [] {
            guard name.hasPrefix("baseline."), let g = Int(name.dropFirst(9)), g < generation - Self.keptGenerations
            else { continue }
            let path = watcher.directory + "/" + name
            if let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < hourAgo
            {
                try? fm.removeItem(atPath: path)
            }
        }
    }
}
