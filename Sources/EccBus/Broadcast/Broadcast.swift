import Synchronization

/// Fans values out to any number of async subscribers (the live alarm stream).
///
/// Publishing never blocks the publisher. A subscriber that, when more are published, has more than its
/// `bufferLimit` values unread spread over at least two publishes is ended with ``Item/overrun`` (and
/// counted in ``overruns``) rather than stalling the engine or silently losing lines; its buffer is freed
/// once its reader goes. One publish is delivered whole, however large, to a subscriber that took the one
/// before (a store transaction that commits a storm's worth of changes at once must not end every reader,
/// nor one whose reader has not run since the last transaction), so the memory held per subscriber is at
/// most its limit plus two publishes. Subscriptions past a cap are refused.
package final class Broadcast<Value: Sendable>: Sendable {
    /// What subscribers receive: each publish's values together (a reader writes them out in one go),
    /// heartbeats that let a writer notice a dead client, and a last `overrun` when the subscriber fell too
    /// far behind and was ended.
    package enum Item: Sendable {
        case values([Value])
        case heartbeat
        case overrun
    }

    /// One subscriber's values, in order; reading them is what counts them as read.
    package struct Subscription: AsyncSequence, Sendable {
        package typealias Element = Item
        let stream: AsyncStream<Item>
        let unread: Unread

        package func makeAsyncIterator() -> Iterator { Iterator(base: stream.makeAsyncIterator(), unread: unread) }

        package struct Iterator: AsyncIteratorProtocol {
            var base: AsyncStream<Item>.AsyncIterator
            let unread: Unread

            package mutating func next() async -> Item? {
                let item = await base.next()
                if case .values(let v) = item {
                    unread.count.subtract(v.count, ordering: .relaxed)
                    unread.items.subtract(1, ordering: .relaxed)
                }
                return item
            }
        }
    }

    /// Values (and publishes) sent to a subscriber and not read yet; whether it was ended for it.
    final class Unread: Sendable {
        let count = Atomic<Int>(0)
        let items = Atomic<Int>(0)
        let ended = Atomic<Bool>(false)
    }

    private struct Subscriber {
        var continuation: AsyncStream<Item>.Continuation
        var unread: Unread
        var limit: Int
        var onOverrun: @Sendable () -> Void
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        /// Subscriptions admitted under the cap but not yet in `subscribers`.
        var reserved = 0
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let subscriberCount = Atomic<Int>(0)
    private let overrunCount = Atomic<Int>(0)

    package init() {}

    /// Number of current subscribers.
    package var count: Int { subscriberCount.load(ordering: .relaxed) }

    /// Subscribers ended so far because they fell behind by more than their buffer.
    package var overruns: Int { overrunCount.load(ordering: .relaxed) }

    /// Subscribes; the subscription ends when ``finish()`` is called, or with ``Item/overrun`` when more than
    /// `bufferLimit` values are unread as more are published (then `onOverrun` runs, on the publisher's
    /// thread: a reader blocked on a client that stopped reading would only see the overrun much later).
    /// Nil when `maxSubscribers` are subscribed already.
    package func subscribe(
        bufferLimit: Int = 1024, maxSubscribers: Int = .max, onOverrun: @escaping @Sendable () -> Void = {}
    ) -> Subscription? {
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .unbounded)
        let unread = Unread()
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
        let subscription = Subscription(stream: stream, unread: unread)
        guard let id = admitted else {
            continuation.finish()
            return subscription
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        let added = state.withLock { s in
            s.reserved -= 1
            if s.finished { return false }
            s.subscribers[id] = Subscriber(
                continuation: continuation, unread: unread, limit: bufferLimit, onOverrun: onOverrun)
            return true
        }
        if added {
            subscriberCount.add(1, ordering: .relaxed)
        } else {
            continuation.finish()
        }
        return subscription
    }

    /// Yields `values` to one subscriber, or ends it with `overrun` when it has more than its limit unread
    /// over two publishes or more (once, whichever publisher sees it first).
    private func send(_ values: [Value], to s: Subscriber) {
        if s.unread.ended.load(ordering: .relaxed) { return }
        guard s.unread.count.load(ordering: .relaxed) <= s.limit || s.unread.items.load(ordering: .relaxed) < 2
        else {
            guard s.unread.ended.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else {
                return
            }
            _ = s.continuation.yield(.overrun)
            s.continuation.finish()
            overrunCount.add(1, ordering: .relaxed)
            s.onOverrun()
            return
        }
        s.unread.count.add(values.count, ordering: .relaxed)
        s.unread.items.add(1, ordering: .relaxed)
        s.continuation.yield(.values(values))
    }

    private func remove(_ id: Int) {
        let removed = state.withLock { $0.subscribers.removeValue(forKey: id) != nil }
        if removed { subscriberCount.subtract(1, ordering: .relaxed) }
    }

    /// Sends values to every subscriber, in order, as one item (shared, not copied, between subscribers).
    package func publish(_ values: [Value]) {
        if count == 0 || values.isEmpty { return }
        let subs = state.withLock { Array($0.subscribers.values) }
        for s in subs { send(values, to: s) }
    }

    /// Sends a heartbeat to every subscriber.
    package func heartbeat() {
        if count == 0 { return }
        let subs = state.withLock { Array($0.subscribers.values) }
        for s in subs { s.continuation.yield(.heartbeat) }
    }

    /// Ends every subscription and refuses new ones (on shutdown).
    package func finish() {
        let subs = state.withLock { s in
            s.finished = true
            return Array(s.subscribers.values)
        }
        for s in subs { s.continuation.finish() }
    }
}
