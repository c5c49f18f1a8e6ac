import Synchronization

/// Fans values out to any number of async subscribers (the live alarm stream).
///
/// Publishing never blocks the publisher: each subscriber has a bounded buffer, and a subscriber that
/// falls further behind than that is ended with ``Item/overrun`` (and counted in ``overruns``) rather than
/// stalling the engine or silently losing lines; its buffer is freed once its reader goes. Subscriptions
/// past a cap are refused, so the memory held is at most the cap times the buffer.
public final class Broadcast<Value: Sendable>: Sendable {
    /// What subscribers receive: values, heartbeats that let a writer notice a dead client, and a last
    /// `overrun` when the subscriber fell too far behind and was ended.
    public enum Item: Sendable {
        case value(Value)
        case heartbeat
        case overrun
    }

    private struct State {
        var subscribers: [Int: AsyncStream<Item>.Continuation] = [:]
        /// Subscriptions admitted under the cap but not yet in `subscribers`.
        var reserved = 0
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let subscriberCount = Atomic<Int>(0)
    private let overrunCount = Atomic<Int>(0)

    public init() {}

    /// Number of current subscribers.
    public var count: Int { subscriberCount.load(ordering: .relaxed) }

    /// Subscribers ended so far because they fell behind by more than their buffer.
    public var overruns: Int { overrunCount.load(ordering: .relaxed) }

    /// Subscribes; the stream ends when ``finish()`` is called, or with ``Item/overrun`` when more than
    /// `bufferLimit` items are unread. Nil when `maxSubscribers` are subscribed already.
    public func subscribe(bufferLimit: Int = 1024, maxSubscribers: Int = .max) -> AsyncStream<Item>? {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(bufferLimit))
        // Reserve an id (and a place under the cap) first, set the termination handler, and only then make
        // the continuation visible to publishers: a publish that ends it can never run before the handler
        // that removes it is in place.
        let id: Int?? = state.withLock { s in
            if s.finished { return .some(nil) }
            if s.subscribers.count + s.reserved >= maxSubscribers { return nil }
            s.reserved += 1
            let id = s.nextID
            s.nextID += 1
            return id
        }
        guard let admitted = id else { return nil }
        guard let id = admitted else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        let added = state.withLock { s in
            s.reserved -= 1
            if s.finished { return false }
            s.subscribers[id] = continuation
            return true
        }
        if added {
            subscriberCount.add(1, ordering: .relaxed)
        } else {
            continuation.finish()
        }
        return stream
    }

    /// Yields to one subscriber; when its buffer was full, ends it with `overrun` (the newest item kept).
    private func send(_ item: Item, to c: AsyncStream<Item>.Continuation) -> Bool {
        guard case .dropped = c.yield(item) else { return true }
        _ = c.yield(.overrun)
        c.finish()
        overrunCount.add(1, ordering: .relaxed)
        return false
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
            for v in values where !send(.value(v), to: c) { break }
        }
    }

    /// Sends a heartbeat to every subscriber.
    public func heartbeat() {
        if count == 0 { return }
        let subs = state.withLock { Array($0.subscribers.values) }
        for c in subs { _ = send(.heartbeat, to: c) }
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
