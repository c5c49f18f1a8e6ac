import EccCore
import EccSyslog

/// Syslog messages as the receiver reads them (a datagram, or a TCP frame), and what they become.
enum FuzzSyslog {
    static let arrival = EventTime(nanoseconds: 1_796_292_000_000_000_000)
    static let parser = SyslogParser()

    /// Any bytes are a message: its event carries a time in range, a source of its own, at most the
    /// attributes an event may hold, and strings within the limit.
    static func messages(_ bytes: UnsafeRawBufferPointer) {
        let m = parser.parse(bytes, reference: arrival)
        precondition((0...23).contains(m.facility) && (0...7).contains(m.severity), "priority out of range")
        let e = SyslogEvents.event(m, bytes: bytes, sender: "192.0.2.1", at: arrival, parsers: FuzzLines.parsers)
        let limits = InputLimits.outside
        precondition(e.time.nanoseconds >= 0, "a time before 1970")
        precondition(e.source == "syslog", "not a syslog event")
        precondition(e.attributes.count <= limits.maxAttributes, "too many attributes")
        precondition(e.summary.utf8.count <= limits.maxStringBytes, "summary over the limit")
        precondition(e.host.utf8.count <= limits.maxStringBytes, "host over the limit")
    }
}
