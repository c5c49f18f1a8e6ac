/// A cron schedule (`0 6,18 * * mon-fri`) in a time zone: the five fields minute, hour, day of month,
/// month and day of week, each `*`, a number, a range `a-b`, a list `a,b`, a step `*/n` or `a-b/n`;
/// months and days may be named (`jan`, `mon-fri`; 0 and 7 are Sunday). As in Vixie cron, when both the
/// day of month and the day of week are restricted, a day matching either counts.
///
/// Written by hand: the engine's core needs the next occurrence on event time without Foundation, and no
/// package in the mirror offers cron parsing.
package struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    package let source: String
    package let zone: UTCOffsets
    let minutes: [Int]
    let hours: [Int]
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let anyDay: Bool
    let anyWeekday: Bool

    package struct ParseError: Error, Sendable, Equatable {
        package var message: String
    }

    package var description: String { zone.name == "UTC" ? source : "\(source) (\(zone.name))" }

    package init(_ text: String, zone: UTCOffsets = .utc) throws(ParseError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                message: "cron schedule '\(text)' needs five fields: minute hour day-of-month month day-of-week")
        }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        source = text
        self.zone = zone
        minutes = try Self.field(fields[0], 0...59, [], base: 0, "minute", text).sorted()
        hours = try Self.field(fields[1], 0...23, [], base: 0, "hour", text).sorted()
        days = try Self.field(fields[2], 1...31, [], base: 1, "day of month", text)
        months = try Self.field(fields[3], 1...12, monthNames, base: 1, "month", text)
        weekdays = Set(try Self.field(fields[4], 0...7, dayNames, base: 0, "day of week", text).map { $0 % 7 })
        anyDay = fields[2] == "*"
        anyWeekday = fields[4] == "*"
    }

    private static func field(
        _ f: String, _ range: ClosedRange<Int>, _ names: [String], base: Int, _ what: String, _ text: String
    ) throws(ParseError) -> Set<Int> {
        func value(_ s: Substring) throws(ParseError) -> Int {
            if let n = Int(s), range.contains(n) { return n }
            if let i = names.firstIndex(of: s.lowercased()) { return i + base }
            throw ParseError(
                message: "cron schedule '\(text)': '\(s)' is not a \(what) (\(range.lowerBound)-\(range.upperBound)"
                    + (names.isEmpty ? ")" : " or \(names.first ?? "")…\(names.last ?? ""))"))
        }
        var out: Set<Int> = []
        for part in f.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n >= 1 else {
                    throw ParseError(message: "cron schedule '\(text)': step '\(pieces[1])' must be a number from 1")
                }
                step = n
            }
            let span = pieces[0]
            var lo: Int
            var hi: Int
            if span == "*" {
                lo = range.lowerBound
                hi = range.upperBound
            } else if let dash = span.firstIndex(of: "-"), dash != span.startIndex {
                lo = try value(span[..<dash])
                hi = try value(span[span.index(after: dash)...])
                guard lo <= hi else {
                    throw ParseError(message: "cron schedule '\(text)': range '\(span)' runs backwards")
                }
            } else {
                lo = try value(span)
                hi = pieces.count == 2 ? range.upperBound : lo
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }

    /// The first occurrence strictly after `time` (nil if none within eight years: `0 0 30 2 *`).
    package func next(after time: EventTime) -> EventTime? {
        let after = time.nanoseconds / 1_000_000_000
        // Start from the local day of `after` (a day before, for zones ahead of UTC), and walk days.
        var day = (after + zone.offset(atUTC: after)) / 86_400 - 1
        for _ in 0..<(366 * 8) {
            let (y, m, d) = RFC3339.civilFromDays(day)
            let weekday = Int((day % 7 + 11) % 7)  // 1970-01-01 was a Thursday (4)
            let dayMatches: Bool
            if anyDay || anyWeekday {
                dayMatches = days.contains(Int(d)) && weekdays.contains(weekday)
            } else {
                dayMatches = days.contains(Int(d)) || weekdays.contains(weekday)
            }
            if months.contains(Int(m)) && dayMatches {
                for h in hours {
                    for mi in minutes {
                        let local =
                            RFC3339.daysFromCivil(year: y, month: m, day: d) * 86_400 + Int64(h * 3_600 + mi * 60)
                        let utc = zone.utc(fromLocal: local)
                        if utc > after { return EventTime(nanoseconds: utc * 1_000_000_000) }
                    }
                }
            }
            day += 1
        }
        return nil
    }
}
