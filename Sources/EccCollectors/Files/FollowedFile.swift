import EccCore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One followed path: the file open under it, how far it is read, the incomplete line and the multi-line
/// record being joined, and what to do when the path moves to another file. Confined to the follower's
/// thread.
final class FollowedFile {
    enum Resume {
        /// A stored position of this very file.
        case resumed
        /// No stored position: at the end, or the start.
        case fresh
        /// The stored position is of a file since rotated away: `found` when it was found beside (read first).
        case rotatedWhileDown(found: Bool)
        case failed(String)
    }

    let path: String
    let source: FileSource
    private let reporter: BadInputReporter
    private var fd: Int32 = -1
    private var device: UInt64 = 0
    private var inode: UInt64 = 0
    /// The next byte to read.
    private var offset: Int64 = 0
    /// Lines and records out of what is read.
    private var splitter: RecordSplitter
    /// When the multi-line record last grew.
    private var recordGrew = ContinuousClock.now
    /// The first byte not in a record already handed over: the read position.
    private var taken: Int64 = 0
    /// Polls the old file has been quiet since a new file appeared under the path.
    private var quietPolls = 0
    /// Polls (of 250 ms) an old file must stay quiet after a rotation before eccd leaves it.
    static let rotationGrace = 4
    /// The last read returned nothing: the file's end, for now.
    private(set) var atEnd = false
    private var lastRecorded: ReadPosition?
    /// The last bytes read (up to 64, ending at `offset`): when they are no longer there, the file was
    /// truncated and written again between two looks (copytruncate, then new lines), which its size alone
    /// does not tell.
    private var tail: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(path: String, source: FileSource, reporter: BadInputReporter) {
        self.path = path
        self.source = source
        self.reporter = reporter
        splitter = RecordSplitter(maxBytes: source.maxLineBytes, start: source.multilineStart)
    }

    /// Opens the file as the stored position says, or (none) at its end or start.
    func resume(from stored: ReadPosition?, startAtEnd: Bool) -> Resume {
        guard let now = Self.identity(path) else { return .failed("cannot stat it: \(Self.errno)") }
        guard let stored, case .file(let storedDevice, let storedInode, let storedOffset) = stored.mark else {
            guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
            if startAtEnd { seek(to: now.size) }
            return .fresh
        }
        if storedDevice == now.device && storedInode == now.inode {
            guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
            // Shorter than the position: truncated while eccd was down; all of it is new.
            seek(to: now.size >= storedOffset ? storedOffset : 0)
            return .resumed
        }
        // Another file under the path now: finish the old one first when it is still beside it (auth.log.1).
        if let old = Self.find(device: storedDevice, inode: storedInode, near: path) {
            fd = Glibc.open(old, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                (device, inode) = (storedDevice, storedInode)
                seek(to: storedOffset)
                return .rotatedWhileDown(found: true)
            }
        }
        guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
        return .rotatedWhileDown(found: false)
    }

    /// Reads what was appended (at most `limit` bytes), handing each complete record to `take`; returns
    /// true when it stopped at the limit with more to read.
    @discardableResult
    func read(limit: Int, _ take: (String) -> Void) -> Bool {
        guard fd >= 0 else { return false }
        var total = 0
        atEnd = false
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                atEnd = true
                return false
            }
            quietPolls = 0
            let at = offset
            buffer.withUnsafeBytes { b in
                splitter.consume(UnsafeRawBufferPointer(rebasing: b[0..<n]), at: at) { handle($0, take) }
            }
            if splitter.hasRecord { recordGrew = ContinuousClock.now }
            offset += Int64(n)
            total += n
            if n >= 64 {
                tail = Array(buffer[(n - 64)..<n])
            } else {
                tail.append(contentsOf: buffer[0..<n])
                if tail.count > 64 { tail.removeFirst(tail.count - 64) }
            }
        }
        return true
    }

    /// What the splitter found: a record taken (the read position moves past it first, so a checkpoint the
    /// taking makes counts it), an empty line or a skipped rest, a cut line counted.
    private func handle(_ out: RecordSplitter.Output, _ take: (String) -> Void) {
        switch out {
        case .record(let text, let end):
            taken = end
            take(text)
        case .skipped(let end):
            taken = end
        case .cut(let bytes):
            reporter.report(
                "file line cut", peer: path,
                detail: "\(bytes) bytes or more, max_line_bytes is \(source.maxLineBytes): the rest is skipped",
                reason: .lineLength)
        }
    }

    /// Takes the multi-line record when nothing was joined to it for `idle` (nil: now).
    func flushRecord(idle: Duration?, _ take: (String) -> Void) {
        guard splitter.hasRecord else { return }
        if let idle, ContinuousClock.now - recordGrew < idle { return }
        splitter.flush { handle($0, take) }
    }

    /// Before a read: when the file got shorter than what was read, or the bytes last read are no longer
    /// where they were (copytruncate, then new lines), reads it again from its start; returns true when so.
    /// What the old content left unfinished (a line without its newline, a multi-line record) is taken first.
    func checkTruncation(logger: Logger, _ take: (String) -> Void) -> Bool {
        guard fd >= 0, offset > 0, let now = Self.identity(fd: fd) else { return false }
        var rewritten = now.size < offset
        if !rewritten && !tail.isEmpty {
            var check = [UInt8](repeating: 0, count: tail.count)
            let n = check.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, $0.count, off_t(offset) - off_t(tail.count))
            }
            rewritten = n != tail.count || check != tail
        }
        guard rewritten else { return false }
        logger.info("file truncated (copytruncate); reading it from its start", metadata: ["ecc.path": "\(path)"])
        finish(take)
        restart()
        seek(to: 0)
        return true
    }

    /// After a read to the end: when another file is under the path now (rename and create), and the old
    /// one has stayed quiet for ``rotationGrace`` polls (a program writes to its renamed file until it is
    /// told to reopen), goes on with the new one from its start; returns true when it did. What the old file
    /// left unfinished is taken first.
    func checkRotation(logger: Logger, _ take: (String) -> Void) -> Bool {
        guard atEnd, let now = Self.identity(path), now.device != device || now.inode != inode else { return false }
        quietPolls += 1
        guard quietPolls > Self.rotationGrace else { return false }
        let next = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard next >= 0 else { return false }
        logger.info("file rotated; following the new one", metadata: ["ecc.path": "\(path)"])
        finish(take)
        Glibc.close(fd)
        fd = next
        (device, inode) = (now.device, now.inode)
        restart()
        return true
    }

    /// The old content ended: its unfinished line and record are complete.
    private func finish(_ take: (String) -> Void) {
        splitter.finish { handle($0, take) }
    }

    /// A new file, or the same one emptied: nothing held from before, read from the start.
    private func restart() {
        splitter.reset()
        offset = 0
        taken = 0
        quietPolls = 0
        atEnd = false
        tail.removeAll()
    }

    /// The path no longer exists and its file was read to the end.
    var isDrained: Bool { atEnd && Self.identity(path) == nil }

    /// Where this path is read to (the first byte of what is not yet taken), when it changed since last asked.
    func positionIfMoved() -> ReadPosition? {
        let p = ReadPosition(path: path, device: device, inode: inode, offset: taken)
        guard p != lastRecorded else { return nil }
        lastRecorded = p
        return p
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    private func openCurrent() -> Bool {
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        guard let id = Self.identity(fd: fd) else {
            close()
            return false
        }
        (device, inode) = (id.device, id.inode)
        return true
    }

    private func seek(to position: Int64) {
        offset = lseek(fd, off_t(position), SEEK_SET) >= 0 ? position : 0
        taken = offset
    }

    private static var errno: String { String(cString: strerror(Glibc.errno)) }

    static func identity(_ path: String) -> (device: UInt64, inode: UInt64, size: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino), Int64(st.st_size))
    }

    static func identity(fd: Int32) -> (device: UInt64, inode: UInt64, size: Int64)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino), Int64(st.st_size))
    }

    /// A file in `path`'s directory that is the given device and inode (a rotated `auth.log.1`).
    static func find(device: UInt64, inode: UInt64, near path: String) -> String? {
        let dir = (path as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else {
            return nil
        }
        for name in names {
            let candidate = (dir as NSString).appendingPathComponent(name)
            if let id = identity(candidate), id.device == device, id.inode == inode { return candidate }
        }
        return nil
    }
}

/// Paths matching a glob, in order (a plain path: itself when it exists).
enum Glob {
    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { i in g.gl_pathv[i].map { String(cString: $0) } }
            .filter { p in
                var st = stat()
                return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            }
    }
}
