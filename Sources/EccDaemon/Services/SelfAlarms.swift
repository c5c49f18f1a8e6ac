import EccBus
import EccCore
import Foundation
import Synchronization

/// eccd's own trouble as events on its bus (source `eccd`), so its rules raise alarms about it like
/// about anything else: `storeUnwritable` when the database stops taking writes (disk full, read-only,
/// I/O errors), `storeWritable` when it takes them again. Published without waiting (a full bus drops
/// the event and counts it), because the store writer must never block on the bus it drains.
final class SelfAlarms: Sendable {
    private let clock: any EccCore.Clock
    private let bus = Mutex<Ring<Event>?>(nil)
    let stats = ProducerStats(name: "eccd")
    private let host = ProcessInfo.processInfo.hostName

    init(clock: any EccCore.Clock) { self.clock = clock }

    func attach(_ ring: Ring<Event>) { bus.withLock { $0 = ring } }

    func storeHealth(ok: Bool, error: String) {
        var e = Event(
            time: clock.now(), source: "eccd", host: host, type: ok ? "storeWritable" : "storeUnwritable",
            severity: ok ? .info : .critical,
            summary: ok
                ? "eccd writes its database again; queued changes are committed"
                : "eccd cannot write its database: \(error); changes queue in memory and are retried")
        if !ok { e.attributes["error"] = .string(error) }
        publish(e)
    }

    private func publish(_ e: Event) {
        guard let ring = bus.withLock({ $0 }) else { return }
        let producer = Producer(ring: ring, policy: .dropNewest, stats: stats, batchSize: 1)
        producer.append(e)
        producer.flush()
    }
}
