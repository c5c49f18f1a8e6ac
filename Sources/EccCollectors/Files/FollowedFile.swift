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
    /// An incomplete line, and where it starts in the file.
    private var held: [UInt8] = []
    private var heldStart: Int64 = 0
    /// Skipping the rest of an over-long line (its first `maxLineBytes` were taken).
    private var discarding = false
    /// The multi-line record being joined, where it starts and ends, and when it last grew.
    private var record: [UInt8] = []
    private var recordStart: Int64 = 0
    private var recordEnd: Int64 = 0
    /// The first byte not in a record already handed over: the read position.
    private var taken: Int64 = 0
    private var recordGrew = ContinuousClock.now
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
    }

    /// Opens the file as the stored position says, or (none) at its end or start.
    func resume(from stored: ReadPosition?, startAtEnd: Bool) -> Resume {
        guard let now = Self.identity(path) else { return .failed("cannot stat it: \(Self.errno)") }
        guard let stored else {
            guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
            if startAtEnd { seek(to: now.size) }
            return .fresh
        }
        if stored.device == now.device && stored.inode == now.inode {
            guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
            // Shorter than the position: truncated while eccd was down; all of it is new.
            seek(to: now.size >= stored.offset ? stored.offset : 0)
            return .resumed
        }
        // Another file under the path now: finish the old one first when it is still beside it (auth.log.1).
        if let old = Self.find(device: stored.device, inode: stored.inode, near: path) {
            fd = Glibc.open(old, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                (device, inode) = (stored.device, stored.inode)
                seek(to: stored.offset)
                return .rotatedWhileDown(found: true)
            }
        }
        guard openCurrent() else { return .failed("cannot open it: \(Self.errno)") }
        return .rotatedWhileDown(found: false)
    }

    /// Reads what was appended (at most `limit` bytes), handing each complete record to `take`.
    func read(limit: Int, _ take: (String) -> Void) {
        guard fd >= 0 else { return }
        var total = 0
        atEnd = false
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                atEnd = true
                return
            }
            buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<n]), take) }
            offset += Int64(n)
            total += n
            if n >= 64 {
                tail = Array(buffer[(n - 64)..<n])
            } else {
                tail.append(contentsOf: buffer[0..<n])
                if tail.count > 64 { tail.removeFirst(tail.count - 64) }
            }
        }
    }

    /// Splits `bytes` (read at `offset`) into lines.
    private func consume(_ bytes: UnsafeRawBufferPointer, _ take: (String) -> Void) {
        var start = 0
        while start < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            let nl = rest.firstIndex(of: 0x0A).map { start + ($0 - rest.startIndex) }
            let end = nl ?? bytes.count
            // Where the line ends in the file (after its newline), once its newline is here.
            let lineEnd = nl.map { offset + Int64($0) + 1 }
            if discarding {
                if let lineEnd {
                    discarding = false
                    if record.isEmpty { taken = lineEnd }
                }
            } else {
                if held.isEmpty { heldStart = offset + Int64(start) }
                let room = source.maxLineBytes - held.count
                held.append(contentsOf: bytes[start..<(start + Swift.min(room, end - start))])
                if end - start > room {
                    reporter.report(
                        "file line cut", peer: path,
                        detail: "longer than \(source.maxLineBytes) bytes (max_line_bytes): the rest is skipped",
                        reason: .lineLength)
                    // What is cut off is skipped up to the newline (here, or in what comes next).
                    line(end: lineEnd ?? heldStart + Int64(held.count), take)
                    discarding = nl == nil
                } else if let lineEnd {
                    line(end: lineEnd, take)
                }
            }
            start = end + 1
        }
    }

    /// The complete line in `held` (ending at `end` in the file), without its CR, joined to the record or
    /// taken. The read position moves past a record just before it is handed over.
    private func line(end: Int64, _ take: (String) -> Void) {
        if held.last == 0x0D { held.removeLast() }
        defer { held.removeAll(keepingCapacity: true) }
        guard let start = source.multilineStart else {
            taken = end
            return take(String(decoding: held, as: UTF8.self))
        }
        let text = String(decoding: held, as: UTF8.self)
        if record.isEmpty || start.matches(text) {
            if !record.isEmpty {
                taken = heldStart
                take(String(decoding: record, as: UTF8.self))
            }
            record = held
            recordStart = heldStart
        } else if record.count + 1 + held.count <= source.maxLineBytes {
            record.append(0x0A)
            record.append(contentsOf: held)
        }
        recordEnd = end
        recordGrew = ContinuousClock.now
    }

    /// Takes the multi-line record when nothing was joined to it for `idle` (nil: now).
    func flushRecord(idle: Duration?, _ take: (String) -> Void) {
        guard !record.isEmpty else { return }
        if let idle, ContinuousClock.now - recordGrew < idle { return }
        taken = recordEnd
        let text = String(decoding: record, as: UTF8.self)
        record.removeAll(keepingCapacity: true)
        take(text)
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

    /// After a read to the end: when another file is under the path now (rename and create), goes on with
    /// it from its start; returns true when it did. What the old file left unfinished is taken first.
    func checkRotation(logger: Logger, _ take: (String) -> Void) -> Bool {
        guard atEnd, let now = Self.identity(path), now.device != device || now.inode != inode else { return false }
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
        if !held.isEmpty && !discarding { line(end: heldStart + Int64(held.count), take) }
        flushRecord(idle: nil, take)
    }

    /// A new file, or the same one emptied: nothing held from before, read from the start.
    private func restart() {
        held.removeAll()
        record.removeAll()
        discarding = false
        offset = 0
        taken = 0
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
        guard fd >= 0, let id = Self.identity(fd: fd) else { return false }
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
