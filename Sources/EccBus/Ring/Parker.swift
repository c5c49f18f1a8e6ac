import Atomics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lets the ring's consumer sleep without losing a wake-up from a producer.
///
/// Protocol (Dekker-style, all sequentially consistent): the consumer sets `parked`, re-checks the ring,
/// then sleeps on a condition variable until `signalled`. A producer publishes, then reads `parked`; if set,
/// it sets `signalled` under the mutex and signals. Either the consumer's re-check sees the producer's
/// element, or the producer sees `parked` — never neither.
package final class Parker: @unchecked Sendable {
    // Safety: `signalled` is only touched with `mutex` held; `parked` is an atomic.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var signalled = false
    @usableFromInline let parked = ManagedAtomic<Bool>(false)

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Producer side: wakes the consumer if it is parked. Costs one fence and one load otherwise.
    @inlinable
    package func wakeIfParked() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if parked.load(ordering: .sequentiallyConsistent) { wake() }
    }

    /// Wakes the consumer unconditionally.
    package func wake() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_signal(cond)
        pthread_mutex_unlock(mutex)
    }

    /// Consumer side: sleeps until woken or the timeout passes, unless `ready()` already holds after
    /// announcing the park. Returns `ready()` as seen last.
    package func park(timeoutNanoseconds: Int64, ready: () -> Bool) -> Bool {
        parked.store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if ready() {
            parked.store(false, ordering: .sequentiallyConsistent)
            return true
        }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = Int64(deadline.tv_nsec) + timeoutNanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_mutex_lock(mutex)
        while !signalled {
            if pthread_cond_timedwait(cond, mutex, &deadline) == ETIMEDOUT { break }
        }
        signalled = false
        pthread_mutex_unlock(mutex)
        parked.store(false, ordering: .sequentiallyConsistent)
        return ready()
    }
}

/// Gives the rest of this thread's time slice to another thread.
package func yieldThread() {
    sched_yield()
}

/// Sleeps the calling thread for a short time (producer back-off when the ring is full).
package func sleepThread(nanoseconds: Int) {
    var ts = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
    nanosleep(&ts, nil)
}
