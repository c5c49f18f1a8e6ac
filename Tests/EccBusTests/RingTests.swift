import EccBus
import Foundation
import Synchronization
import Testing

/// An item that says who produced it and its position in that producer's sequence.
struct Tagged: Sendable {
    var producer: Int
    var seq: Int
    var payload: String  // a reference-counted field, so moves and frees are exercised too
}

/// Runs `body` on `n` real threads and waits for all of them.
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<n {
        group.enter()
        let t = Thread {
            body(i)
            group.leave()
        }
        t.start()
    }
    group.wait()
}

// Fewer items under ThreadSanitizer, which slows everything ~10x.
let perProducer = ProcessInfo.processInfo.environment["ECC_STRESS_SCALE"].flatMap(Int.init) ?? 200_000

@Suite("Ring")
struct RingTests {
    @Test("every accepted event arrives exactly once and in per-producer order", arguments: [1, 2, 4])
    func exactlyOnceInOrder(producers: Int) {
        let ring = Ring<Tagged>(minimumCapacity: 1024)
        let stats = ProducerStats(name: "test")
        let consumerDone = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let consumer = Thread {
            var next = Array(repeating: 0, count: producers)
            var total = 0
            var errors = 0
            while total < producers * perProducer {
                _ = ring.waitForPublished(timeoutNanoseconds: 100_000_000)
                total += ring.drain(maximum: 4096) { item in
                    if item.seq != next[item.producer] || item.payload != "host-\(item.seq % 97)" { errors += 1 }
                    next[item.producer] = item.seq + 1
                }
            }
            result.set(total: total, errors: errors)
            consumerDone.signal()
        }
        consumer.start()
        onThreads(producers) { id in
            let p = Producer(ring: ring, policy: .wait, stats: stats, batchSize: 64)
            for s in 0..<perProducer {
                p.append(Tagged(producer: id, seq: s, payload: "host-\(s % 97)"))
            }
            p.flush()
        }
        consumerDone.wait()
        #expect(result.errors == 0)
        #expect(result.total == producers * perProducer)
        #expect(stats.accepted == producers * perProducer)
        #expect(stats.dropped == 0)
        #expect(ring.count == 0)
    }

    @Test("drop-newest counts what it drops and delivers the rest in order")
    func dropNewest() {
        let ring = Ring<Tagged>(minimumCapacity: 64)
        let stats = ProducerStats(name: "udp")
        let p = Producer(ring: ring, policy: .dropNewest, stats: stats, batchSize: 16)
        for s in 0..<1000 { p.append(Tagged(producer: 0, seq: s, payload: "")) }
        p.tryFlush()
        #expect(stats.accepted == 64)
        #expect(stats.dropped == 1000 - 64)
        var seen: [Int] = []
        _ = ring.drain(maximum: 1000) { seen.append($0.seq) }
        #expect(seen == Array(0..<64))
    }

    @Test("a closed ring refuses producers and still delivers what it holds")
    func close() {
        let ring = Ring<Int>(minimumCapacity: 8)
        let stats = ProducerStats(name: "t")
        let p = Producer(ring: ring, policy: .wait, stats: stats)
        for i in 0..<5 { p.append(i) }
        p.tryFlush()
        ring.close()
        p.append(99)
        #expect(p.tryFlush())  // dropped: the ring is closed
        #expect(stats.dropped == 1)
        var seen: [Int] = []
        _ = ring.drain(maximum: 100) { seen.append($0) }
        #expect(seen == [0, 1, 2, 3, 4])
        #expect(ring.waitForPublished(timeoutNanoseconds: 1_000_000) == false)
    }

    @Test("a parked consumer is woken by a producer on another thread")
    func parkAndWake() {
        let ring = Ring<Int>(minimumCapacity: 8)
        let got = DispatchSemaphore(value: 0)
        let consumer = Thread {
            // Long timeout: only a wake-up can make this return quickly with data.
            if ring.waitForPublished(timeoutNanoseconds: 30_000_000_000) {
                _ = ring.drain(maximum: 8) { _ in }
                got.signal()
            }
        }
        consumer.start()
        Thread.sleep(forTimeInterval: 0.05)
        let p = Producer(ring: ring, policy: .wait, stats: ProducerStats(name: "t"))
        p.append(1)
        p.flush()
        #expect(got.wait(timeout: .now() + 10) == .success)
    }

    @Test("elements left in the ring are released with it")
    func releasesOnDeinit() {
        final class Token: Sendable {}
        weak var weakToken: Token?
        do {
            let ring = Ring<Token>(minimumCapacity: 4)
            let t = Token()
            weakToken = t
            let p = Producer(ring: ring, policy: .wait, stats: ProducerStats(name: "t"))
            p.append(t)
            p.flush()
        }
        #expect(weakToken == nil)
    }
}

final class ResultBox: @unchecked Sendable {
    // Written once by the consumer thread before it signals; read after the wait.
    private(set) var total = 0
    private(set) var errors = 0
    func set(total: Int, errors: Int) {
        self.total = total
        self.errors = errors
    }
}

@Suite("Bus fairness")
struct HeadroomTests {
    @Test("producers that wait leave the headroom free: a flood on TCP or HTTP cannot starve SNMP")
    func headroom() {
        let ring = Ring<Int>(minimumCapacity: 64)
        let waiting = Producer(ring: ring, policy: .wait, stats: ProducerStats(name: "tcp"), batchSize: 16)
        for i in 0..<200 { waiting.append(i) }
        #expect(!waiting.tryFlush())  // stopped short of full, the rest pending (it waits, nothing is lost)
        #expect(ring.count == 64 - ring.headroom)
        let udpStats = ProducerStats(name: "snmp")
        let dropping = Producer(ring: ring, policy: .dropNewest, stats: udpStats, batchSize: 1)
        for i in 0..<ring.headroom { dropping.append(1000 + i) }
        _ = dropping.tryFlush()
        #expect(udpStats.accepted == ring.headroom)
        #expect(udpStats.dropped == 0)
        #expect(ring.count == 64)
        // Once the consumer drains, the waiting producer goes on with what it held.
        _ = ring.drain(maximum: 64) { _ in }
        #expect(!waiting.tryFlush() || waiting.pendingCount == 0)
        #expect(ring.count > 0)
    }
}

@Suite("Broadcast")
struct BroadcastTests {
    @Test("every subscriber gets every value in order, heartbeats, and the end")
    func fanOut() async {
        let b = Broadcast<Int>()
        let s1 = b.subscribe()!
        let s2 = b.subscribe()!
        #expect(b.count == 2)
        b.publish([1, 2, 3])
        b.heartbeat()
        b.finish()
        for s in [s1, s2] {
            var got: [String] = []
            for await item in s {
                switch item {
                case .values(let v): got += v.map(String.init)
                case .heartbeat: got.append("♥")
                case .overrun: got.append("overrun")
                }
            }
            #expect(got == ["1", "2", "3", "♥"])
        }
        // After finish, new subscriptions end at once.
        var late = 0
        for await _ in b.subscribe()! { late += 1 }
        #expect(late == 0)
    }

    @Test("a subscriber that falls behind its buffer is ended with overrun and counted; the publisher never blocks")
    func bounded() async throws {
        let b = Broadcast<Int>()
        let slow = try #require(b.subscribe(bufferLimit: 10))
        for v in 0..<11 { b.publish([v]) }
        #expect(b.overruns == 0)  // 10 unread when the 11th came: within the limit
        b.publish([11])  // 11 unread: over it
        #expect(b.overruns == 1)
        #expect(b.count == 0)  // removed at once: later values are not queued for it
        b.publish([12])
        var got: [String] = []
        for await item in slow {
            switch item {
            case .values(let v): got += v.map(String.init)
            case .heartbeat: got.append("♥")
            case .overrun: got.append("overrun")
            }
        }
        #expect(got == (0..<11).map(String.init) + ["overrun"])
    }

    @Test("one publish larger than the buffer reaches a subscriber that keeps up, whole (a storm's commit)")
    func largePublish() async throws {
        let b = Broadcast<Int>()
        let reader = try #require(b.subscribe(bufferLimit: 10))
        var iterator = reader.makeAsyncIterator()
        for round in 0..<3 {
            b.publish(Array(round * 1000..<(round + 1) * 1000))
            guard case .values(let v) = await iterator.next() else {
                Issue.record("round \(round): no values")
                return
            }
            #expect(v == Array(round * 1000..<(round + 1) * 1000))
        }
        #expect(b.overruns == 0)
        // One large publish not taken yet is not enough to end it (its reader may just not have run)…
        b.publish(Array(0..<1000))
        b.publish([0])
        #expect(b.overruns == 0)
        // …but more than the limit unread over two publishes is.
        b.publish([1])
        #expect(b.overruns == 1)
        b.publish([2])
        #expect(b.overruns == 1)  // counted once
    }

    @Test("subscriptions past the cap are refused until one ends")
    func capped() async throws {
        let b = Broadcast<Int>()
        var first = b.subscribe(maxSubscribers: 2)
        let second = b.subscribe(maxSubscribers: 2)
        #expect(first != nil && second != nil)
        #expect(b.subscribe(maxSubscribers: 2) == nil)
        first = nil  // the client went away
        #expect(b.count == 1)
        #expect(b.subscribe(maxSubscribers: 2) != nil)
    }
}

@Suite("SPSCRing")
struct SPSCRingTests {
    @Test("one producer, one consumer: every item once, in order, through a ring smaller than the run")
    func inOrder() {
        let ring = SPSCRing<Tagged>(capacity: 64)
        let n = perProducer
        let received = Mutex<[Int]>([])
        onThreads(2) { role in
            if role == 0 {
                let batch = UnsafeMutablePointer<Tagged>.allocate(capacity: 10)
                defer { batch.deallocate() }
                var i = 0
                while i < n {
                    let k = min(10, n - i)
                    for j in 0..<k { (batch + j).initialize(to: Tagged(producer: 0, seq: i + j, payload: "p\(i + j)")) }
                    ring.push(batch, count: k)
                    i += k
                }
            } else {
                var seen: [Int] = []
                seen.reserveCapacity(n)
                while seen.count < n {
                    if ring.drain({ item in seen.append(item.payload == "p\(item.seq)" ? item.seq : -1) }) == 0 {
                        sched_yield()
                    }
                }
                received.withLock { $0 = seen }
            }
        }
        #expect(received.withLock { $0 } == Array(0..<n))
    }

    @Test("items left in the ring are freed with it")
    func leftovers() {
        final class Counted: Sendable {
            let onDeinit: @Sendable () -> Void
            init(_ onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
            deinit { onDeinit() }
        }
        let freed = Atomic<Int>(0)
        do {
            let ring = SPSCRing<Counted>(capacity: 8)
            let batch = UnsafeMutablePointer<Counted>.allocate(capacity: 3)
            defer { batch.deallocate() }
            for j in 0..<3 { (batch + j).initialize(to: Counted { freed.add(1, ordering: .relaxed) }) }
            ring.push(batch, count: 3)
            #expect(ring.drain { _ in } == 3)
            #expect(freed.load(ordering: .relaxed) == 3)
            for j in 0..<3 { (batch + j).initialize(to: Counted { freed.add(1, ordering: .relaxed) }) }
            ring.push(batch, count: 3)
        }
        #expect(freed.load(ordering: .relaxed) == 6)
    }
}
