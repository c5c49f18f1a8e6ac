/// A point in time as nanoseconds since the Unix epoch (UTC).
///
/// The core never reads the wall clock: event times come from the event, processing times
/// from a ``Clock`` the caller injects.
public struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    /// Creates a time from nanoseconds since the epoch.
    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Creates a time from (possibly fractional) seconds since the epoch.
    @inlinable
    public init(seconds: Double) {
        self.nanoseconds = Int64((seconds * 1_000_000_000).rounded())
    }

    /// The epoch itself; used as "unset".
    public static let zero = EventTime(nanoseconds: 0)

    @inlinable
    public static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Seconds since the epoch as a floating-point number.
    public var seconds: Double { Double(nanoseconds) / 1_000_000_000 }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-25T10:00:00.123Z`.
    public var description: String { RFC3339.format(self) }

    /// This time plus a duration in nanoseconds.
    @inlinable
    public func adding(nanoseconds delta: Int64) -> EventTime {
        EventTime(nanoseconds: nanoseconds &+ delta)
    }
}

/// A source of "now" handed to the engine: the wall clock when live, a manual clock in tests and replays.
public protocol Clock: Sendable {
    /// The current time.
    func now() -> EventTime
}
