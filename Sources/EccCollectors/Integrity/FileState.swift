import CEccCrypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What file integrity watching knows of one file: its content's SHA-256, its permissions and its owner
/// (whether it exists is whether there is a state). A file larger than the watcher's limit, or one eccd
/// may not read, is not hashed: its size and modification and change times stand in for its content (so a
/// chmod of such a file also shows as a content change).
struct FileState: Equatable {
    var sha256: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64

    typealias Change = IntegrityChange

    /// The file's state now (symbolic links not followed), nil when it does not exist; `unreadable` is set
    /// when its content could not be read (permissions), so the caller can say so.
    static func read(_ path: String, maxBytes: Int64, unreadable: inout Bool, attempts: Int = 3) -> FileState? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        var state = FileState(
            sha256: "", mode: UInt32(st.st_mode) & 0o7777, uid: st.st_uid, gid: st.st_gid, size: Int64(st.st_size))
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            guard let h = hash(path, st, maxBytes: maxBytes, unreadable: &unreadable) else {
                // Replaced between the look and the open: look again (a few times).
                return attempts > 1
                    ? read(path, maxBytes: maxBytes, unreadable: &unreadable, attempts: attempts - 1) : nil
            }
            state.sha256 = h
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &target, Int(PATH_MAX))
            // Hashed: a target may hold any byte (spaces, newlines) and still be compared exactly.
            let bytes = n >= 0 ? target[0..<n].map { UInt8(bitPattern: $0) } : []
            var digest = [UInt8](repeating: 0, count: 32)
            _ = ecc_hash(Int32(ECC_SHA256.rawValue), bytes, bytes.count, &digest)
            state.sha256 = "link:" + hex(digest)
        default:
            state.sha256 = "type:\(st.st_mode & S_IFMT)"
        }
        return state
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The content's SHA-256 in hex; for a file over `maxBytes`, or one eccd may not read, its size and
    /// modification and change times (`size:…,mtime:…,ctime:…`). Opened without blocking and checked to be
    /// the regular file `st` describes (a FIFO renamed into its place must not hang the watcher).
    /// nil when the file was replaced (or removed) between `st` and the open.
    private static func hash(_ path: String, _ st: stat, maxBytes: Int64, unreadable: inout Bool) -> String? {
        let surrogate =
            "size:\(st.st_size),mtime:\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec),"
            + "ctime:\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
        guard Int64(st.st_size) <= maxBytes else { return surrogate }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            guard errno == EACCES || errno == EPERM else { return nil }  // gone, or a link now
            unreadable = true
            return surrogate
        }
        defer { close(fd) }
        var now = stat()
        guard fstat(fd, &now) == 0, now.st_mode & S_IFMT == S_IFREG, now.st_ino == st.st_ino else { return nil }
        var digest = [UInt8](repeating: 0, count: 32)
        switch ecc_hash_fd(Int32(ECC_SHA256.rawValue), fd, UInt64(maxBytes), &digest) {
        case 0: return hex(digest)
        case 1: return surrogate
        default:
            unreadable = true
            return surrogate
        }
    }

    /// The changes from `old` to `new` (nil: the file does not exist), each with its old and new value.
    static func changes(from old: FileState?, to new: FileState?) -> [(Change, old: String, new: String)] {
        switch (old, new) {
        case (nil, nil): return []
        case (nil, let n?): return [(.created, "", n.summary)]
        case (let o?, nil): return [(.deleted, o.summary, "")]
        case (let o?, let n?):
            var out: [(Change, old: String, new: String)] = []
            if o.sha256 != n.sha256 { out.append((.content, o.sha256, n.sha256)) }
            if o.mode != n.mode { out.append((.mode, String(o.mode, radix: 8), String(n.mode, radix: 8))) }
            if o.uid != n.uid || o.gid != n.gid { out.append((.owner, "\(o.uid):\(o.gid)", "\(n.uid):\(n.gid)")) }
            return out
        }
    }

    /// `mode 644, owner 0:0, sha256 …`, what a created or deleted file was.
    var summary: String { "mode \(String(mode, radix: 8)), owner \(uid):\(gid), sha256 \(sha256)" }
}

/// The states eccd reported last, by path, and the configured paths they were taken for: written to a
/// file of its own generation after each set of changes, so the one whose changes the store committed can
/// be read after a restart (a kill -9 before the commit reports those changes again rather than losing
/// them).
struct Baseline: Equatable {
    var files: [String: FileState] = [:]
    /// `integrity.paths` when it was taken: a path added later is a new baseline, not a flood of "created".
    var roots: [String] = []

    static let magic = "ecc-integrity-baseline 1"

    /// A header (`ecc-integrity-baseline 1`, the file count, each root), then one line a file: `mode uid gid
    /// size sha256 path`, paths escaped (`\\`, `\n`, `\r`) and last (they may hold spaces).
    func encoded() -> String {
        var out = "\(Self.magic) \(files.count)\n"
        for r in roots { out += "root \(Self.escape(r))\n" }
        for path in files.keys.sorted() {
            guard let s = files[path] else { continue }
            out += "\(String(s.mode, radix: 8)) \(s.uid) \(s.gid) \(s.size) \(s.sha256) \(Self.escape(path))\n"
        }
        return out
    }

    /// Reads what ``encoded()`` wrote; nil when it is not whole (a cut file, another format).
    init?(encoded text: String) {
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard lines.last == "" else { return nil }  // cut before its last newline
        lines.removeLast()
        guard let header = lines.first, header.hasPrefix(Self.magic + " "),
            let count = Int(header.dropFirst(Self.magic.count + 1))
        else { return nil }
        for line in lines.dropFirst() {
            if line.hasPrefix("root ") {
                roots.append(Self.unescape(line.dropFirst(5)))
                continue
            }
            let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, let mode = UInt32(parts[0], radix: 8), let uid = UInt32(parts[1]),
                let gid = UInt32(parts[2]), let size = Int64(parts[3])
            else { return nil }
            files[Self.unescape(parts[5])] = FileState(
                sha256: String(parts[4]), mode: mode, uid: uid, gid: gid, size: size)
        }
        guard files.count == count else { return nil }
    }

    init(roots: [String] = []) { self.roots = roots }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func unescape<S: StringProtocol>(_ s: S) -> String {
        var out = ""
        var escaping = false
        for c in s.unicodeScalars {
            if escaping {
                out.unicodeScalars.append(c == "n" ? "\n" : c == "r" ? "\r" : c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Writes the baseline to `path` durably: a temporary file written and synced, renamed over, the folder
    /// synced; false (with errno's text in `error`) when any step fails.
    func write(to path: String, error: inout String) -> Bool {
        let temporary = path + ".tmp"
        let bytes = Array(encoded().utf8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            error = String(cString: strerror(errno))
            return false
        }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                error = n == 0 ? "short write" : String(cString: strerror(errno))
                break
            }
            written += n
        }
        let synced = written == bytes.count && fsync(fd) == 0
        if !synced && error.isEmpty { error = String(cString: strerror(errno)) }
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            if synced { error = String(cString: strerror(errno)) }
            unlink(temporary)
            return false
        }
        let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return true
    }
}
