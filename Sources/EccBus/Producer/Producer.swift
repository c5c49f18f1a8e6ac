/// One producer's handle on the bus: it batches events locally and publishes a batch with one claim.
///
/// Confined: use a producer from one thread, event loop or task at a time (it is deliberately not
/// `Sendable`). Make one per connection, request or receive loop; they are cheap.
package final class Producer<Element> {
    /// The bus this producer feeds.
    package let ring: Ring<Element>
    /// What happens when the bus is full.
    package let policy: OverflowPolicy
    /// Shared counters for this kind of producer.
    package let stats: ProducerStats
    /// Pending events are published once this many are batched.
    package let batchSize: Int
    @usableFromInline var buffer: UnsafeMutablePointer<Element>
    @usableFromInline var bufferCapacity: Int
    @usableFromInline var start = 0
    @usableFromInline var end = 0

    /// Creates a producer that publishes in batches of `batchSize`.
    package init(ring: Ring<Element>, policy: OverflowPolicy, stats: ProducerStats, batchSize: Int = 256) {
        self.ring = ring
        self.policy = policy
        self.stats = stats
        self.batchSize = max(1, batchSize)
        // Start small and grow to the batch size on demand: a TCP connection that sends one line (or
        // nothing) then idles must not pin a whole batch of events (512 × ~150 bytes) for its lifetime.
        bufferCapacity = min(self.batchSize, 8)
        buffer = .allocate(capacity: bufferCapacity)
    }

    deinit {
        if end > start { stats.addDropped(end - start) }
        (buffer + start).deinitialize(count: end - start)
        buffer.deallocate()
    }

    /// Events batched but not yet on the bus.
    @inlinable
    package var pendingCount: Int { end - start }

    /// Adds an event to the local batch, publishing the batch when it is full. With the `dropNewest`
    /// policy a full bus drops the batch's remainder (counted); with `wait` the batch grows until the next
    /// ``tryFlush()``/``flush()`` succeeds.
    @inlinable
    package func append(_ element: consuming Element) {
        if end - start >= batchSize {
            _ = tryFlush()
        }
        if end == bufferCapacity { grow() }
        (buffer + end).initialize(to: element)
        end += 1
    }

    @usableFromInline
    func grow() {
        if start > 0 {
            buffer.moveInitialize(from: buffer + start, count: end - start)
            end -= start
            start = 0
        } else {
            let bigger = UnsafeMutablePointer<Element>.allocate(capacity: bufferCapacity * 2)
            bigger.moveInitialize(from: buffer, count: end)
            buffer.deallocate()
            buffer = bigger
            bufferCapacity *= 2
        }
    }

    /// Publishes what fits without waiting. Returns true when nothing is pending afterwards. With
    /// `dropNewest`, whatever did not fit is dropped and counted (so this always returns true); a closed
    /// bus drops everything pending under either policy.
    @inlinable
    @discardableResult
    package func tryFlush() -> Bool {
        let keepFree = policy == .wait ? ring.headroom : 0
        while end > start {
            let n = ring.publish(movingFrom: buffer + start, count: end - start, keepFree: keepFree)
            if n == 0 { break }
            start += n
            stats.addAccepted(n)
        }
        if end > start && (policy == .dropNewest || ring.isClosed) {
            stats.addDropped(end - start)
            (buffer + start).deinitialize(count: end - start)
            start = end
        }
        if start == end {
            start = 0
            end = 0
            return true
        }
        return false
    }

    /// Publishes everything pending, blocking this thread while the bus is full (spin, yield, then short
    /// sleeps). For dedicated threads only; never call it on an event loop or in a task.
    package func flush() {
        var attempt = 0
        while !tryFlush() {
            attempt += 1
            if attempt < 64 { yieldThread() } else { sleepThread(nanoseconds: 50_000) }
        }
    }

    /// Publishes everything pending, suspending while the bus is full. For tasks (HTTP handlers).
    package func flushAsync() async {
        var attempt = 0
        while !tryFlush() {
            attempt += 1
            if attempt < 16 {
                await Task.yield()
            } else {
                try? await Task.sleep(nanoseconds: 100_000)
            }
        }
    }
}
