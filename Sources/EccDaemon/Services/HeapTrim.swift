import CEccProcess
import Logging
import ServiceLifecycle

/// Gives memory freed after a burst back to the kernel.
///
/// glibc keeps what was freed in its arenas for reuse: after a backlog (a full bus, a big batch) the
/// resident set stays at the burst's high-water mark although the heap in use went back down, so RSS
/// (what operators and the soak watch) would only ever grow. Every ``interval``, when more than
/// ``threshold`` bytes lie free in the arenas, `malloc_trim` returns them. Written by hand: no library
/// in the mirror does this, and it is two glibc calls (CEccProcess).
struct HeapTrim: Service {
    static let interval: Duration = .seconds(30)
    static let threshold: UInt64 = 16 << 20
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                if Task.isCancelled { break }
                let free = ecc_heap_free()
                guard free > Self.threshold else { continue }
                ecc_heap_trim()
                logger.debug(
                    "freed heap returned to the kernel",
                    metadata: ["ecc.free_before": "\(free)", "ecc.free_after": "\(ecc_heap_free())"])
            }
        }
    }
}
