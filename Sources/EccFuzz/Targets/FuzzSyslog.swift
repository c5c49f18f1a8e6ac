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

    /// Any bytes are an EVE record or are refused: an alert's event is `suricata`/`ids_alert` with a time in
    /// range, at most the attributes an event may hold and strings within the limit.
    static func eve(_ bytes: UnsafeRawBufferPointer) {
        guard case .alert(let e) = SuricataEVE.decode(bytes, receivedAt: arrival, host: "sensor1") else { return }
        let limits = InputLimits.outside
        precondition(e.source == "suricata" && e.type == "ids_alert", "not an IDS alert")
        precondition(e.time.nanoseconds >= 0, "a time before 1970")
        precondition(e.attributes.count <= limits.maxAttributes, "too many attributes")
        precondition(e.summary.utf8.count <= limits.maxStringBytes, "summary over the limit")
        precondition(e.host.utf8.count <= limits.maxStringBytes, "host over the limit")
        for a in e.attributes {
            if case .string(let s) = a.value {
                precondition(s.utf8.count <= limits.maxStringBytes, "attribute over the limit")
            }
        }
    }

    /// The first byte picks the read size (1–64) and the limit (48–4143 bytes); the rest is the stream. Every
    /// message lies inside what was given, is not empty and within the limit; the end of the stream consumes
    /// everything; and the messages are the same as when the stream arrives in one read.
    static func stream(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let read = Int(first & 0x3F) + 1
        let limit = 48 + Int(first >> 6) * 1365
        let stream = Array(bytes.dropFirst())
        let pieces = frames(stream, read: read, limit: limit)
        let whole = frames(stream, read: stream.count + 1, limit: limit)
        precondition(pieces.messages == whole.messages, "framing depends on how the stream is cut")
        precondition(pieces.tooLong == whole.tooLong, "over-long messages depend on how the stream is cut")
    }

    private static func frames(_ stream: [UInt8], read: Int, limit: Int) -> (messages: [[UInt8]], tooLong: Int) {
        var framing = SyslogFraming(maxMessageBytes: limit)
        var messages: [[UInt8]] = []
        var tooLong = 0
        var held: [UInt8] = []
        var offset = 0
        func feed(_ final: Bool) {
            let consumed = held.withUnsafeBytes { raw in
                framing.take(raw, final: final) { f in
                    switch f {
                    case .message(let r):
                        precondition(
                            r.lowerBound >= 0 && r.upperBound <= raw.count && !r.isEmpty, "message out of bounds")
                        precondition(r.count <= limit, "message over the limit")
                        messages.append(Array(raw[r]))
                    case .tooLong(let n):
                        precondition(n > limit, "a message within the limit dropped")
                        tooLong += 1
                    }
                }
            }
            precondition(consumed >= 0 && consumed <= held.count, "consumed more than given")
            held.removeFirst(consumed)
        }
        while offset < stream.count {
            let end = min(stream.count, offset + read)
            held += stream[offset..<end]
            offset = end
            feed(false)
        }
        feed(true)
        precondition(held.isEmpty, "the end of the stream left bytes")
        return (messages, tooLong)
    }
}
