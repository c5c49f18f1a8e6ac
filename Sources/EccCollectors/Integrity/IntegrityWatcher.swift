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
    /// A larger file is not hashed: its size and modification time stand in for its content.
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
    private let stop = Box(Atomic<Bool>(false))

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
    private var baseline = Baseline()
    private var generation = 0
    private let inotify: Int32
    /// Watch descriptor → the directory it watches.
    private var watches: [Int32: String] = [:]
    private var dirty: Set<String> = []
    private var lastEvent = ContinuousClock.now
    private var tooMany = false
    static let settle: Duration = .milliseconds(200)
    /// Baseline generations kept besides the newest (the store commits one within moments).
    static let keptGenerations = 64

    init(_ watcher: IntegrityWatcher) {
        self.watcher = watcher
        producer = Producer(ring: watcher.ring, policy: .wait, stats: watcher.stats, batchSize: 256)
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    }

    deinit { if inotify >= 0 { close(inotify) } }

    private var logger: Logger { watcher.logger }

    private func baselinePath(_ generation: Int) -> String { watcher.directory + "/baseline.\(generation)" }

    func run(stop: borrowing Atomic<Bool>) {
        if inotify < 0 {
            logger.warning(
                "inotify is not available; integrity is checked by rescans only",
                metadata: ["ecc.error": "\(String(cString: strerror(errno)))"])
        }
        try? FileManager.default.createDirectory(atPath: watcher.directory, withIntermediateDirectories: true)
        var first = true
        if let g = watcher.committed {
            if let text = try? String(contentsOfFile: baselinePath(g), encoding: .utf8), let b = Baseline(encoded: text)
            {
                (baseline, generation, first) = (b, g, false)
            } else {
                logger.warning(
                    "the integrity baseline eccd reported last is missing; taking a new one (changes since are not reported)",
                    metadata: ["ecc.path": "\(baselinePath(g))"])
                generation = g
            }
        }
        watchAll()
        if first {
            for path in tracked() {
                if let s = FileState.read(path, maxBytes: watcher.settings.maxFileBytes) { baseline.files[path] = s }
            }
            commit()
            logger.notice("integrity baseline taken", metadata: ["ecc.files": "\(baseline.files.count)"])
        } else {
            check(Set(tracked()).union(baseline.files.keys))
        }
        watcher.counts.scanned()
        var nextRescan = ContinuousClock.now + watcher.settings.rescan
        while !stop.load(ordering: .relaxed) {
            readEvents(waitMilliseconds: 250)
            let now = ContinuousClock.now
            if !dirty.isEmpty && now - lastEvent >= Self.settle {
                let paths = dirty
                dirty.removeAll()
                check(paths)
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

    /// Whether `path` is watched: a configured file, or a file under a configured directory.
    private func isTracked(_ path: String) -> Bool {
        watcher.settings.paths.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Every file watched now: the configured files and the files under the configured directories (at most
    /// `maxFiles`).
    private func tracked() -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        func add(_ p: String) {
            guard seen.insert(p).inserted else { return }
            guard out.count < watcher.settings.maxFiles else {
                if !tooMany {
                    tooMany = true
                    logger.warning(
                        "more files under integrity.paths than integrity.max_files; the rest are not watched",
                        metadata: ["ecc.max_files": "\(watcher.settings.maxFiles)"])
                }
                return
            }
            out.append(p)
        }
        for path in watcher.settings.paths {
            if isDirectory(path) { walk(path, add) } else { add(path) }
        }
        watcher.counts.setWatched(out.count)
        return out
    }

    private func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The files under `dir`, recursively (symbolic links are files: not followed).
    private func walk(_ dir: String, _ add: (String) -> Void) {
        let (files, subdirectories) = entries(dir)
        files.forEach(add)
        for s in subdirectories { walk(s, add) }
    }

    /// The directories under `dir`, recursively.
    private func walkDirectories(_ dir: String, _ add: (String) -> Void) {
        for s in entries(dir).directories {
            add(s)
            walkDirectories(s, add)
        }
    }

    /// What `dir` holds, sorted: its files (and links, and anything else not a directory) and its directories.
    private func entries(_ dir: String) -> (files: [String], directories: [String]) {
        guard let d = opendir(dir) else { return ([], []) }
        defer { closedir(d) }
        var files: [String] = []
        var directories: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if isDirectory(path) { directories.append(path) } else { files.append(path) }
        }
        return (files.sorted(), directories.sorted())
    }

    /// Watches the configured directories (and theirs), and the directories of the configured files (a file
    /// replaced by rename, as editors and `sed -i` do, is a new inode: only its directory sees it).
    private func watchAll() {
        guard inotify >= 0 else { return }
        var dirs: Set<String> = []
        for path in watcher.settings.paths {
            if isDirectory(path) {
                dirs.insert(path)
                var subs: [String] = []
                walkDirectories(path) { subs.append($0) }
                dirs.formUnion(subs)
            } else {
                dirs.insert((path as NSString).deletingLastPathComponent)
            }
        }
        let mask = UInt32(
            IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF
                | IN_MOVE_SELF)
        for dir in dirs.sorted() where !watches.values.contains(dir) {
            let wd = inotify_add_watch(inotify, dir, mask)
            if wd >= 0 { watches[wd] = dir }
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
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            lastEvent = ContinuousClock.now
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
                    handle(wd: wd, mask: mask, name: name)
                }
            }
        }
    }

    private func handle(wd: Int32, mask: UInt32, name: String) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: every file is looked at.
            dirty.formUnion(tracked())
            dirty.formUnion(baseline.files.keys)
            return
        }
        guard let dir = watches[wd] else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            watches[wd] = nil
            return
        }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            // A watched directory went: what was under it is looked at (and reported deleted).
            dirty.formUnion(baseline.files.keys.filter { $0.hasPrefix(dir + "/") })
            return
        }
        guard !name.isEmpty else { return }
        let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
        if mask & UInt32(IN_ISDIR) != 0 {
            // A directory created or moved under a watched one: watch it, and look at what it holds.
            guard isTracked(path) else { return }
            watchAll()
            dirty.formUnion(tracked().filter { $0.hasPrefix(path + "/") })
            dirty.formUnion(baseline.files.keys.filter { $0.hasPrefix(path + "/") })
            return
        }
        if isTracked(path) { dirty.insert(path) }
    }

    /// Looks at `paths` against the baseline: each change an event; the baseline moves on, and the new
    /// generation is recorded to commit after those events.
    private func check(_ paths: Set<String>) {
        var changed = false
        let now = watcher.clock.now()
        for path in paths.sorted() {
            let new = isTracked(path) ? FileState.read(path, maxBytes: watcher.settings.maxFileBytes) : nil
            let old = baseline.files[path]
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
    /// generation to be committed once the engine's changes for them are.
    private func commit() {
        generation += 1
        let path = baselinePath(generation)
        do {
            try baseline.encoded().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            logger.error(
                "cannot write the integrity baseline; after a restart its changes are reported again",
                metadata: ["ecc.path": "\(path)", "ecc.error": "\(error)"])
        }
        producer.flush()
        if !watcher.ring.isClosed {
            watcher.book.record(
                [ReadPosition(source: IntegrityWatcher.positionSource, mark: .cursor(String(generation)))],
                published: watcher.ring.claimedCount)
        }
        try? FileManager.default.removeItem(atPath: baselinePath(generation - Self.keptGenerations))
    }
}
