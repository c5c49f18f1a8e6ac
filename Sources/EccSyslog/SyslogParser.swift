import EccCore

/// Reads one syslog message (a UDP datagram, or one frame of a TCP stream) without copying it first.
///
/// Written by hand: no Swift package parses syslog, and the receiver needs a parser that takes any bytes
/// (it is fuzzed: `make fuzz`, target `syslog`), tells RFC 5424 from RFC 3164 and its vendor variants by
/// looking, and keeps what it cannot read instead of dropping it.
package struct SyslogParser: Sendable {
    /// Year-less BSD times are placed by the arrival; they are read in this zone (devices send local time
    /// without saying which).
    package let zone: UTCOffsets
    private let bsd: [TimeFormat]
    /// The same, read as UTC: for a time followed by its zone.
    private let bsdUTC: [TimeFormat]

    package init(zone: UTCOffsets = .utc) {
        self.zone = zone
        // Month, day, [year,] time, [fraction]: Cisco adds milliseconds, Huawei the year.
        let formats = ["%b %e %H:%M:%S", "%b %e %H:%M:%S.%f", "%b %e %Y %H:%M:%S", "%b %e %Y %H:%M:%S.%f"]
        bsd = formats.compactMap { try? TimeFormat($0, zone: zone) }
        bsdUTC = formats.compactMap { try? TimeFormat($0, zone: .utc) }
    }

    /// The message in `bytes`; `reference` (the arrival) places times that carry no year.
    package func parse(_ bytes: UnsafeRawBufferPointer, reference: EventTime) -> SyslogMessage {
        var s = Scanner(bytes)
        s.trimEnd()
        guard !s.atEnd else {
            return SyslogMessage(format: .unknown, facility: 1, severity: 5, message: "", problem: .empty)
        }
        // <PRI>: RFC 3164 says a message without one is user.notice (13).
        var pri = 13
        var problem: SyslogMessage.Problem?
        if s.peek == UInt8(ascii: "<") {
            let start = s.i
            s.i += 1
            if let v = s.digits(max: 3), v <= 191, s.take(UInt8(ascii: ">")) {
                pri = v
            } else {
                s.i = start
                return SyslogMessage(
                    format: .unknown, facility: 1, severity: 5, message: s.rest(), problem: .badPriority)
            }
        } else {
            problem = .noPriority
        }
        let facility = pri >> 3
        let severity = pri & 7
        // RFC 5424: a version (1 to 3 digits, not 0), a space, and a timestamp or "-" (so that plain text
        // such as "<13>2 links down" stays text).
        let afterPRI = s.i
        if let d = s.peek, d >= UInt8(ascii: "1"), d <= UInt8(ascii: "9"), let v = s.digits(max: 3), s.peek == 0x20,
            s.i + 1 < s.end, isDigit(s.b[s.i + 1]) || s.b[s.i + 1] == UInt8(ascii: "-")
        {
            s.i += 1
            var m = rfc5424(&s, facility: facility, severity: severity)
            if v != 1 { m.problem = m.problem ?? .badVersion }
            if let problem { m.problem = problem }
            return m
        }
        s.i = afterPRI
        var m = rfc3164(&s, facility: facility, severity: severity, reference: reference)
        if let problem { m.problem = problem }
        return m
    }

    // MARK: RFC 5424

    private func rfc5424(_ s: inout Scanner, facility: Int, severity: Int) -> SyslogMessage {
        var m = SyslogMessage(format: .rfc5424, facility: facility, severity: severity, message: "")
        // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each a run of printable characters or "-".
        var fields: [String?] = []
        for _ in 0..<5 {
            guard !s.atEnd else {
                m.problem = .truncatedHeader
                break
            }
            fields.append(s.token())
            _ = s.take(0x20)
        }
        if let t = fields.first ?? nil {
            var text = t
            m.time = text.withUTF8 { RFC3339.parse(UnsafeRawBufferPointer($0)) }
            if m.time == nil { m.problem = m.problem ?? .badTimestamp }
        }
        if fields.count > 1 { m.hostname = fields[1] }
        if fields.count > 2 { m.appName = fields[2] }
        if fields.count > 3 { m.procID = fields[3] }
        if fields.count > 4 { m.msgID = fields[4] }
        guard m.problem != .truncatedHeader, !s.atEnd else {
            if fields.count == 5 { m.problem = m.problem ?? .truncatedHeader }
            return m
        }
        // STRUCTURED-DATA: "-" or elements.
        if s.peek == UInt8(ascii: "-") {
            s.i += 1
        } else if s.peek == UInt8(ascii: "[") {
            let start = s.i
            if let elements = structuredData(&s) {
                m.structuredData = elements
            } else {
                s.i = start
                m.problem = m.problem ?? .badStructuredData
                m.message = s.rest()
                return m
            }
        } else {
            m.problem = m.problem ?? .badStructuredData
            m.message = s.rest()
            return m
        }
        if s.take(0x20) {
            m.message = s.message()
        } else if !s.atEnd {
            // Structured data must be followed by a space and the message, or nothing.
            m.problem = m.problem ?? .badStructuredData
            m.message = s.rest()
        }
        return m
    }

    /// `[id name="value" ...]...`; nil when it does not parse (values escape `"`, `\` and `]` with `\`).
    private func structuredData(_ s: inout Scanner) -> [SyslogMessage.Element]? {
        var out: [SyslogMessage.Element] = []
        while s.take(UInt8(ascii: "[")) {
            guard let id = s.name() else { return nil }
            var element = SyslogMessage.Element(id: id, parameters: [])
            while s.take(0x20) {
                guard let name = s.name(), s.take(UInt8(ascii: "=")), s.take(UInt8(ascii: "\"")) else { return nil }
                var value: [UInt8] = []
                var closed = false
                while let c = s.next() {
                    if c == UInt8(ascii: "\\"), let n = s.peek,
                        n == UInt8(ascii: "\"") || n == UInt8(ascii: "\\") || n == UInt8(ascii: "]")
                    {
                        value.append(n)
                        s.i += 1
                    } else if c == UInt8(ascii: "\"") {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return nil }
                element.parameters.append(.init(name, String(decoding: value, as: UTF8.self)))
            }
            guard s.take(UInt8(ascii: "]")) else { return nil }
            out.append(element)
        }
        return out
    }

    // MARK: RFC 3164 and what devices send

    private func rfc3164(
        _ s: inout Scanner, facility: Int, severity: Int, reference: EventTime
    ) -> SyslogMessage {
        var m = SyslogMessage(format: .rfc3164, facility: facility, severity: severity, message: "")
        // Cisco: "123: " (a sequence number), then perhaps "host: ", before the time (or the uptime, or the
        // mnemonic). A number and a colon followed by anything else is text ("<13>404: not found").
        let start = s.i
        if let n = s.digitText(), s.take(UInt8(ascii: ":")), s.take(0x20), ciscoAhead(s) {
            m.sequence = n
        } else {
            s.i = start
        }
        if m.sequence != nil {
            let before = s.i
            if let host = s.token(), host.hasSuffix(":"), host.count > 1, s.take(0x20), timeStarts(s) {
                m.hostname = String(host.dropLast())
            } else {
                s.i = before
            }
        }
        // "*" (clock not synchronised) or "." (synchronised, lost since) before a Cisco time.
        if s.peek == UInt8(ascii: "*") || s.peek == UInt8(ascii: ".") {
            let before = s.i
            s.i += 1
            if !timeStarts(s) { s.i = before }
        }
        m.time = time(&s, reference: reference)
        // Cisco's uptime instead of a time ("00:01:02: ", "1w2d: "): skipped, the event takes its arrival.
        if m.time == nil, m.sequence != nil { uptime(&s) }
        if m.time != nil {
            _ = s.take(UInt8(ascii: ":"))  // Cisco ends its time with a colon
            _ = s.take(0x20)
            // The hostname, unless what follows the time is already the tag (no hostname sent).
            if m.hostname == nil {
                let before = s.i
                if let token = s.token(), !looksLikeTag(token) {
                    m.hostname = token
                    _ = s.take(0x20)
                } else {
                    s.i = before
                }
            }
        } else if m.sequence == nil {
            m.format = .unknown
        }
        // TAG[PID]: — an app name (or a vendor mnemonic: %LINK-3-UPDOWN, %%01IFNET/4/LINK_STATE(l)), a
        // process id, then a colon. A tag does not start with a digit ("<13>404: not found" is text).
        let tagStart = s.i
        var tag: [UInt8] = []
        if let first = s.peek, !isDigit(first) {
            while let c = s.peek, c != 0x20, c != UInt8(ascii: "["), c != UInt8(ascii: ":"), tag.count < 128 {
                tag.append(c)
                s.i += 1
            }
        }
        var pid: String?
        if !tag.isEmpty, s.take(UInt8(ascii: "[")) {
            var p: [UInt8] = []
            while let c = s.peek, c != UInt8(ascii: "]"), p.count < 128 {
                p.append(c)
                s.i += 1
            }
            if s.take(UInt8(ascii: "]")) { pid = String(decoding: p, as: UTF8.self) } else { tag = [] }
        }
        if !tag.isEmpty, s.take(UInt8(ascii: ":")) {
            m.appName = String(decoding: tag, as: UTF8.self)
            m.procID = pid
            _ = s.take(0x20)
        } else {
            s.i = tagStart
        }
        m.message = s.message()
        return m
    }

    /// What may follow a Cisco sequence number: a time (with its clock marker), an uptime, a hostname and a
    /// time, or the mnemonic.
    private func ciscoAhead(_ s: Scanner) -> Bool {
        guard let c = s.peek else { return false }
        if c == UInt8(ascii: "*") || c == UInt8(ascii: ".") || c == UInt8(ascii: "%") || timeStarts(s) { return true }
        var t = s
        if uptime(&t) { return true }
        t = s
        guard let host = t.token(), host.hasSuffix(":"), t.take(0x20) else { return false }
        return timeStarts(t) || t.peek == UInt8(ascii: "*") || t.peek == UInt8(ascii: ".")
    }

    /// Cisco's uptime stamp (`00:01:02:`, `1w2d:`, `3d04h:`) and its space: consumed, true; else `s` unmoved.
    @discardableResult
    private func uptime(_ s: inout Scanner) -> Bool {
        let start = s.i
        var n = 0
        while let c = s.peek, n < 16,
            isDigit(c) || c == UInt8(ascii: ":") || c == UInt8(ascii: ".") || c == UInt8(ascii: "w")
                || c == UInt8(ascii: "d") || c == UInt8(ascii: "h")
        {
            s.i += 1
            n += 1
        }
        // Ends with a colon and a space, and starts with a digit.
        guard n >= 3, isDigit(s.b[start]), s.b[s.i - 1] == UInt8(ascii: ":"), s.take(0x20) else {
            s.i = start
            return false
        }
        return true
    }

    /// A token that starts the message rather than naming a host: it ends with a colon or holds a `[`.
    private func looksLikeTag(_ token: String) -> Bool {
        token.hasSuffix(":") || token.contains("[") || token.hasPrefix("%")
    }

    /// Whether a time starts here: a month name and a space, or four digits and a dash (RFC 3339).
    private func timeStarts(_ s: Scanner) -> Bool {
        if s.monthAhead() { return true }
        var t = s
        guard let year = t.digitText(), year.count == 4 else { return false }
        return t.peek == UInt8(ascii: "-")
    }

    /// A BSD time (`Dec  7 11:00:00`, with a year, a fraction, a zone) or an RFC 3339 one; nil (and `s`
    /// unmoved) when there is none.
    private func time(_ s: inout Scanner, reference: EventTime) -> EventTime? {
        let start = s.i
        if !s.monthAhead() {
            // RFC 3339 in a BSD header (rsyslog's forwarding format).
            guard timeStarts(s), let t = s.token() else { return nil }
            var text = t
            if text.hasSuffix(":") { text.removeLast() }
            if let time = text.withUTF8({ RFC3339.parse(UnsafeRawBufferPointer($0)) }) { return time }
            s.i = start
            return nil
        }
        // Month, spaces, day, [year,] then the clock: digits, colons and a fraction.
        var end = s.i + 3
        while end < s.end, s.b[end] == 0x20 { end += 1 }
        var fields = 0
        while end < s.end, fields < 3 {
            let fieldStart = end
            while end < s.end, isDigit(s.b[end]) || s.b[end] == UInt8(ascii: ":") || s.b[end] == UInt8(ascii: ".") {
                end += 1
            }
            guard end > fieldStart else { return nil }
            fields += 1
            if s.b[fieldStart..<end].contains(UInt8(ascii: ":")) { break }  // the clock: done
            guard end < s.end, s.b[end] == 0x20 else { return nil }
            end += 1
        }
        // A colon right after the clock ends a Cisco time; it is not part of it.
        if s.b[end - 1] == UInt8(ascii: ":") { end -= 1 }
        let bytes = UnsafeRawBufferPointer(rebasing: s.b[s.i..<end])
        var after = Scanner(s.b)
        after.i = end
        after.end = s.end
        let zone = after.zone()
        for f in zone == nil ? bsd : bsdUTC {
            guard let t = f.parse(bytes, reference: reference) else { continue }
            s.i = after.i
            guard let offset = zone else { return t }
            return t.adding(nanoseconds: -offset * 1_000_000_000)
        }
        return nil
    }
}

func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
func isUpper(_ c: UInt8) -> Bool { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") }

/// A cursor over the message's bytes.
struct Scanner {
    let b: UnsafeRawBufferPointer
    var i: Int
    var end: Int

    init(_ b: UnsafeRawBufferPointer) {
        self.b = b
        i = 0
        end = b.count
    }

    var atEnd: Bool { i >= end }
    var peek: UInt8? { i < end ? b[i] : nil }

    mutating func next() -> UInt8? {
        guard i < end else { return nil }
        defer { i += 1 }
        return b[i]
    }

    mutating func take(_ c: UInt8) -> Bool {
        guard i < end, b[i] == c else { return false }
        i += 1
        return true
    }

    /// Drops line ends and NULs at the end (senders add `\n`, `\r\n`, or a NUL).
    mutating func trimEnd() {
        while end > 0, b[end - 1] == 0x0A || b[end - 1] == 0x0D || b[end - 1] == 0 { end -= 1 }
    }

    /// Up to `max` decimal digits as a number; nil (and `i` unmoved) when there is none.
    mutating func digits(max: Int) -> Int? {
        var v = 0
        var n = 0
        while n < max, let c = peek, isDigit(c) {
            v = v * 10 + Int(c - UInt8(ascii: "0"))
            i += 1
            n += 1
        }
        return n == 0 ? nil : v
    }

    /// A run of digits (at most 20) as text.
    mutating func digitText() -> String? {
        let start = i
        while i < end, i - start < 20, isDigit(b[i]) { i += 1 }
        guard i > start else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    /// Bytes up to the next space (or the end): nil for "-" (RFC 5424's nil value) or nothing.
    mutating func token() -> String? {
        let start = i
        while i < end, b[i] != 0x20 { i += 1 }
        guard i > start else { return nil }
        if i - start == 1, b[start] == UInt8(ascii: "-") { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    /// An SD-ID or PARAM-NAME: printable ASCII but `=`, space, `]` and `"`, 1 to 32 bytes.
    mutating func name() -> String? {
        let start = i
        while i < end, i - start < 32, b[i] > 0x20, b[i] < 0x7F, b[i] != UInt8(ascii: "="), b[i] != UInt8(ascii: "]"),
            b[i] != UInt8(ascii: "\"")
        {
            i += 1
        }
        guard i > start else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    /// A zone right after a time, as seconds east of UTC, consumed: `Z`, ` UTC`, ` GMT` (0), `+08:00`,
    /// `-0500`. nil for anything else (nothing consumed), and for a zone name eccd cannot place (` CET`:
    /// skipped, and the time read in the configured zone).
    mutating func zone() -> Int64? {
        if take(UInt8(ascii: "Z")) { return 0 }
        if let c = peek, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            let start = i
            i += 1
            var digits: [Int64] = []
            while let d = peek, digits.count < 4 {
                if isDigit(d) {
                    digits.append(Int64(d - UInt8(ascii: "0")))
                    i += 1
                } else if d == UInt8(ascii: ":"), digits.count == 2, i + 1 < end, isDigit(b[i + 1]) {
                    i += 1
                } else {
                    break
                }
            }
            guard digits.count == 4 || digits.count == 2 else {
                i = start
                return nil
            }
            let hours = digits[0] * 10 + digits[1]
            let minutes = digits.count == 4 ? digits[2] * 10 + digits[3] : 0
            guard hours <= 14, minutes < 60 else {
                i = start
                return nil
            }
            let seconds = (hours * 60 + minutes) * 60
            return c == UInt8(ascii: "-") ? -seconds : seconds
        }
        guard peek == 0x20 else { return nil }
        var j = i + 1
        while j < end, j - i <= 5, isUpper(b[j]) { j += 1 }
        let letters = j - i - 1
        guard letters >= 2, letters <= 4, j == end || b[j] == UInt8(ascii: ":") || b[j] == 0x20 else { return nil }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[(i + 1)..<j]), as: UTF8.self)
        // Only names of zones (a hostname such as CORE would be lost otherwise).
        guard Scanner.zoneNames.contains(name) else { return nil }
        i = j
        return name == "UTC" || name == "GMT" ? 0 : nil
    }

    /// Zone names devices put after a time (Cisco's `clock timezone`, Juniper's): UTC and GMT are read as
    /// such, the others skipped.
    static let zoneNames: Set<String> = [
        "UTC", "GMT", "CET", "CEST", "EET", "EEST", "WET", "WEST", "BST", "MSK", "EST", "EDT", "CST", "CDT", "MST",
        "MDT", "PST", "PDT", "AKST", "AKDT", "HST", "JST", "KST", "IST", "HKT", "SGT", "AEST", "AEDT", "NZST", "NZDT",
    ]

    /// Whether a month's three-letter name and a space start here.
    func monthAhead() -> Bool {
        guard i + 3 < end, b[i + 3] == 0x20 else { return false }
        let m = (UInt32(b[i] | 0x20) << 16) | (UInt32(b[i + 1] | 0x20) << 8) | UInt32(b[i + 2] | 0x20)
        return Scanner.months.contains(m)
    }

    static let months: Set<UInt32> = Set(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { name in
            let u = Array(name.utf8)
            return (UInt32(u[0]) << 16) | (UInt32(u[1]) << 8) | UInt32(u[2])
        })

    /// The rest as text, as it came.
    mutating func rest() -> String {
        defer { i = end }
        return String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<end]), as: UTF8.self)
    }

    /// The rest as the message: without a UTF-8 BOM.
    mutating func message() -> String {
        if end - i >= 3, b[i] == 0xEF, b[i + 1] == 0xBB, b[i + 2] == 0xBF { i += 3 }
        return rest()
    }
}
