import Foundation
import Synchronization

/// A named OS thread for one of eccd's long loops (the engine, the store writer and its checkpointer,
/// the notification dispatcher, the SNMP receiver), and its end awaited without blocking a thread of
/// the concurrency pool. The name (the kernel keeps 15 bytes of it) is what `top -H`, `ps -L` and `perf`
/// show. Swift's Glibc module exports neither `pthread_setname_np` nor the variadic `prctl`, and
/// setting Foundation's `Thread.name` from inside the thread did not always reach the kernel (a CI
/// run under TSan saw the creator's name), so the thread names itself through
/// `/proc/thread-self/comm`, which is what `pthread_setname_np` writes on Linux.
package final class DedicatedThread: Sendable {
    private let state = Mutex<(finished: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
    private let ended = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread called `name`.
    package init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            Self.nameCurrentThread(name)
            body()
            finish()
        }
        thread.name = name
        thread.start()
    }

    /// Sets the calling thread's kernel name (its first 15 bytes), as `pthread_setname_np` does.
    private static func nameCurrentThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }  // no /proc: the thread keeps its creator's name
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    private func finish() {
        let waiting = state.withLock { s in
            s.finished = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in waiting { c.resume() }
        ended.signal()
    }

    /// Whether the body has returned.
    package var isFinished: Bool { state.withLock { $0.finished } }

    /// Waits until the body has returned; any number of tasks may wait.
    package func join() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { s in
                if !s.finished { s.waiting.append(c) }
                return s.finished
            }
            if finished { c.resume() }
        }
    }

    /// Waits until the body has returned, blocking the calling thread (for a dedicated thread that
    /// stops another, never for a task).
    package func joinBlocking() {
        ended.wait()
        ended.signal()  // for the next caller
    }
}
