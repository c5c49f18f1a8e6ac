import EccCore

/// The event parsers: JSON (TCP lines, HTTP bodies) and RFC 3339.
enum FuzzEvents {
    static let receivedAt = EventTime(nanoseconds: 1_796_292_000_000_000_000)

    /// A TCP line and an HTTP body: an input that decodes as one event must decode as the same one event
    /// when it arrives as a body. The same line as a connection's first (auth) line must never be both.
    static func json(_ bytes: UnsafeRawBufferPointer) {
        let line = try? JSONEventDecoder.decodeEvent(bytes, receivedAt: receivedAt)
        let body = try? JSONEventDecoder.decodeEvents(bytes, receivedAt: receivedAt)
        if let line {
            precondition(body == [line], "a line decodes as an event, the same text as a body does not")
        }
        if let token = JSONLinesHello.token(in: bytes) {
            precondition(line == nil, "a line is both an auth line and an event")
            precondition(!token.isEmpty, "an auth line with an empty token")
        }
    }

    /// What parses must format as text that parses back to the same instant, to the millisecond
    /// (`format` writes milliseconds), and format again to the same text.
    static func rfc3339(_ bytes: UnsafeRawBufferPointer) {
        guard let t = RFC3339.parse(bytes) else { return }
        let text = RFC3339.format(t)
        guard let back = RFC3339.parse(text) else {
            preconditionFailure("RFC3339.format wrote '\(text)', which RFC3339.parse refuses")
        }
        let subMillisecond = (t.nanoseconds % 1_000_000 + 1_000_000) % 1_000_000
        precondition(back.nanoseconds == t.nanoseconds - subMillisecond, "'\(text)' parses to another instant")
        precondition(RFC3339.format(back) == text, "'\(text)' formats differently after a round trip")
    }
}
