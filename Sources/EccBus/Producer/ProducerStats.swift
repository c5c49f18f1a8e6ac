import Atomics

/// Counters of one producer kind (e.g. the TCP collector), shared by all its producers and read by metrics.
public final class ProducerStats: Sendable {
    /// The producer's name, e.g. `tcp`, `http`.
    public let name: String
    @usableFromInline let acceptedCount = ManagedAtomic<Int>(0)
    @usableFromInline let droppedCount = ManagedAtomic<Int>(0)

    public init(name: String) { self.name = name }

    /// Events accepted onto the bus.
    public var accepted: Int { acceptedCount.load(ordering: .relaxed) }
    /// Events dropped because the bus was full (drop-newest) or closed.
    public var dropped: Int { droppedCount.load(ordering: .relaxed) }

    @inlinable
    public func addAccepted(_ n: Int) { if n > 0 { acceptedCount.wrappingIncrement(by: n, ordering: .relaxed) } }

    @inlinable
    public func addDropped(_ n: Int) { if n > 0 { droppedCount.wrappingIncrement(by: n, ordering: .relaxed) } }
}
