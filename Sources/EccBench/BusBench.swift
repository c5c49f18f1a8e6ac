import EccBus
import EccCore
import Foundation

/// Events as a network collector produces them: a long host name (heap string), typed attributes.
func realisticEvents(_ n: Int, producer: Int) -> [Event] {
    (0..<n).map { i in
        Event(
            time: EventTime(nanoseconds: 1_795_600_800_000_000_000 + Int64(i)), source: "snmp",
            host: "core-sw-\(producer)-\(i % 64).dc1.example.net", type: i % 10 == 0 ? "linkUp" : "linkDown",
            severity: .major, summary: "",
            attributes: ["ifIndex": .int(Int64(i % 48)), "ifDescr": .string("GigabitEthernet0/\(i % 48)")])
    }
}

/// Seconds taken by `body`.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

enum BusBench {
    /// 2 producer threads → ring → 1 consumer thread; returns events/s.
    static func ring(perProducer: Int) -> Double {
        let pools = (0..<2).map { realisticEvents(1024, producer: $0) }
        let ring = Ring<Event>(minimumCapacity: 65_536)
        let stats = ProducerStats(name: "bench")
        let total = 2 * perProducer
        let done = DispatchSemaphore(value: 0)
        let startGate = DispatchSemaphore(value: 0)
        let seconds = timed {
            let consumer = Thread {
                var seen = 0
                var hosts = 0
                while seen < total {
                    if !ring.hasPublished { _ = ring.waitForPublished() }
                    seen += ring.drain(maximum: 4096) { e in hosts &+= e.host.utf8.count }
                }
                if hosts == 0 { print("impossible") }
                done.signal()
            }
            consumer.start()
            for p in 0..<2 {
                let pool = pools[p]
                Thread {
                    startGate.wait()
                    let producer = Producer(ring: ring, policy: .wait, stats: stats, batchSize: 256)
                    for i in 0..<perProducer {
                        producer.append(pool[i & 1023])
                        if producer.pendingCount >= 256 { producer.flush() }
                    }
                    producer.flush()
                }.start()
            }
            startGate.signal()
            startGate.signal()
            done.wait()
        }
        return Double(total) / seconds
    }

    /// The same with an AsyncStream (the standard library's async channel): 2 producer tasks, 1 consumer.
    static func asyncStream(perProducer: Int) async -> Double {
        let pools = (0..<2).map { realisticEvents(1024, producer: $0) }
        let total = 2 * perProducer
        let start = ContinuousClock.now
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let consumer = Task {
            var seen = 0
            var hosts = 0
            for await e in stream {
                hosts &+= e.host.utf8.count
                seen += 1
                if seen == total { break }
            }
            return hosts
        }
        await withTaskGroup(of: Void.self) { group in
            for p in 0..<2 {
                let pool = pools[p]
                group.addTask {
                    for i in 0..<perProducer { continuation.yield(pool[i & 1023]) }
                }
            }
        }
        _ = await consumer.value
        continuation.finish()
        let d = ContinuousClock.now - start
        return Double(total) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
}
