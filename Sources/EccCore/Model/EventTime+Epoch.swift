/// Numeric epoch times as senders write them: seconds, milliseconds, microseconds or nanoseconds.
///
/// The unit is told by magnitude, as in most log shippers: below 10¹¹ seconds, below 10¹⁴ milliseconds,
/// below 10¹⁷ microseconds, above that nanoseconds. (10¹¹ s is the year 5138, 10¹¹ ms is 1973-03-03: no
/// plausible time is ambiguous.) So Python's `time.time()`, `time.time()*1000` and `time.time_ns()` all
/// mean the same instant. A value whose instant lies outside ``EventTime/earliest``…``EventTime/latest``
/// (negative, or past 2262) is refused, never wrapped around.
extension EventTime {
    /// The unit a numeric epoch time was read in.
    package enum EpochUnit: Sendable, Equatable {
        case seconds, milliseconds, microseconds, nanoseconds

        /// The unit for a magnitude (absolute value).
        @inlinable
        static func forMagnitude(_ m: Double) -> EpochUnit {
            if m < 1e11 { return .seconds }
            if m < 1e14 { return .milliseconds }
            if m < 1e17 { return .microseconds }
            return .nanoseconds
        }

        /// The unit for an integer magnitude, compared exactly (a `Double` would round 10¹⁷ − 1 up).
        @inlinable
        static func forMagnitude(_ m: UInt64) -> EpochUnit {
            if m < 100_000_000_000 { return .seconds }
            if m < 100_000_000_000_000 { return .milliseconds }
            if m < 100_000_000_000_000_000 { return .microseconds }
            return .nanoseconds
        }

        /// Nanoseconds per unit.
        @inlinable
        var nanoseconds: Int64 {
            switch self {
            case .seconds: return 1_000_000_000
            case .milliseconds: return 1_000_000
            case .microseconds: return 1_000
            case .nanoseconds: return 1
            }
        }
    }

    /// An integer epoch time in the unit its magnitude names, or nil when it is outside the range.
    @inlinable
    package static func epoch(_ value: Int64) -> EventTime? {
        guard value >= 0 else { return nil }
        let unit = EpochUnit.forMagnitude(value.magnitude)
        let (ns, overflow) = value.multipliedReportingOverflow(by: unit.nanoseconds)
        return overflow ? nil : EventTime(nanoseconds: ns)
    }

    /// A fractional epoch time in the unit its magnitude names, or nil when it is outside the range
    /// (or not a finite number).
    @inlinable
    package static func epoch(_ value: Double) -> EventTime? {
        guard value.isFinite, value >= 0 else { return nil }
        let unit = EpochUnit.forMagnitude(value.magnitude)
        guard let ns = Int64(exactly: (value * Double(unit.nanoseconds)).rounded()) else { return nil }
        return EventTime(nanoseconds: ns)
    }
}
