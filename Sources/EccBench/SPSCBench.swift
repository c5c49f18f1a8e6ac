import Atomics
import EccBus
import EccCore
import Foundation

/// The design the bus did not choose, measured for comparison: one single-producer ring per producer,
/// drained round-robin by the consumer. Bench-only; the consumer busy-waits (no parking), which flatters it.
final class SPSCRing<Element>: @unchecked Sendable {
    // Safety: classic Lamport queue; `head` is written only by the consumer, `tail` only by the producer,
    // both with release/acquire ordering around the slot accesses.
    let mask: Int
    let slots: UnsafeMutablePointer<Element>
    let head = ManagedAtomic<Int>(0)
    let tail = ManagedAtomic<Int>(0)

    init(capacity: Int) {
        mask = capacity - 1
        slots = .allocate(capacity: capacity)
    }

    deinit { slots.deallocate() }  // the bench drains everything

    /// Producer: moves `count` elements in, waiting (yield) while full.
    func push(_ source: UnsafeMutablePointer<Element>, count: Int) {
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

    /// Consumer: moves out what is there.
    func drain(_ body: (consuming Element) -> Void) -> Int {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        for p in h..<t { body((slots + (p & mask)).move()) }
        head.store(t, ordering: .releasing)
        return t - h
    }
}

enum SPSCBench {
    /// 2 producers, each with its own SPSC ring, 1 consumer draining round-robin; events/s.
    static func run(perProducer: Int) -> Double {
        let pools = (0..<2).map { realisticEvents(1024, producer: $0) }
        let rings = (0..<2).map { _ in SPSCRing<Event>(capacity: 32_768) }
        let total = 2 * perProducer
        let done = DispatchSemaphore(value: 0)
        let seconds = timed {
            Thread {
                var seen = 0
                var hosts = 0
                while seen < total {
                    var got = 0
                    for r in rings { got += r.drain { e in hosts &+= e.host.utf8.count } }
                    if got == 0 { sched_yield() }
                    seen += got
                }
                if hosts == 0 { print("impossible") }
                done.signal()
            }.start()
            for p in 0..<2 {
                let pool = pools[p]
                let ring = rings[p]
                Thread {
                    let batch = UnsafeMutablePointer<Event>.allocate(capacity: 256)
                    var i = 0
                    while i < perProducer {
                        let n = min(256, perProducer - i)
                        for k in 0..<n { (batch + k).initialize(to: pool[(i + k) & 1023]) }
                        ring.push(batch, count: n)
                        i += n
                    }
                    batch.deallocate()
                }.start()
            }
            done.wait()
        }
        return Double(total) / seconds
    }
}
