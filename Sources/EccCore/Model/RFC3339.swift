/// RFC 3339 timestamps, parsed and formatted by hand so the hot path needs neither Foundation nor locales.
///
/// Only real times in ``EventTime``'s range (1970-01-01T00:00:00Z to 2262-04-11T23:47:16Z, see
/// ``EventTime/earliest``) are accepted: an impossible date (`2026-02-31`) or a date outside that range
/// (`9999-12-31`, the usual ITSM "no end"; `1900-01-01`) is refused, never normalised or wrapped around.
/// A leap second is accepted as `23:59:60` only, and counted as the first second of the next day.
package enum RFC3339 {
    /// Why a text is not a time eccd accepts.
    package enum Problem: Error, Sendable, Equatable {
        /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
        case syntax
        /// A day that does not exist (`2026-02-31`) or a field out of its range (hour 25).
        case noSuchTime
        /// A real time outside the range eccd represents (see ``EventTime/earliest`` and ``EventTime/latest``).
        case outOfRange

        /// A sentence about `text`, for error messages.
        package func message(_ text: String) -> String {
            let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
            switch self {
            case .syntax: return "'\(shown)' is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"
            case .noSuchTime: return "'\(shown)' is not a real date and time (no such day, hour, minute or offset)"
            case .outOfRange:
                return "'\(shown)' is outside the times eccd represents (\(EventTime.rangeDescription))"
            }
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t` and a space are accepted for `T`.
    /// Returns nil when the bytes are not such a timestamp. Allocation-free: it runs for every event.
    package static func parse(_ b: UnsafeRawBufferPointer) -> EventTime? {
        if case .success(let t) = check(b) { return t }
        return nil
    }

    /// Parses like ``parse(_:)-(UnsafeRawBufferPointer)`` and says why a text is refused.
    package static func check(_ b: UnsafeRawBufferPointer) -> Result<EventTime, Problem> {
        let n = b.count
        var i = 0
        @inline(__always) func digits(_ count: Int) -> Int64? {
            guard i + count <= n else { return nil }
            var v: Int64 = 0
            for k in i..<(i + count) {
                let c = b[k] &- 0x30
                guard c <= 9 else { return nil }
                v = v * 10 + Int64(c)
            }
            i += count
            return v
        }
        @inline(__always) func take(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(0x2D), let month = digits(2), take(0x2D), let day = digits(2),
            take(UInt8(ascii: "T")) || take(UInt8(ascii: "t")) || take(0x20),
            let hour = digits(2), take(0x3A), let minute = digits(2), take(0x3A), let second = digits(2)
        else { return .failure(.syntax) }
        var fraction: Int64 = 0
        if take(0x2E) {
            var scale: Int64 = 100_000_000
            let start = i
            while i < n, b[i] &- 0x30 <= 9 {
                fraction += Int64(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return .failure(.syntax) }
        }
        var offsetSeconds: Int64 = 0
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            // UTC
        } else if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = digits(2), take(0x3A), let om = digits(2) else { return .failure(.syntax) }
            guard oh < 24, om < 60 else { return .failure(.noSuchTime) }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return .failure(.syntax)
        }
        guard i == n else { return .failure(.syntax) }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
            second < 60 || (second == 60 && hour == 23 && minute == 59)
        else { return .failure(.noSuchTime) }
        let days = daysFromCivil(year: year, month: month, day: day)
        // Four-digit years keep this product far from overflow; only the final scaling to nanoseconds can.
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let (scaled, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        let (ns, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2, ns >= 0 else { return .failure(.outOfRange) }
        return .success(EventTime(nanoseconds: ns))
    }

    /// Parses a string, saying why it is refused.
    package static func check(_ text: String) -> Result<EventTime, Problem> {
        var copy = text
        return copy.withUTF8 { check(UnsafeRawBufferPointer($0)) }
    }

    /// Parses a calendar day `YYYY-MM-DD` as its midnight UTC, refusing days that do not exist and days
    /// outside the range eccd represents.
    package static func checkDay(_ text: String) -> Result<EventTime, Problem> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]), y >= 0, m >= 0, d >= 0
        else { return .failure(.syntax) }
        return check(text + "T00:00:00Z")
    }

    /// Days in a month of the proleptic Gregorian calendar.
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses a string; see ``parse(_:)-(UnsafeRawBufferPointer)``.
    package static func parse(_ text: String) -> EventTime? {
        if case .success(let t) = check(text) { return t }
        return nil
    }

    /// Formats as UTC with milliseconds: `2026-11-25T10:00:00.123Z`.
    package static func format(_ time: EventTime) -> String {
        let ns = time.nanoseconds
        var secs = ns / 1_000_000_000
        var rem = ns % 1_000_000_000
        if rem < 0 {
            rem += 1_000_000_000
            secs -= 1
        }
        var days = secs / 86_400
        var daySecs = secs % 86_400
        if daySecs < 0 {
            daySecs += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(daySecs / 3600, 2)):\(pad(daySecs % 3600 / 60, 2)):"
            + "\(pad(daySecs % 60, 2)).\(pad(rem / 1_000_000, 3))Z"
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
