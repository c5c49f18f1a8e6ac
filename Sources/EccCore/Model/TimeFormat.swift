/// How a [line parser](LineParser) reads an event's time out of a captured text: `rfc3339`, `unix`
/// (seconds, with an optional fraction), `unix_ms`, or a strptime-style format such as `%b %e %H:%M:%S`
/// (traditional syslog) or `%d/%b/%Y:%H:%M:%S %z` (web server logs).
///
/// Written by hand rather than on glibc's `strptime`: that one depends on the process's locale (month
/// names), reads no fractions of a second, and offers no way to say which year a year-less time (syslog's)
/// belongs to. The directives: `%Y` (4-digit year), `%y` (2 digits: 69–99 are 19xx), `%m`, `%d`, `%e`
/// (day, space-padded), `%H`, `%I` with `%p` (AM/PM), `%M`, `%S`, `%f` (fraction of a second, 1–9
/// digits), `%b`/`%h`/`%B` (English month name, abbreviated or full, any case), `%a`/`%A` (weekday name,
/// skipped), `%j` (day of the year), `%z` (`+hhmm`, `+hh:mm` or `Z`), `%Z` (`UTC`, `GMT` or `Z`), `%s`
/// (seconds since the epoch), `%T` (`%H:%M:%S`), `%F` (`%Y-%m-%d`), `%%`. A space matches any run of
/// spaces and tabs, as strptime's does. After the last directive, `.123` or `,123` is read as a fraction
/// of a second when the format has no `%f`; anything else left over refuses the time.
///
/// A time without a year (`%b %e %H:%M:%S`) takes the year that puts it at most a day after the reference
/// (the time the line arrived; in a replay, the file's modification time). A time without an offset is local
/// time in the parser's time zone (UTC unless given).
package struct TimeFormat: Sendable, Hashable, CustomStringConvertible {
    /// The format as written.
    package let source: String
    let kind: Kind
    /// Local time's offsets from UTC, for formats without `%z`.
    let zone: UTCOffsets

    enum Kind: Sendable, Hashable {
        case rfc3339
        case unixSeconds
        case unixMillis
        case pattern([Directive], hasYear: Bool, hasFraction: Bool)
    }

    enum Directive: Sendable, Hashable {
        case literal(UInt8)
        case space
        case year4, year2, month, day, dayOfYear, hour24, hour12, minute, second, fraction
        case monthName, weekdayName, ampm, offset, zoneName, epoch
    }

    /// A format that cannot be read.
    package struct FormatError: Error, Sendable, Equatable {
        package var message: String
    }

    package init(_ text: String, zone: UTCOffsets = .utc) throws(FormatError) {
        source = text
        self.zone = zone
        switch text {
        case "rfc3339": kind = .rfc3339
        case "unix": kind = .unixSeconds
        case "unix_ms": kind = .unixMillis
        default:
            guard text.contains("%") else {
                throw FormatError(
                    message: "time format '\(text)' is none of rfc3339, unix, unix_ms, and has no % directive")
            }
            kind = try Self.compile(Array(text.utf8), text)
        }
    }

    package var description: String { source }

    private static func compile(_ f: [UInt8], _ text: String) throws(FormatError) -> Kind {
        var out: [Directive] = []
        var i = 0
        while i < f.count {
            let c = f[i]
            if c == 0x20 || c == 0x09 {
                if out.last != .space { out.append(.space) }
                i += 1
                continue
            }
            guard c == UInt8(ascii: "%") else {
                out.append(.literal(c))
                i += 1
                continue
            }
            guard i + 1 < f.count else { throw FormatError(message: "time format '\(text)' ends with a lone %") }
            switch f[i + 1] {
            case UInt8(ascii: "Y"): out.append(.year4)
            case UInt8(ascii: "y"): out.append(.year2)
            case UInt8(ascii: "m"): out.append(.month)
            case UInt8(ascii: "d"), UInt8(ascii: "e"): out.append(.day)
            case UInt8(ascii: "j"): out.append(.dayOfYear)
            case UInt8(ascii: "H"): out.append(.hour24)
            case UInt8(ascii: "I"): out.append(.hour12)
            case UInt8(ascii: "M"): out.append(.minute)
            case UInt8(ascii: "S"): out.append(.second)
            case UInt8(ascii: "f"): out.append(.fraction)
            case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "B"): out.append(.monthName)
            case UInt8(ascii: "a"), UInt8(ascii: "A"): out.append(.weekdayName)
            case UInt8(ascii: "p"): out.append(.ampm)
            case UInt8(ascii: "z"): out.append(.offset)
            case UInt8(ascii: "Z"): out.append(.zoneName)
            case UInt8(ascii: "s"): out.append(.epoch)
            case UInt8(ascii: "T"):
                out += [.hour24, .literal(UInt8(ascii: ":")), .minute, .literal(UInt8(ascii: ":")), .second]
            case UInt8(ascii: "F"):
                out += [.year4, .literal(UInt8(ascii: "-")), .month, .literal(UInt8(ascii: "-")), .day]
            case UInt8(ascii: "%"): out.append(.literal(UInt8(ascii: "%")))
            default:
                let d = String(decoding: f[i...i + 1], as: UTF8.self)
                throw FormatError(
                    message: "time format '\(text)': \(d) is not a directive eccd reads "
                        + "(%Y %y %m %d %e %j %H %I %M %S %f %b %h %B %a %A %p %z %Z %s %T %F %%)")
            }
            i += 2
        }
        let has = Set(out.map { "\($0)" })
        if has.contains("hour12") != has.contains("ampm") {
            throw FormatError(message: "time format '\(text)': %I and %p go together")
        }
        if !has.contains("epoch") {
            for (need, words) in [("hour24", "an hour (%H or %I)"), ("minute", "minutes (%M)")]
            where !(has.contains(need) || need == "hour24" && has.contains("hour12")) {
                throw FormatError(message: "time format '\(text)' has no \(words)")
            }
            if !has.contains("dayOfYear")
                && !(has.contains("day") && (has.contains("month") || has.contains("monthName")))
            {
                throw FormatError(message: "time format '\(text)' has no date (%d with %m or %b, or %j)")
            }
        }
        return .pattern(
            out, hasYear: has.contains("year4") || has.contains("year2") || has.contains("epoch"),
            hasFraction: has.contains("fraction"))
    }

    /// The time `text` gives, or nil when it does not fit the format (or lies outside 1970–2262).
    package func parse(_ text: String, reference: EventTime) -> EventTime? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), reference: reference) }
    }

    package func parse(_ b: UnsafeRawBufferPointer, reference: EventTime) -> EventTime? {
        switch kind {
        case .rfc3339:
            return RFC3339.parse(b)
        case .unixSeconds, .unixMillis:
            var p = Scanner(b)
            guard let whole = p.digits(max: 15), p.atEnd || p.peek == UInt8(ascii: ".") else { return nil }
            var nanos: Int64 = 0
            if p.peek == UInt8(ascii: ".") {
                p.i += 1
                guard let f = p.fraction() else { return nil }
                nanos = f
            }
            guard p.atEnd else { return nil }
            let (scale, per) = kind == .unixMillis ? (Int64(1_000_000), Int64(1_000)) : (Int64(1_000_000_000), Int64(1))
            let (ns, o1) = whole.multipliedReportingOverflow(by: scale)
            let (t, o2) = ns.addingReportingOverflow(nanos / per)
            return o1 || o2 ? nil : EventTime(nanoseconds: t)
        case .pattern(let directives, let hasYear, let hasFraction):
            return parsePattern(b, directives, hasYear: hasYear, hasFraction: hasFraction, reference: reference)
        }
    }

    private func parsePattern(
        _ b: UnsafeRawBufferPointer, _ directives: [Directive], hasYear: Bool, hasFraction: Bool,
        reference: EventTime
    ) -> EventTime? {
        var p = Scanner(b)
        var year: Int64?
        var month: Int64 = 1
        var day: Int64 = 1
        var yday: Int64?
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var nanos: Int64 = 0
        var pm: Bool?
        var offset: Int64?
        var epoch: Int64?
        for d in directives {
            switch d {
            case .literal(let c):
                guard p.peek == c else { return nil }
                p.i += 1
            case .space: p.skipSpaces()
            case .year4: guard let v = p.digits(max: 4) else { return nil }; year = v
            case .year2:
                guard let v = p.digits(max: 2) else { return nil }
                year = v >= 69 ? 1900 + v : 2000 + v
            case .month: guard let v = p.digits(max: 2), (1...12).contains(v) else { return nil }; month = v
            case .day:
                p.skipSpaces()
                guard let v = p.digits(max: 2), (1...31).contains(v) else { return nil }
                day = v
            case .dayOfYear: guard let v = p.digits(max: 3), (1...366).contains(v) else { return nil }; yday = v
            case .hour24: guard let v = p.digits(max: 2), v < 24 else { return nil }; hour = v
            case .hour12: guard let v = p.digits(max: 2), (1...12).contains(v) else { return nil }; hour = v
            case .minute: guard let v = p.digits(max: 2), v < 60 else { return nil }; minute = v
            case .second: guard let v = p.digits(max: 2), v <= 60 else { return nil }; second = min(v, 59)
            case .fraction: guard let f = p.fraction() else { return nil }; nanos = f
            case .monthName: guard let v = p.monthName() else { return nil }; month = v
            case .weekdayName: guard p.weekdayName() else { return nil }
            case .ampm:
                guard let v = p.ampm() else { return nil }
                pm = v
            case .offset: guard let v = p.offset() else { return nil }; offset = v
            case .zoneName: guard p.zoneName() else { return nil }; offset = 0
            case .epoch: guard let v = p.digits(max: 12) else { return nil }; epoch = v
            }
        }
        if !hasFraction, p.peek == UInt8(ascii: ".") || p.peek == UInt8(ascii: ",") {
            p.i += 1
            guard let f = p.fraction() else { return nil }
            nanos = f
        }
        p.skipSpaces()
        guard p.atEnd else { return nil }
        if let pm {
            hour = hour % 12 + (pm ? 12 : 0)
        }
        var seconds: Int64
        if let epoch {
            seconds = epoch
        } else {
            func local(_ y: Int64) -> Int64? {
                var days: Int64
                if let yday {
                    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
                    guard yday <= (leap ? 366 : 365) else { return nil }
                    days = RFC3339.daysFromCivil(year: y, month: 1, day: 1) + yday - 1
                } else {
                    guard day <= RFC3339.daysIn(month: month, year: y) else { return nil }
                    days = RFC3339.daysFromCivil(year: y, month: month, day: day)
                }
                let naive = days * 86_400 + hour * 3_600 + minute * 60 + second
                return offset.map { naive - $0 } ?? zone.utc(fromLocal: naive)
            }
            if let year {
                guard let s = local(year) else { return nil }
                seconds = s
            } else {
                // The year that puts the time at most a day after the reference (a log read just after New
                // Year still has December's lines in the old year).
                let refSeconds = reference.nanoseconds / 1_000_000_000
                let refYear = RFC3339.civilFromDays(refSeconds / 86_400).0
                guard let s = local(refYear) ?? local(refYear - 1) else { return nil }
                if s > refSeconds + 86_400, let earlier = local(refYear - 1) {
                    seconds = earlier
                } else {
                    seconds = s
                }
            }
        }
        guard seconds >= 0, seconds < Int64.max / 1_000_000_000 - 1 else { return nil }
        return EventTime(nanoseconds: seconds * 1_000_000_000 + nanos)
    }

    /// Reads a captured time's bytes.
    private struct Scanner {
        let b: UnsafeRawBufferPointer
        var i = 0

        init(_ b: UnsafeRawBufferPointer) { self.b = b }

        var atEnd: Bool { i >= b.count }
        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func skipSpaces() {
            while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
        }

        /// 1 to `max` digits.
        mutating func digits(max: Int) -> Int64? {
            var v: Int64 = 0
            var n = 0
            while n < max, let c = peek, c >= 0x30, c <= 0x39 {
                v = v * 10 + Int64(c - 0x30)
                i += 1
                n += 1
            }
            return n == 0 ? nil : v
        }

        /// 1 to 9 digits as nanoseconds (more digits are read and dropped).
        mutating func fraction() -> Int64? {
            var v: Int64 = 0
            var n = 0
            while let c = peek, c >= 0x30, c <= 0x39 {
                if n < 9 { v = v * 10 + Int64(c - 0x30) }
                i += 1
                n += 1
            }
            guard n > 0 else { return nil }
            for _ in min(n, 9)..<9 { v *= 10 }
            return v
        }

        static let months = [
            "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december",
        ].map { Array($0.utf8) }
        static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].map {
            Array($0.utf8)
        }

        /// A name from `names`, full or its first three letters, any case; its index.
        mutating func name(_ names: [[UInt8]]) -> Int? {
            for (n, full) in names.enumerated() {
                var k = 0
                while k < full.count, i + k < b.count, b[i + k] | 0x20 == full[k] { k += 1 }
                if k == full.count || k == 3 {
                    i += k
                    return n
                }
            }
            return nil
        }

        mutating func monthName() -> Int64? { name(Self.months).map { Int64($0) + 1 } }
        mutating func weekdayName() -> Bool { name(Self.weekdays) != nil }

        mutating func ampm() -> Bool? {
            guard i + 1 < b.count, b[i + 1] | 0x20 == UInt8(ascii: "m") else { return nil }
            let c = b[i] | 0x20
            guard c == UInt8(ascii: "a") || c == UInt8(ascii: "p") else { return nil }
            i += 2
            return c == UInt8(ascii: "p")
        }

        /// `Z`, `+hh`, `+hhmm` or `+hh:mm`, as seconds east of UTC.
        mutating func offset() -> Int64? {
            guard let c = peek else { return nil }
            if c == UInt8(ascii: "Z") {
                i += 1
                return 0
            }
            guard c == UInt8(ascii: "+") || c == UInt8(ascii: "-") else { return nil }
            i += 1
            let start = i
            guard let hh = digits(max: 2), i - start == 2, hh < 24 else { return nil }
            var mm: Int64 = 0
            if peek == UInt8(ascii: ":") { i += 1 }
            let m0 = i
            if let v = digits(max: 2) {
                guard i - m0 == 2, v < 60 else { return nil }
                mm = v
            }
            let s = hh * 3_600 + mm * 60
            return c == UInt8(ascii: "-") ? -s : s
        }

        mutating func zoneName() -> Bool {
            for z in ["UTC", "GMT", "Z"] {
                let u = Array(z.utf8)
                if i + u.count <= b.count, (0..<u.count).allSatisfy({ b[i + $0] == u[$0] }) {
                    i += u.count
                    return true
                }
            }
            return false
        }
    }
}

/// A time zone's offsets from UTC over time, for local times in logs: the offset in force from each
/// transition on (UTC seconds), built at load from the system's time zone database (see
/// `EccRules`), so the engine's core needs no Foundation.
package struct UTCOffsets: Sendable, Hashable {
    /// The zone's name (`Europe/Berlin`, `UTC`).
    package let name: String
    /// Transition instants (UTC seconds since the epoch), ascending; `offsets[i]` holds from `starts[i]`.
    let starts: [Int64]
    /// Seconds east of UTC; `offsets[0]` also holds before the first transition.
    let offsets: [Int64]

    package static let utc = UTCOffsets(name: "UTC", starts: [Int64.min], offsets: [0])

    package init(name: String, starts: [Int64], offsets: [Int64]) {
        precondition(!starts.isEmpty && starts.count == offsets.count)
        self.name = name
        self.starts = starts
        self.offsets = offsets
    }

    /// The offset in force at `utc`.
    package func offset(atUTC utc: Int64) -> Int64 {
        var lo = 0
        var hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= utc { lo = mid } else { hi = mid - 1 }
        }
        return offsets[lo]
    }

    /// The UTC instant of a local wall-clock time (seconds as if the local time were UTC). In a gap (clocks
    /// went forward) the time is read with the offset before it; in an overlap, as the earlier instant.
    package func utc(fromLocal local: Int64) -> Int64 {
        // Offsets change at most once within a day here: the one before and the one after.
        let before = offset(atUTC: local &- 86_400)
        let after = offset(atUTC: local &+ 86_400)
        // An offset is right when it is the one in force at the instant it gives (both are in an overlap,
        // neither in a gap).
        let valid = [before, after].filter { offset(atUTC: local &- $0) == $0 }.map { local &- $0 }
        return valid.min() ?? local &- before
    }
}
