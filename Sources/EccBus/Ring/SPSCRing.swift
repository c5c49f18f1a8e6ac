import Atomics

#if canImport(Glibc)
    import Glibc
#endif

/// A single-producer, single-consumer ring (Lamport's queue): the design the bus did not choose, kept
/// for the bench that compares the two (one SPSC ring per producer, drained round-robin, against one
/// MPSC ``Ring``). It lives here, beside the bus, because it is lock-free code whose safety rests on
/// its ordering argument, and all such code in ECC is in EccBus, under its tests and TSan.
///
/// One thread may call ``push(_:count:)`` and one other thread ``drain(_:)``; nothing else is safe.
package final class SPSCRing<Element>: @unchecked Sendable {
    // Safety: `head` is written only by the consumer and `tail` only by the producer; each publishes the
    // slots it hands over with a releasing store that the other side reads with an acquiring load, so a
    // slot is never accessed by both threads at once.
    private let mask: Int
    private let slots: UnsafeMutablePointer<Element>
    private let head = ManagedAtomic<Int>(0)
    private let tail = ManagedAtomic<Int>(0)

    /// A ring of `capacity` slots, a power of two.
    package init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        mask = capacity - 1
        slots = .allocate(capacity: capacity)
    }

    deinit {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .relaxed)
        for p in h..<t { (slots + (p & mask)).deinitialize(count: 1) }
        slots.deallocate()
    }

    /// Producer: moves `count` elements in from `source`, waiting (yielding the CPU) while the ring is full.
    package func push(_ source: UnsafeMutablePointer<Element>, count: Int) {
        var done = 0
        while done < count {
            let t = tail.load(ordering: .relaxed)
            let free = mask + 1 - (t - head.load(ordering: .acquiring))
            if free == 0 {
                sched_yield()
                continue
            }
            let n = min(free, count - done)
            for k in 0..<n { (slots + ((t + k) & mask)).moveInitialize(from: source + done + k, count: 1) }
            tail.store(t + n, ordering: .releasing)
            done += n
        }
    }

    /// Consumer: moves out everything there is, in order; returns how many.
    package func drain(_ body: (consuming Element) -> Void) -> Int {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        for p in h..<t { body((slots + (p & mask)).move()) }
        head.store(t, ordering: .releasing)
        return t - h
    }
}
