import CEccCrypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What file integrity watching knows of one file: its content's SHA-256, its permissions and its owner
/// (whether it exists is whether there is a state). A file larger than the watcher's limit is not hashed:
/// its size and modification time stand in for its content.
struct FileState: Equatable {
    var sha256: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64

    typealias Change = IntegrityChange

    /// The file's state now (symbolic links not followed), nil when it does not exist or cannot be read.
    static func read(_ path: String, maxBytes: Int64) -> FileState? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        var state = FileState(
            sha256: "", mode: UInt32(st.st_mode) & 0o7777, uid: st.st_uid, gid: st.st_gid, size: Int64(st.st_size))
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            state.sha256 = hash(path, size: state.size, mtime: st.st_mtim, maxBytes: maxBytes)
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(path, &target, Int(PATH_MAX))
            state.sha256 =
                "link:" + (n >= 0 ? String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?")
        default:
            state.sha256 = "type:\(st.st_mode & S_IFMT)"
        }
        return state
    }

    /// The content's SHA-256 in hex, or `size:…,mtime:…` for a file over `maxBytes` (or one that cannot be
    /// read: then `unreadable`).
    private static func hash(_ path: String, size: Int64, mtime: timespec, maxBytes: Int64) -> String {
        let surrogate = "size:\(size),mtime:\(mtime.tv_sec).\(mtime.tv_nsec)"
        guard size <= maxBytes else { return surrogate }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return "unreadable" }
        defer { close(fd) }
        var digest = [UInt8](repeating: 0, count: 32)
        switch ecc_hash_fd(Int32(ECC_SHA256.rawValue), fd, UInt64(maxBytes), &digest) {
        case 0: return digest.map { String(format: "%02x", $0) }.joined()
        case 1: return surrogate
        default: return "unreadable"
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

/// The states eccd reported last, by path: written to a file of its own generation after each set of
/// changes, so the one whose changes the store committed can be read after a restart (a kill -9 before the
/// commit reports those changes again rather than losing them).
struct Baseline: Equatable {
    var files: [String: FileState] = [:]

    /// One line a file: `mode uid gid size sha256 path`, the path last (it may hold spaces) with `\` and
    /// newlines escaped.
    func encoded() -> String {
        files.keys.sorted().map { path in
            let s = files[path] ?? FileState(sha256: "", mode: 0, uid: 0, gid: 0, size: 0)
            let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
            return "\(String(s.mode, radix: 8)) \(s.uid) \(s.gid) \(s.size) \(s.sha256) \(escaped)\n"
        }.joined()
    }

    /// Reads what ``encoded()`` wrote; nil when a line does not read.
    init?(encoded text: String) {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, let mode = UInt32(parts[0], radix: 8), let uid = UInt32(parts[1]),
                let gid = UInt32(parts[2]), let size = Int64(parts[3])
            else { return nil }
            var path = ""
            var escaping = false
            for c in parts[5] {
                if escaping {
                    path.append(c == "n" ? "\n" : c)
                    escaping = false
                } else if c == "\\" {
                    escaping = true
                } else {
                    path.append(c)
                }
            }
            files[path] = FileState(sha256: String(parts[4]), mode: mode, uid: uid, gid: gid, size: size)
        }
    }

    init() {}
}
