/// A point in time as nanoseconds since the Unix epoch (UTC).
///
/// The core never reads the wall clock: event times come from the event, processing times
/// from a ``Clock`` the caller injects.
package struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    package var nanoseconds: Int64

    /// Creates a time from nanoseconds since the epoch.
    @inlinable
    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Creates a time from (possibly fractional) seconds since the epoch, clamped to ``earliest`` …
    /// ``latest`` (a time from outside is checked with ``epoch(_:)-(Double)`` instead).
    @inlinable
    package init(seconds: Double) {
        let ns = (seconds * 1_000_000_000).rounded()
        if ns.isNaN || ns <= 0 {
            self.nanoseconds = 0
        } else {
            self.nanoseconds = Int64(exactly: ns) ?? .max
        }
    }

    /// The earliest time eccd accepts: the epoch, 1970-01-01T00:00:00Z. Every time from outside is
    /// checked to lie in ``earliest`` … ``latest`` and arithmetic saturates there, so every time eccd
    /// holds is a non-negative `Int64` and the difference of any two never overflows.
    package static let earliest = EventTime(nanoseconds: 0)
    /// The latest time an `EventTime` represents: 2262-04-11T23:47:16.854775807Z.
    package static let latest = EventTime(nanoseconds: .max)
    /// The range, for error messages.
    package static let rangeDescription = "1970-01-01T00:00:00Z to 2262-04-11T23:47:16Z"

    /// True for a time in ``earliest`` … ``latest``.
    @inlinable
    package var isInRange: Bool { nanoseconds >= 0 }

    /// The epoch itself; used as "unset".
    package static let zero = EventTime(nanoseconds: 0)

    @inlinable
    package static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Seconds since the epoch as a floating-point number.
    package var seconds: Double { Double(nanoseconds) / 1_000_000_000 }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T10:00:00.123Z`.
    package var description: String { RFC3339.format(self) }

    /// This time plus a duration in nanoseconds, saturating at ``earliest`` and ``latest`` (a window
    /// that would end after 2262 ends then, it never wraps around to the past).
    @inlinable
    package func adding(nanoseconds delta: Int64) -> EventTime {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(delta)
        if overflow { return delta < 0 ? .earliest : .latest }
        return sum < 0 ? .earliest : EventTime(nanoseconds: sum)
    }
}

/// A source of "now" handed to the engine: the wall clock when live, a manual clock in tests and replays.
package protocol Clock: Sendable {
    /// The current time.
    func now() -> EventTime
}
