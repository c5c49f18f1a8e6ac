import Atomics

/// A bounded, lock-free multi-producer / single-consumer ring: the event bus.
///
/// Slots are a power of two. Producers claim a contiguous run of slots with one compare-and-swap on
/// `tail` (producer-side batching), move their elements in, then publish each slot by storing its
/// sequence number with release ordering. The single consumer reads slots in order while each slot's
/// sequence says it is published, moves the elements out, and advances `head` with release ordering,
/// which is what frees slots for producers. A producer's batch occupies consecutive positions and its
/// batches are claimed in program order, so per-producer order is preserved.
///
/// The consumer waits spin → yield → park (see ``Parker``), so an idle bus costs ~0 % CPU.
package final class Ring<Element>: @unchecked Sendable {
    // Safety: `slots[i]` is written only by the producer that claimed position p (i = p & mask) through the
    // CAS on `tail`, and read only by the consumer after it observed `sequences[i] == p` (acquire),
    // which the producer stored (release) after writing. The producer may claim p only once `head` (acquire)
    // shows the consumer moved the previous occupant out (release). All shared words are atomics.

    /// Number of slots.
    package let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let sequences: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    // tail, head, closed on separate cache lines to avoid false sharing between producers and consumer.
    @usableFromInline let counters: UnsafeMutableRawPointer
    @usableFromInline let tail: UnsafeAtomic<Int>
    @usableFromInline let head: UnsafeAtomic<Int>
    @usableFromInline let closedFlag: UnsafeAtomic<Bool>
    /// Wakes the consumer when it parked.
    package let parker = Parker()

    /// Creates a ring with at least `minimumCapacity` slots (rounded up to a power of two, at least 2).
    package init(minimumCapacity: Int) {
        var cap = 2
        while cap < minimumCapacity { cap <<= 1 }
        capacity = cap
        mask = cap - 1
        slots = .allocate(capacity: cap)
        sequences = .allocate(capacity: cap)
        for i in 0..<cap { (sequences + i).initialize(to: .init(-1 - i)) }
        counters = .allocate(byteCount: 192, alignment: 64)
        let t = counters.bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: 1)
        t.initialize(to: .init(0))
        tail = UnsafeAtomic(at: t)
        let h = (counters + 64).bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: 1)
        h.initialize(to: .init(0))
        head = UnsafeAtomic(at: h)
        let c = (counters + 128).bindMemory(to: UnsafeAtomic<Bool>.Storage.self, capacity: 1)
        c.initialize(to: .init(false))
        closedFlag = UnsafeAtomic(at: c)
    }

    deinit {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .relaxed)
        // Everything claimed was published by now (no producer can outlive the ring's last reference).
        for p in h..<t { (slots + (p & mask)).deinitialize(count: 1) }
        slots.deallocate()
        for i in 0..<capacity { _ = (sequences + i).move() }
        sequences.deallocate()
        counters.deallocate()
    }

    /// Events in the ring (approximate while producers run).
    package var count: Int { max(0, tail.load(ordering: .relaxed) - head.load(ordering: .relaxed)) }

    /// True once ``close()`` was called: producers are refused, the consumer drains what is left.
    package var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Stops intake. Elements already published are still delivered.
    package func close() {
        closedFlag.store(true, ordering: .sequentiallyConsistent)
        parker.wake()
    }

    /// Slots kept free for producers that cannot wait (``OverflowPolicy/dropNewest``, UDP): producers that
    /// wait stop publishing at `capacity - headroom`, so a flood on a waiting input (TCP, HTTP) fills the
    /// bus only so far and an SNMP trap still finds room; only a flood of non-waiting input can fill it.
    package var headroom: Int { capacity / 8 }

    /// Claims up to `wanted` consecutive positions, leaving `keepFree` slots unclaimed; returns
    /// (first position, count), count 0 when full.
    @inlinable
    func claim(_ wanted: Int, keepFree: Int) -> (Int, Int) {
        var t = tail.load(ordering: .relaxed)
        while true {
            let h = head.load(ordering: .acquiring)
            let n = min(wanted, capacity - keepFree - (t - h))
            if n <= 0 { return (t, 0) }
            let (done, current) = tail.weakCompareExchange(
                expected: t, desired: t + n, successOrdering: .relaxed, failureOrdering: .relaxed)
            if done { return (t, n) }
            t = current
        }
    }

    /// Moves up to `count` elements from `source` into the ring, leaving `keepFree` slots free (see
    /// ``headroom``); returns how many it took (0 when full or closed). The elements taken are left
    /// uninitialized in `source`.
    @inlinable
    package func publish(movingFrom source: UnsafeMutablePointer<Element>, count: Int, keepFree: Int = 0) -> Int {
        if count == 0 || closedFlag.load(ordering: .relaxed) { return 0 }
        let (start, n) = claim(count, keepFree: keepFree)
        if n == 0 { return 0 }
        for k in 0..<n {
            let p = start + k
            (slots + (p & mask)).moveInitialize(from: source + k, count: 1)
            UnsafeAtomic<Int>(at: sequences + (p & mask)).store(p, ordering: .releasing)
        }
        parker.wakeIfParked()
        return n
    }

    /// Elements the consumer has taken so far (its position).
    package var consumedCount: Int { head.load(ordering: .acquiring) }

    /// Positions claimed by producers so far: once a producer's publish returned, every element it published
    /// lies before this count.
    package var claimedCount: Int { tail.load(ordering: .acquiring) }

    /// True when the slot at the consumer's position has been published.
    @inlinable
    package var hasPublished: Bool {
        let h = head.load(ordering: .relaxed)
        return UnsafeAtomic<Int>(at: sequences + (h & mask)).load(ordering: .acquiring) == h
    }

    /// Consumer only: moves out up to `maximum` published elements in order, handing each to `body`.
    /// Returns how many were consumed.
    @inlinable
    package func drain(maximum: Int, _ body: (consuming Element) -> Void) -> Int {
        let h = head.load(ordering: .relaxed)
        var n = 0
        while n < maximum {
            let p = h + n
            let seq = UnsafeAtomic<Int>(at: sequences + (p & mask))
            guard seq.load(ordering: .acquiring) == p else { break }
            body((slots + (p & mask)).move())
            n += 1
        }
        if n > 0 { head.store(h + n, ordering: .releasing) }
        return n
    }

    /// Consumer only: waits until something is published, the ring is closed, or `timeoutNanoseconds`
    /// passed; spins briefly, then yields, then parks. Returns true when something is ready.
    package func waitForPublished(timeoutNanoseconds: Int64 = 1_000_000_000) -> Bool {
        for _ in 0..<256 where hasPublished { return true }
        for _ in 0..<16 {
            if hasPublished { return true }
            yieldThread()
        }
        return parker.park(timeoutNanoseconds: timeoutNanoseconds) { self.hasPublished || self.isClosed }
            && hasPublished
    }
}
