import EccCore
import EccYAML
import Foundation

/// Calendar rules (`schedule`) and maintenance windows (one-off and recurring) of a rule file.
extension ContextParser {
    // MARK: Calendar rules

    static func schedule(_ v: YAMLValue, rule name: String) throws(ConfigError) -> Rule.Schedule {
        let m = try v.mapping("schedule", known: ["raise", "clear", "emit", "event", "timezone"])
        let zone = try ZoneOffsets.table(m["timezone"])
        func cron(_ key: String) throws(ConfigError) -> CronSchedule? {
            guard let n = m[key] else { return nil }
            let text = try n.string("schedule.\(key)")
            do { return try CronSchedule(text, zone: zone) } catch { throw n.error(error.message) }
        }
        var s = Rule.Schedule(raise: try cron("raise"), clear: try cron("clear"), emit: try cron("emit"))
        guard s.raise != nil || s.clear != nil || s.emit != nil else {
            throw v.error(
                "rule '\(name)': schedule needs 'raise', 'clear' or 'emit' (a cron schedule, e.g. \"0 6 * * *\")")
        }
        switch (s.emit, m["event"]) {
        case (nil, let e?): throw e.error("schedule.event goes with 'emit'")
        case (_?, nil): throw v.error("rule '\(name)': schedule.emit needs 'event: {type: ...}' (what to send)")
        case (_?, let e?):
            let em = try e.mapping(
                "schedule.event", known: ["source", "host", "type", "severity", "summary", "attributes"])
            guard let type = try em["type"]?.string("schedule.event.type"), !type.isEmpty else {
                throw e.error("schedule.event needs a 'type'")
            }
            var severity = Severity.info
            if let n = em["severity"] {
                let text = try n.string("schedule.event.severity")
                guard let sev = Severity(name: text) else { throw n.error("unknown severity '\(text)'") }
                severity = sev
            }
            var attributes: [(String, AttributeValue)] = []
            if let a = em["attributes"] {
                for (_, k, val) in try a.anyMapping("schedule.event.attributes").entries {
                    attributes.append((k, .string(try val.string("schedule.event.attributes.\(k)"))))
                }
            }
            s.event = Event(
                time: .zero, source: try em["source"]?.string("schedule.event.source") ?? "calendar",
                host: try em["host"]?.string("schedule.event.host") ?? "", type: type, severity: severity,
                summary: try em["summary"]?.string("schedule.event.summary") ?? "", attributes: Attributes(attributes))
        case (nil, nil): break
        }
        return s
    }

    // MARK: Maintenance

    static let weekdays = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7]

    static func maintenance(_ v: YAMLValue) throws(ConfigError) -> MaintenanceWindow {
        let m = try v.mapping(
            "a maintenance window",
            known: [
                "maintenance", "description", "start", "end", "hosts", "match", "every", "days", "at", "duration",
                "timezone", "from", "until",
            ])
        let name = try m["maintenance"]?.string("maintenance") ?? ""
        guard !name.isEmpty else { throw v.error("a maintenance window needs a name: 'maintenance: <name>'") }
        let hosts = try m["hosts"].map { h throws(ConfigError) in try names(h, "hosts") } ?? []
        let match = try m["match"].map { x throws(ConfigError) in try RuleParser.matcher(x, what: "match") }
        guard !hosts.isEmpty || match != nil else {
            throw v.error(
                "maintenance '\(name)' must name 'hosts' (hosts or CIs) or a 'match'; it would cover everything")
        }
        func time(_ key: String) throws(ConfigError) -> EventTime? {
            guard let n = m[key] else { return nil }
            let text = try n.string(key)
            switch RFC3339.check(text) {
            case .success(let t): return t
            case .failure(let p): throw n.error("\(key): " + p.message(text))
            }
        }
        var intervals: [MaintenanceWindow.Interval] = []
        if let every = m["every"] {
            for k in ["start", "end"] {
                guard let node = m[k] else { continue }
                throw node.error("a recurring window uses 'at', 'duration', 'from' and 'until', not '\(k)'")
            }
            intervals = try recurring(m, every: every, name: name, window: v)
        } else {
            guard let start = try time("start") else {
                throw v.error("maintenance '\(name)' needs 'start' and 'end' (one-off) or 'every' (recurring)")
            }
            guard let end = try time("end") else {
                throw v.error("maintenance '\(name)' needs an 'end': a window without one would silence alarms forever")
            }
            guard end > start else { throw (m["end"] ?? v).error("end must be after start") }
            intervals = [.init(start: start, end: end)]
        }
        return MaintenanceWindow(name: name, intervals: intervals, hosts: hosts, match: match, location: v.location)
    }

    static func recurring(_ m: YAMLMapping, every: YAMLValue, name: String, window: YAMLValue) throws(ConfigError)
        -> [MaintenanceWindow.Interval]
    {
        let unit = try every.string("every")
        guard unit == "day" || unit == "week" else { throw every.error("every must be 'day' or 'week', not '\(unit)'") }
        guard let untilNode = m["until"] else {
            throw window.error("recurring maintenance '\(name)' needs 'until' (a date or time): windows must end")
        }
        guard let atNode = m["at"], let durNode = m["duration"] else {
            throw window.error("recurring maintenance '\(name)' needs 'at: \"HH:MM\"' and 'duration'")
        }
        let atText = try atNode.string("at")
        let hm = atText.split(separator: ":").compactMap { Int($0) }
        guard hm.count == 2, (0..<24).contains(hm[0]), (0..<60).contains(hm[1]) else {
            throw atNode.error("at must be a local time HH:MM, not '\(atText)'")
        }
        let duration = try durNode.duration("duration")
        guard duration > 0, duration <= 7 * 86_400 * 1_000_000_000 else {
            throw durNode.error("duration must be longer than 0 and at most 7d")
        }
        var zone = TimeZone(secondsFromGMT: 0) ?? .current
        if let tz = m["timezone"] {
            let id = try tz.string("timezone")
            guard let z = TimeZone(identifier: id) else {
                throw tz.error("unknown time zone '\(id)' (an IANA name such as Europe/Berlin, or UTC)")
            }
            zone = z
        }
        var days: Set<Int> = []
        if let d = m["days"] {
            guard unit == "week" else { throw d.error("'days' applies to 'every: week'") }
            for n in try d.list("days") {
                let text = try n.string("a day").lowercased()
                guard let wd = weekdays[String(text.prefix(3))] else {
                    throw n.error("unknown day '\(text)' (mon, tue, wed, thu, fri, sat, sun)")
                }
                days.insert(wd)
            }
        } else if unit == "week" {
            throw every.error("'every: week' needs 'days: [...]'")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func date(_ key: String, _ n: YAMLValue) throws(ConfigError) -> Date {
            let text = try n.string(key)
            switch RFC3339.check(text) {
            case .success(let t): return Date(timeIntervalSince1970: Double(t.nanoseconds) / 1e9)
            case .failure(let problem) where problem != .syntax: throw n.error("\(key): " + problem.message(text))
            case .failure: break
            }
            // A calendar day, at midnight in the window's time zone; checked first, so an impossible day
            // (2026-02-31) is refused rather than normalised and a day past 2262 never reaches the arithmetic.
            if case .failure(let problem) = RFC3339.checkDay(text) {
                guard problem == .syntax else { throw n.error("\(key): " + problem.message(text)) }
                throw n.error("\(key): '\(text)' is neither a date (2026-12-31) nor an RFC 3339 time")
            }
            let p = text.split(separator: "-").compactMap { Int($0) }
            guard p.count == 3, let d = calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2])),
                d.timeIntervalSince1970 < 9_223_286_400  // a day before the last one an EventTime holds
            else { throw n.error("\(key): " + RFC3339.Problem.outOfRange.message(text)) }
            return d
        }
        var until = try date("until", untilNode)
        if !(try untilNode.string("until")).contains("T") {
            until = calendar.date(byAdding: .day, value: 1, to: until) ?? until  // a date includes its whole day
        }
        let from = try m["from"].map { n throws(ConfigError) in try date("from", n) }
        let earliest = until.addingTimeInterval(-3650 * 86_400)
        var day = calendar.startOfDay(for: max(from ?? earliest, earliest))
        guard day < until else { throw untilNode.error("until must be after from") }
        var out: [MaintenanceWindow.Interval] = []
        while day < until {
            let wd = calendar.component(.weekday, from: day)
            if unit == "day" || days.contains(wd),
                let start = calendar.date(bySettingHour: hm[0], minute: hm[1], second: 0, of: day),
                start < until, start >= (from ?? .distantPast)
            {
                let s = EventTime(seconds: start.timeIntervalSince1970)
                out.append(.init(start: s, end: s.adding(nanoseconds: duration)))
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return out
    }
}
