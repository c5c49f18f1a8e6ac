import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One eccd per database: an exclusive `flock` on `<database>.lock`, held for the daemon's life, with the
/// holder's pid in the file so the second one can say who has it. The kernel releases the lock when the
/// process dies, `kill -9` included, so a stale file never blocks a restart.
package final class DatabaseLock: Sendable {
    /// Why the lock was not taken: another eccd holds it, or the lock file cannot be opened.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package let path: String
    private let fd = Mutex<Int32>(-1)

    /// Takes the lock or throws, naming the pid that holds it.
    package init(database: String) throws(Failure) {
        path = database + ".lock"
        var f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        // A lock file eccd may not write (left by a run as root, a read-only directory) still locks.
        if f < 0 && (errno == EACCES || errno == EROFS) { f = open(path, O_RDONLY | O_CLOEXEC) }
        guard f >= 0 else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(f, LOCK_EX | LOCK_NB) == 0 else {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(f, &buf, buf.count, 0)
            close(f)
            let holder = String(decoding: buf.prefix(max(0, n)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(
                description: "\(database) is in use by another eccd (pid \(holder.isEmpty ? "unknown" : holder), lock "
                    + "\(path)); one eccd per database: stop that one first, or give this one another database.path")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(f, 0)
        _ = pid.withUnsafeBytes { pwrite(f, $0.baseAddress, $0.count, 0) }
        fd.withLock { $0 = f }
    }

    /// Lets the next eccd have the database (also done when this object goes away or the process ends).
    package func release() {
        fd.withLock { f in
            if f >= 0 { close(f) }
            f = -1
        }
    }

    deinit { release() }
}
