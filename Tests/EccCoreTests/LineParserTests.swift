import EccCore
import EccTestSupport
import Testing

@Suite("Line parsers and time formats")
struct LineParserTests {
    static let parsers = """
        - parser: sshd-failed
          match: '^(?P<time>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) (?P<host>\\S+) sshd\\[\\d+\\]: Failed password for (?:invalid user )?(?P<user>\\S+) from (?P<src>\\S+)'
          time: {capture: time, format: "%b %e %H:%M:%S"}
          event: {source: syslog, type: auth_failure, severity: warning, summary: "failed login for {user} from {src}"}
        - parser: firewall
          match: '^(?P<time>\\S+) (?P<host>\\S+) fw: (?P<kv>.*)$'
          time: {capture: time, format: rfc3339}
          event: {source: firewall, type: "fw_{action}", severity: "{level}"}
          split: {capture: kv}
        - parser: apache
          match: '^(?P<client>\\S+) \\S+ \\S+ \\[(?P<time>[^\\]]+)\\] "(?P<method>\\S+) (?P<path>\\S+)[^"]*" (?P<status>\\d+)'
          time: {capture: time, format: "%d/%b/%Y:%H:%M:%S %z"}
          event: {source: web, host: web1, type: http_request}
        """

    static func parse(_ line: String, reference: EventTime = EventTime(nanoseconds: 1_765_000_000_000_000_000))
        throws -> LineParsers.Outcome
    {
        try compileRules(parsers).parsers.parse(line, receivedAt: reference, reference: reference)
    }

    @Test("a syslog line: captures become attributes, the year-less time takes the reference's year")
    func syslog() throws {
        guard
            case .event(let e) = try Self.parse(
                "Dec  5 03:12:44 bastion1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 4711 ssh2"
            )
        else { Issue.record("not parsed"); return }
        #expect(e.source == "syslog" && e.host == "bastion1" && e.type == "auth_failure" && e.severity == .warning)
        #expect(e.attributes["user"] == .string("admin") && e.attributes["src"] == .string("203.0.113.9"))
        #expect(e.attributes["time"] == nil)
        #expect(e.summary == "failed login for admin from 203.0.113.9")
        #expect(e.time.description == "2025-12-05T03:12:44.000Z")
    }

    @Test("a year-less time more than a day after the reference belongs to the year before")
    func newYear() throws {
        let jan2 = RFC3339.parse("2026-01-02T00:00:00Z")!
        guard
            case .event(let e) = try Self.parse(
                "Dec 31 23:59:59 h sshd[1]: Failed password for a from b", reference: jan2)
        else { Issue.record("not parsed"); return }
        #expect(e.time.description == "2025-12-31T23:59:59.000Z")
    }

    @Test("key=value splitting, quoted values, templates over the pairs")
    func keyValue() throws {
        guard
            case .event(let e) = try Self.parse(
                #"2025-12-05T10:00:00.250Z gw1 fw: action=deny level=major src=10.0.0.1  msg="port scan" junk ="#)
        else { Issue.record("not parsed"); return }
        #expect(e.type == "fw_deny" && e.severity == .major && e.host == "gw1")
        #expect(e.attributes["msg"] == .string("port scan") && e.attributes["src"] == .string("10.0.0.1"))
        #expect(e.attributes["kv"] == nil && e.attributes["junk"] == nil && e.attributes.count == 4)
        #expect(e.time.description == "2025-12-05T10:00:00.250Z")
    }

    @Test("a web server log: %d/%b/%Y:%H:%M:%S %z")
    func apache() throws {
        guard
            case .event(let e) = try Self.parse(
                #"192.0.2.7 - - [05/Dec/2025:11:00:00 +0100] "GET /index.html HTTP/1.1" 200 512"#)
        else { Issue.record("not parsed"); return }
        #expect(e.time.description == "2025-12-05T10:00:00.000Z")
        #expect(e.attributes["status"] == .string("200") && e.host == "web1")
    }

    @Test("no parser matches: unmatched; a parser matches but the time or severity is bad: refused, named")
    func failures() throws {
        guard case .unmatched = try Self.parse("just some text") else { Issue.record("matched"); return }
        guard case .refused(let p, let why) = try Self.parse("Xyz  5 03:12:44 h sshd[1]: Failed password for a from b")
        else { Issue.record("not refused"); return }
        #expect(p == "sshd-failed" && why.contains("does not fit '%b %e %H:%M:%S'"))
        guard case .refused(_, let sev) = try Self.parse("2025-12-05T10:00:00Z gw1 fw: action=deny level=loud")
        else { Issue.record("not refused"); return }
        #expect(sev == "severity 'loud' is not one of eccd's")
        // A line cannot pass for eccd's self-monitoring, whatever its captures say.
        let forged = try compileRules(
            "- parser: p\n  match: '^(?P<source>\\S+) (?P<type>\\S+)'\n  event: {summary: x}\n"
        ).parsers
        guard case .refused(_, let reserved) = forged.parse("eccd eccd-store-unwritable", receivedAt: testEpoch)
        else { Issue.record("not refused"); return }
        #expect(reserved.contains("eccd's own source"))
    }

    @Test("the first parser in order wins when several match")
    func order() throws {
        let set = try compileRules(
            """
            - parser: a
              match: 'x(?P<n>\\d)'
              event: {type: first}
            - parser: b
              match: 'x'
              event: {type: second}
            """
        ).parsers
        guard case .event(let e) = set.parse("x1 x", receivedAt: testEpoch) else { Issue.record(""); return }
        #expect(e.type == "first" && e.time == testEpoch)
        guard case .event(let f) = set.parse("xa", receivedAt: testEpoch) else { Issue.record(""); return }
        #expect(f.type == "second")
    }

    @Test(
        "time formats",
        arguments: [
            ("%Y-%m-%d %H:%M:%S", "2025-12-05 10:00:00", "2025-12-05T10:00:00.000Z"),
            ("%Y-%m-%d %H:%M:%S", "2025-12-05 10:00:00,125", "2025-12-05T10:00:00.125Z"),
            ("%F %T.%f", "2025-12-05 10:00:00.5", "2025-12-05T10:00:00.500Z"),
            ("%d.%m.%y %I:%M %p", "05.12.25 01:30 PM", "2025-12-05T13:30:00.000Z"),
            ("%d.%m.%y %I:%M %p", "05.12.25 12:30 am", "2025-12-05T00:30:00.000Z"),
            ("%a %b %e %H:%M:%S %Y", "Fri Dec  5 10:00:00 2025", "2025-12-05T10:00:00.000Z"),
            ("%Y-%m-%dT%H:%M:%S%z", "2025-12-05T10:00:00-05:30", "2025-12-05T15:30:00.000Z"),
            ("%Y %j %H:%M", "2024 366 23:59", "2024-12-31T23:59:00.000Z"),
            ("%s", "1764928800", "2025-12-05T10:00:00.000Z"),
            ("unix", "1764928800.25", "2025-12-05T10:00:00.250Z"),
            ("unix_ms", "1764928800250", "2025-12-05T10:00:00.250Z"),
            ("rfc3339", "2025-12-05T10:00:00Z", "2025-12-05T10:00:00.000Z"),
        ])
    func formats(format: String, text: String, expected: String) throws {
        let f = try TimeFormat(format)
        #expect(f.parse(text, reference: testEpoch)?.description == expected)
    }

    @Test(
        "times that do not fit are refused, never normalised",
        arguments: [
            ("%Y-%m-%d %H:%M:%S", "2025-02-30 10:00:00"), ("%Y-%m-%d %H:%M:%S", "2025-12-05 24:00:00"),
            ("%Y-%m-%d %H:%M:%S", "2025-12-05 10:00:00 extra"), ("%Y %j %H:%M", "2025 366 00:00"),
            ("%b %e %H:%M:%S", "Foo  5 10:00:00"), ("%Y-%m-%dT%H:%M:%S%z", "2025-12-05T10:00:00+5"),
            ("unix", "12a"), ("unix_ms", ""), ("%s", "99999999999999"), ("%Y-%m-%d %H:%M", "1969-12-31 23:59"),
        ])
    func refused(format: String, text: String) throws {
        #expect(try TimeFormat(format).parse(text, reference: testEpoch) == nil)
    }

    @Test("a local time in a zone with daylight saving time; the gap and the overlap")
    func zones() throws {
        // Europe/Berlin as the table EccRules builds: CET (+1), CEST (+2) from 2025-03-30T01:00Z to 2025-10-26T01:00Z.
        let berlin = UTCOffsets(
            name: "Europe/Berlin", starts: [Int64.min, 1_743_296_400, 1_761_440_400], offsets: [3600, 7200, 3600])
        let f = try TimeFormat("%Y-%m-%d %H:%M:%S", zone: berlin)
        #expect(f.parse("2025-07-01 12:00:00", reference: testEpoch)?.description == "2025-07-01T10:00:00.000Z")
        #expect(f.parse("2025-12-05 12:00:00", reference: testEpoch)?.description == "2025-12-05T11:00:00.000Z")
        #expect(f.parse("2025-10-26 02:30:00", reference: testEpoch)?.description == "2025-10-26T00:30:00.000Z")
        #expect(f.parse("2025-03-30 02:30:00", reference: testEpoch)?.description == "2025-03-30T01:30:00.000Z")
    }

    @Test("formats that cannot be read are refused with the reason")
    func badFormats() {
        for (format, words) in [
            ("%Q", "%Q is not a directive"), ("%H:%M", "has no date"), ("%d %b %I:%M", "%I and %p go together"),
            ("yyyy-mm-dd", "has no % directive"), ("%Y-%m-%d %H:%M %", "lone %"),
        ] {
            #expect(throws: TimeFormat.FormatError.self) { try TimeFormat(format) }
            do { _ = try TimeFormat(format) } catch { #expect(error.message.contains(words), "\(error.message)") }
        }
    }
}
