#if canImport(Glibc)
    import Glibc
#endif

/// Syslog messages out of a byte stream (TCP, TLS): RFC 6587's two framings, decided message by message by
/// the first byte as rsyslog does. A digit starts octet counting (`LEN SP MSG`, at most 9 digits, what
/// RFC 5425 requires); anything else is a line up to the next LF (non-transparent framing).
///
/// A message longer than the limit is reported and skipped: a counted one by its length, a line up to its
/// newline; the stream goes on with the next message. One value per connection; it keeps what it needs
/// between reads (how much of an over-long message is left to skip, how far a partial line was searched),
/// so a long line arriving in small pieces costs time linear in its length.
package struct SyslogFraming: Sendable {
    /// What ``take(_:final:_:)`` finds.
    package enum Frame: Equatable, Sendable {
        /// A message: its bytes in the buffer given, without the line end (CR, LF) some senders put inside a
        /// counted frame too. Never empty.
        case message(Range<Int>)
        /// A message dropped for its length (at least this many bytes).
        case tooLong(Int)
    }

    /// The longest message taken.
    package let maxMessageBytes: Int
    /// Bytes of an over-long counted message still to skip.
    private var skipping = 0
    /// Skipping an over-long line up to its newline.
    private var discardingLine = false
    /// Bytes of the held partial line already searched for a newline.
    private var scanned = 0

    package init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Takes the complete messages at the start of `raw`, handing each to `found`; returns the bytes
    /// consumed (the rest, the start of a message, must be given again with what follows). With `final`
    /// the stream ended: what is left is its last message, and everything is consumed.
    package mutating func take(_ raw: UnsafeRawBufferPointer, final: Bool, _ found: (Frame) -> Void) -> Int {
        guard let base = raw.baseAddress else { return 0 }
        var start = 0
        while start < raw.count {
            if skipping > 0 {
                let n = Swift.min(skipping, raw.count - start)
                skipping -= n
                start += n
                continue
            }
            if discardingLine {
                guard let p = memchr(base + start, 0x0A, raw.count - start) else { return raw.count }
                start = UnsafeRawPointer(p) - base + 1
                discardingLine = false
                continue
            }
            switch counted(raw, at: start) {
            case .length(let length, let body):
                guard length <= maxMessageBytes else {
                    found(.tooLong(length))
                    skipping = length
                    start = body
                    continue
                }
                guard raw.count - body >= length else {
                    guard final else { return start }
                    // The stream ended inside the message: take what came.
                    message(raw, body..<raw.count, found)
                    return raw.count
                }
                message(raw, body..<body + length, found)
                start = body + length
            case .undecided where !final:
                return start
            case .undecided, .line:
                let from = start + Swift.min(scanned, raw.count - start)
                guard let p = memchr(base + from, 0x0A, raw.count - from) else {
                    let rest = raw.count - start
                    if final {
                        line(raw, start..<raw.count, found)
                        scanned = 0
                        return raw.count
                    }
                    if rest > maxMessageBytes {
                        found(.tooLong(rest))
                        discardingLine = true
                        scanned = 0
                        return raw.count
                    }
                    scanned = rest
                    return start
                }
                let nl = UnsafeRawPointer(p) - base
                line(raw, start..<nl, found)
                start = nl + 1
                scanned = 0
            }
        }
        return start
    }

    private enum Start {
        /// Octet counting: the message's length and where its body starts.
        case length(Int, body: Int)
        /// A newline-terminated message.
        case line
        /// Digits so far, and no space yet: more bytes decide.
        case undecided
    }

    /// Whether the message at `start` is octet-counted: `NONZERO-DIGIT *DIGIT SP`, at most 9 digits.
    private func counted(_ raw: UnsafeRawBufferPointer, at start: Int) -> Start {
        guard (0x31...0x39).contains(raw[start]) else { return .line }
        var length = 0
        var i = start
        while i < raw.count, i - start <= 9 {
            let b = raw[i]
            if b == 0x20 { return .length(length, body: i + 1) }
            guard (0x30...0x39).contains(b), i - start < 9 else { return .line }
            length = length * 10 + Int(b - 0x30)
            i += 1
        }
        return .undecided
    }

    /// A newline-framed message, over the limit or not.
    private func line(_ raw: UnsafeRawBufferPointer, _ r: Range<Int>, _ found: (Frame) -> Void) {
        guard r.count <= maxMessageBytes else { return found(.tooLong(r.count)) }
        message(raw, r, found)
    }

    /// A message without its trailing CR and LF; nothing when that leaves it empty.
    private func message(_ raw: UnsafeRawBufferPointer, _ r: Range<Int>, _ found: (Frame) -> Void) {
        var end = r.upperBound
        while end > r.lowerBound, raw[end - 1] == 0x0A || raw[end - 1] == 0x0D { end -= 1 }
        if end > r.lowerBound { found(.message(r.lowerBound..<end)) }
    }
}
