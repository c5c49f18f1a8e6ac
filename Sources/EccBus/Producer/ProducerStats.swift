import Atomics

/// Counters of one producer kind (e.g. the TCP collector), shared by all its producers and read by metrics.
package final class ProducerStats: Sendable {
    /// The producer's name, e.g. `tcp`, `http`.
    package let name: String
    @usableFromInline let acceptedCount = ManagedAtomic<Int>(0)
    @usableFromInline let droppedCount = ManagedAtomic<Int>(0)

    package init(name: String) { self.name = name }

    /// Events accepted onto the bus.
    package var accepted: Int { acceptedCount.load(ordering: .relaxed) }
    /// Events dropped because the bus was full (drop-newest) or closed.
    package var dropped: Int { droppedCount.load(ordering: .relaxed) }

    @inlinable
    package func addAccepted(_ n: Int) { if n > 0 { acceptedCount.wrappingIncrement(by: n, ordering: .relaxed) } }

    @inlinable
    package func addDropped(_ n: Int) { if n > 0 { droppedCount.wrappingIncrement(by: n, ordering: .relaxed) } }
}
