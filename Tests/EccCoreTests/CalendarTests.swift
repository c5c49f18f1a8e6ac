import EccCore
import EccTestSupport
import Testing

@Suite("Calendar rules and cron schedules")
struct CalendarTests {
    static func at(_ text: String) -> EventTime { RFC3339.parse(text) ?? .zero }

    @Test(
        "next occurrences",
        arguments: [
            ("0 6,18 * * *", "2025-11-25T10:00:00Z", "2025-11-25T18:00:00.000Z"),
            ("0 6,18 * * *", "2025-11-25T18:00:00Z", "2025-11-26T06:00:00.000Z"),
            ("*/15 9-17 * * mon-fri", "2025-11-29T12:00:00Z", "2025-12-01T09:00:00.000Z"),  // Saturday → Monday
            ("30 2 1 * *", "2025-11-25T10:00:00Z", "2025-12-01T02:30:00.000Z"),
            ("0 0 29 feb *", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"),
            ("0 12 13 * fri", "2025-11-25T10:00:00Z", "2025-11-28T12:00:00.000Z"),  // day 13 OR a Friday
            ("0 0 * * 7", "2025-11-25T10:00:00Z", "2025-11-30T00:00:00.000Z"),  // 7 is Sunday
            ("0 9 * jan,jul *", "2025-11-25T10:00:00Z", "2026-01-01T09:00:00.000Z"),
        ])
    func next(cron: String, after: String, expected: String) throws {
        #expect(try CronSchedule(cron).next(after: Self.at(after))?.description == expected)
    }

    @Test("a schedule in a zone with daylight saving time fires at the local time, once on the day clocks go back")
    func zone() throws {
        // Europe/Berlin as EccRules builds it: CET, CEST from 2025-03-30T01:00Z, CET from 2025-10-26T01:00Z.
        let berlin = UTCOffsets(
            name: "Europe/Berlin", starts: [Int64.min, 1_743_296_400, 1_761_440_400], offsets: [3600, 7200, 3600])
        let six = try CronSchedule("0 6 * * *", zone: berlin)
        #expect(six.next(after: Self.at("2025-07-01T00:00:00Z"))?.description == "2025-07-01T04:00:00.000Z")
        #expect(six.next(after: Self.at("2025-12-01T00:00:00Z"))?.description == "2025-12-01T05:00:00.000Z")
        let half2 = try CronSchedule("30 2 * * *", zone: berlin)
        let first = try #require(half2.next(after: Self.at("2025-10-25T12:00:00Z")))
        #expect(first.description == "2025-10-26T00:30:00.000Z")
        #expect(half2.next(after: first)?.description == "2025-10-27T01:30:00.000Z")
    }

    @Test("schedules that cannot be read are refused with the reason")
    func refused() {
        for (text, words) in [
            ("0 6 * *", "needs five fields"), ("61 * * * *", "'61' is not a minute"), ("0 6 * * funday", "day of week"),
            ("0 6 * * */0", "step '0'"), ("0 18-6 * * *", "runs backwards"),
        ] {
            do {
                _ = try CronSchedule(text)
                Issue.record("accepted \(text)")
            } catch { #expect(error.message.contains(words), "\(error.message)") }
        }
    }

    /// Ticks every minute from `from` to `to` (hours after testEpoch), feeding `events` at their times.
    static func run(_ yaml: String, events: [Event] = [], hours: Double) throws -> [String] {
        var engine = Engine(rules: try compileRules(yaml))
        var b = ChangeBatch()
        var pending = events.sorted { $0.time < $1.time }[...]
        var minute = 0.0
        while minute <= hours * 60 {
            let now = testEpoch.adding(nanoseconds: Int64(minute * 60e9))
            while let e = pending.first, e.time <= now {
                engine.handle(e, at: e.time, into: &b)
                pending = pending.dropFirst()
            }
            engine.tick(at: now, into: &b)
            minute += 1
        }
        return b.changes.filter { $0.kind != .repeated }.map {
            "\($0.at) \($0.kind.rawValue) \($0.alarm.rule)/\($0.alarm.key) \($0.alarm.summary)"
        }
    }

    @Test("raise and clear on a schedule, in a time zone: a shift-change reminder")
    func reminder() throws {
        let yaml = """
            - rule: shift-change
              schedule: {raise: "0 6,18 * * *", clear: "30 6,18 * * *", timezone: Europe/Berlin}
              alarm: {severity: info, summary: "Shift change: hand over the open incidents"}
            """
        // testEpoch is 2025-11-25T10:00Z (CET, +1): 18:00 local is 17:00Z.
        #expect(
            try Self.run(yaml, hours: 20) == [
                "2025-11-25T17:00:00.000Z raised shift-change/shift-change Shift change: hand over the open incidents",
                "2025-11-25T17:30:00.000Z cleared shift-change/shift-change Shift change: hand over the open incidents",
                "2025-11-26T05:00:00.000Z raised shift-change/shift-change Shift change: hand over the open incidents",
                "2025-11-26T05:30:00.000Z cleared shift-change/shift-change Shift change: hand over the open incidents",
            ])
    }

    @Test("emit: an event at each occurrence that the other rules see; a watchdog from unless_alarm")
    func emitAndWatchdog() throws {
        let yaml = """
            - rule: nightly
              schedule:
                emit: "0 2 * * *"
                event: {type: nightly_check, host: backup1, attributes: {job: nightly}}
            - rule: backup-done
              when: {type: backupFinished}
              key: "{host}"
              once_per: 20h
              alarm: {severity: info}
            - rule: backup-missing
              when: {type: nightly_check}
              key: "{host}"
              unless_alarm: {rule: backup-done, key: "{host}"}
              alarm: {severity: major, summary: "no {job} backup on {host} since yesterday"}
            """
        // A backup finishes at 23:00 on the first day (before the first check), none on the second.
        let events = [Event.make("backupFinished", host: "backup1", at: 13 * 3600)]
        #expect(
            try Self.run(yaml, events: events, hours: 41) == [
                "2025-11-25T23:00:00.000Z raised backup-done/backup1 backupFinished on backup1",
                "2025-11-26T19:00:00.000Z cleared backup-done/backup1 backupFinished on backup1",
                "2025-11-27T02:00:00.000Z raised backup-missing/backup1 no nightly backup on backup1 since yesterday",
            ])
    }

    @Test("a reload sets the new schedules once: no double occurrences, a removed schedule stops")
    func reload() throws {
        let one = """
            - rule: tick
              schedule: {raise: "0 * * * *"}
              once_per: 30m
              alarm: {}
            """
        var engine = Engine(rules: try compileRules(one))
        var b = ChangeBatch()
        engine.tick(at: testEpoch, into: &b)
        _ = engine.replaceRules(try compileRules(one + "\n  description: same schedule\n"), at: testEpoch, into: &b)
        _ = engine.replaceRules(try compileRules(one), at: testEpoch, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 3_600_000_000_000), into: &b)
        #expect(b.changes.filter { $0.kind == .raised }.count == 1)
        _ = engine.replaceRules(
            try compileRules("- rule: other\n  when: {type: x}\n  alarm: {}\n"), at: testEpoch, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 3 * 3_600_000_000_000), into: &b)
        #expect(b.changes.filter { $0.kind == .raised }.count == 1)
    }

    @Test("calendar rules refused at file:line:col")
    func parse() {
        for (yaml, words) in [
            (
                "- rule: r\n  schedule: {raise: \"0 6 * *\"}\n  alarm: {}\n",
                "test.yaml:2:21: cron schedule '0 6 * *' needs five fields"
            ),
            (
                "- rule: r\n  when: {type: a}\n  schedule: {raise: \"0 6 * * *\"}\n  alarm: {}\n",
                "a calendar rule (schedule) takes no 'when'"
            ),
            ("- rule: r\n  schedule: {emit: \"0 6 * * *\"}\n", "schedule.emit needs 'event: {type: ...}'"),
            ("- rule: r\n  schedule: {timezone: UTC}\n  alarm: {}\n", "schedule needs 'raise', 'clear' or 'emit'"),
        ] {
            do {
                _ = try compileRules(yaml)
                Issue.record("accepted \(yaml)")
            } catch { #expect("\(error)".contains(words), "\(error)") }
        }
    }
}

@Suite("Calendar rules: reloads, transforms, lateness")
struct CalendarReloadTests {
    @Test("a calendar rule added by a reload fires; a changed cron fires on the new schedule only")
    func addedByReload() throws {
        var engine = Engine(rules: try compileRules("- rule: other\n  when: {type: x}\n  alarm: {}\n"))
        var b = ChangeBatch()
        engine.tick(at: testEpoch, into: &b)  // 10:00Z
        _ = engine.replaceRules(
            try compileRules("- rule: hourly\n  schedule: {raise: \"30 * * * *\"}\n  once_per: 10m\n  alarm: {}\n"),
            at: testEpoch, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 3_600_000_000_000), into: &b)  // 11:00Z
        #expect(b.changes.filter { $0.kind == .raised }.map(\.at.description) == ["2025-11-25T10:30:00.000Z"])
        _ = engine.replaceRules(
            try compileRules("- rule: hourly\n  schedule: {raise: \"45 * * * *\"}\n  once_per: 10m\n  alarm: {}\n"),
            at: testEpoch.adding(nanoseconds: 3_600_000_000_000), into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 7_200_000_000_000), into: &b)  // 12:00Z
        #expect(
            b.changes.filter { $0.kind == .raised }.map(\.at.description) == [
                "2025-11-25T10:30:00.000Z", "2025-11-25T11:45:00.000Z",
            ])
    }

    @Test("an emitted event goes through the transforms and is not counted late")
    func emitTransformed() throws {
        let yaml = """
            - engine: settings
              lateness: 5s
            - transform: site
              when: {type: nightly_check}
              set: {site: dc1}
            - rule: nightly
              schedule:
                emit: "0 12 * * *"
                event: {type: nightly_check}
            - rule: checked
              when: {type: nightly_check}
              key: "{site}"
              alarm: {}
            """
        var engine = Engine(rules: try compileRules(yaml))
        var b = ChangeBatch()
        engine.tick(at: testEpoch, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 7_210_000_000_000), into: &b)  // past 12:00 + the lateness
        #expect(b.changes.map(\.alarm.key) == ["dc1"])
        #expect(engine.lateEvents == 0)
    }
}

@Suite("once_per and record: every, the edges")
struct WindowEdgeTests {
    @Test("with lateness, a match just after the window raises a new alarm, not a repeat of the old one")
    func lateMatch() throws {
        let yaml = "- engine: settings\n  lateness: 5s\n- rule: w\n  when: {type: a}\n  once_per: 1h\n  alarm: {}\n"
        var engine = Engine(rules: try compileRules(yaml))
        var b = ChangeBatch()
        for at in [0.0, 3602] {
            engine.handle(.make("a", at: at), at: testEpoch.adding(nanoseconds: Int64(at * 1e9)), into: &b)
        }
        #expect(b.changes.map(\.kind) == [.raised, .cleared, .raised])
        #expect(b.changes[1].alarm.clearedAt == testEpoch.adding(nanoseconds: 3_600_000_000_000))
    }

    @Test("a reload that changes once_per leaves no timer of the old window behind")
    func reloadWindow() throws {
        let one = "- rule: w\n  when: {type: a}\n  once_per: 1h\n  alarm: {}\n"
        var engine = Engine(rules: try compileRules(one))
        var b = ChangeBatch()
        engine.handle(.make("a", at: 0), at: testEpoch, into: &b)
        _ = engine.replaceRules(
            try compileRules(one.replacingOccurrences(of: "1h", with: "2h")), at: testEpoch, into: &b)
        engine.tick(at: testEpoch.adding(nanoseconds: 5_400_000_000_000), into: &b)
        #expect(!b.changes.contains { $0.kind == .cleared })
        engine.tick(at: testEpoch.adding(nanoseconds: 7_200_000_000_000), into: &b)
        #expect(b.changes.filter { $0.kind == .cleared }.count == 1)
    }

    @Test("recorded repeats stay apart when batches are merged (the store writer's pending batch)")
    func recordedMerge() throws {
        var engine = Engine(rules: try compileRules("- rule: r\n  when: {type: a}\n  record: every\n  alarm: {}\n"))
        var b = ChangeBatch()
        for at in [0.0, 1, 2] { engine.handle(.make("a", at: at), at: testEpoch, into: &b) }
        var merged = ChangeBatch()
        merged.append(contentsOf: b)
        merged.append(contentsOf: b)
        #expect(merged.changes.map(\.kind) == [.raised, .repeated, .repeated, .raised, .repeated, .repeated])
    }
}
