import EccCore
import Synchronization

/// A clock tests move by hand.
package final class ManualClock: EccCore.Clock {
    private let current: Mutex<EventTime>

    package init(_ start: EventTime = EventTime(nanoseconds: 1_764_064_800_000_000_000)) {
        current = Mutex(start)
    }

    package func now() -> EventTime { current.withLock { $0 } }

    /// Moves the clock forward.
    package func advance(seconds: Double) {
        current.withLock { $0 = $0.adding(nanoseconds: Int64(seconds * 1e9)) }
    }
}
