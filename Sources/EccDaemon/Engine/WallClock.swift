import EccCore

#if canImport(Glibc)
    import Glibc
#endif

/// The live clock: real time from the system.
package struct WallClock: EccCore.Clock {
    package init() {}

    package func now() -> EventTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return EventTime(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
