import Synchronization

/// Fans values out to any number of async subscribers (the live alarm stream).
///
/// Publishing never blocks the publisher: each subscriber has a bounded buffer that keeps the newest
/// values, so a slow `eccctl tail` loses its oldest unread lines rather than stalling the engine.
public final class Broadcast<Value: Sendable>: Sendable {
    /// What subscribers receive: values, and heartbeats that let a writer notice a dead client.
    public enum Item: Sendable {
        case value(Value)
        case heartbeat
    }

    private struct State {
        var subscribers: [Int: AsyncStream<Item>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let subscriberCount = Atomic<Int>(0)

    public init() {}

    /// Number of current subscribers.
    public var count: Int { subscriberCount.load(ordering: .relaxed) }

    /// Subscribes; the stream ends when ``finish()`` is called. Keeps at most `bufferLimit` unread values.
    public func subscribe(bufferLimit: Int = 10_000) -> AsyncStream<Item> {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        let id: Int? = state.withLock { s in
            if s.finished { return nil }
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        subscriberCount.add(1, ordering: .relaxed)
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    private func remove(_ id: Int) {
        let removed = state.withLock { $0.subscribers.removeValue(forKey: id) != nil }
        if removed { subscriberCount.subtract(1, ordering: .relaxed) }
    }

    /// Sends values to every subscriber, in order.
    public func publish<S: Sequence>(_ values: S) where S.Element == Value {
        if count == 0 { return }
        let subs = state.withLock { Array($0.subscribers.values) }
        for c in subs {
            for v in values { c.yield(.value(v)) }
        }
    }

    /// Sends a heartbeat to every subscriber.
    public func heartbeat() {
        if count == 0 { return }
        let subs = state.withLock { Array($0.subscribers.values) }
        for c in subs { c.yield(.heartbeat) }
    }

    /// Ends every subscription and refuses new ones (on shutdown).
    public func finish() {
        let subs = state.withLock { s in
            s.finished = true
            return Array(s.subscribers.values)
        }
        for c in subs { c.finish() }
    }
}
