import EccBus
import EccCore
import Foundation

/// The design the bus did not choose (EccBus's ``SPSCRing``), measured for comparison; its consumer
/// busy-waits (no parking), which flatters it.
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
