import EccCore
import EccRules
import EccSyslog
import EccTestSupport
import Foundation
import Testing

/// 2026-12-07T12:00:00Z: year-less times are placed by it.
let arrival = EventTime(nanoseconds: 1_796_644_800_000_000_000)

func parse(_ text: String, zone: UTCOffsets = .utc) -> SyslogMessage {
    parse(Array(text.utf8), zone: zone)
}

func parse(_ bytes: [UInt8], zone: UTCOffsets = .utc) -> SyslogMessage {
    bytes.withUnsafeBytes { SyslogParser(zone: zone).parse($0, reference: arrival) }
}

func time(_ text: String) -> EventTime? { RFC3339.parse(text) }

@Suite("Syslog messages")
struct SyslogParserTests {
    /// One message and what must be read from it (nil: not checked; "-" for a field: absent).
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var format: SyslogMessage.Format
        var facility = 1
        var severity = 5
        var time: String?
        var host = "-"
        var app = "-"
        var procID = "-"
        var msgID = "-"
        var sequence = "-"
        var message: String
        var problem: SyslogMessage.Problem?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // RFC 5424's own examples (section 6.5), with their BOMs.
        Case(
            name: "RFC 5424 example 1: no structured data, BOM",
            text: "<34>1 2003-10-11T22:14:15.003Z "
                + "mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8",
            format: .rfc5424, facility: 4, severity: 2, time: "2003-10-11T22:14:15.003Z",
            host: "mymachine.example.com", app: "su", msgID: "ID47",
            message: "'su root' failed for lonvick on /dev/pts/8"),
        Case(
            name: "RFC 5424 example 2: offset and microseconds, a process id",
            text: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
            format: .rfc5424, facility: 20, severity: 5, time: "2003-08-24T12:14:15.000003Z", host: "192.0.2.1",
            app: "myproc", procID: "8710", message: "%% It's time to make the do-nuts."),
        Case(
            name: "RFC 5424 example 4: structured data and no message",
            text: "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
                + "eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
            format: .rfc5424, facility: 20, severity: 5, time: "2003-10-11T22:14:15.003Z",
            host: "mymachine.example.com", app: "evntslog", msgID: "ID47", message: ""),
        Case(
            name: "logger's RFC 5424 (timeQuality), ended by a newline",
            text: "<13>1 2026-12-07T11:00:00.123456+00:00 web1 alice - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] "
                + "disk almost full\n",
            format: .rfc5424, time: "2026-12-07T11:00:00.123456Z", host: "web1", app: "alice",
            message: "disk almost full"),
        Case(
            name: "RFC 5424 with a timestamp that is not RFC 3339",
            text: "<13>1 2026-13-45T99:00:00Z web1 app - - - hello", format: .rfc5424, host: "web1", app: "app",
            message: "hello", problem: .badTimestamp),
        Case(
            name: "RFC 5424 cut short in its header", text: "<13>1 2026-12-07T11:00:00Z web1", format: .rfc5424,
            time: "2026-12-07T11:00:00Z", host: "web1", message: "", problem: .truncatedHeader),
        Case(
            name: "RFC 5424 with broken structured data keeps the rest as text",
            text: "<13>1 2026-12-07T11:00:00Z web1 app 42 m1 [x y] then text", format: .rfc5424,
            time: "2026-12-07T11:00:00Z", host: "web1", app: "app", procID: "42", msgID: "m1",
            message: "[x y] then text", problem: .badStructuredData),
        Case(
            name: "RFC 5424 with text glued to its structured data",
            text: "<13>1 2026-12-07T11:00:00Z web1 app - - [a b=\"1\"]glued", format: .rfc5424,
            time: "2026-12-07T11:00:00Z", host: "web1", app: "app", message: "glued", problem: .badStructuredData),
        Case(
            name: "RFC 5424 version 2", text: "<13>2 2026-12-07T11:00:00Z web1 app - - - hi", format: .rfc5424,
            time: "2026-12-07T11:00:00Z", host: "web1", app: "app", message: "hi", problem: .badVersion),
        // RFC 3164 and what devices send.
        Case(
            name: "RFC 3164's example",
            text: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            format: .rfc3164, facility: 4, severity: 2, time: "2026-10-11T22:14:15Z", host: "mymachine", app: "su",
            message: "'su root' failed for lonvick on /dev/pts/8"),
        Case(
            name: "BSD with a process id and a space-padded day",
            text: "<38>Dec  7 11:00:00 web1 sshd[4242]: Failed password for root from 203.0.113.9 port 51000 ssh2",
            format: .rfc3164, facility: 4, severity: 6, time: "2026-12-07T11:00:00Z", host: "web1", app: "sshd",
            procID: "4242", message: "Failed password for root from 203.0.113.9 port 51000 ssh2"),
        Case(
            name: "BSD without a hostname", text: "<13>Dec  7 11:00:00 sshd[7]: Accepted publickey for alice",
            format: .rfc3164, time: "2026-12-07T11:00:00Z", app: "sshd", procID: "7",
            message: "Accepted publickey for alice"),
        Case(
            name: "a year-less time more than a day after the arrival is last year's",
            text: "<13>Dec 31 23:59:59 web1 cron: done", format: .rfc3164, time: "2025-12-31T23:59:59Z", host: "web1",
            app: "cron", message: "done"),
        Case(
            name: "Cisco: sequence number, unsynchronised clock, milliseconds, UTC, mnemonic",
            text:
                "<189>123: *Mar  1 00:01:02.345 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down",
            format: .rfc3164, facility: 23, severity: 5, time: "2026-03-01T00:01:02.345Z", app: "%LINK-3-UPDOWN",
            sequence: "123", message: "Interface GigabitEthernet0/1, changed state to down"),
        Case(
            name: "Cisco with its hostname before the time",
            text: "<189>45: core1: Mar  1 00:01:02.345 UTC: %SYS-5-CONFIG_I: Configured from console by admin on vty0",
            format: .rfc3164, facility: 23, severity: 5, time: "2026-03-01T00:01:02.345Z", host: "core1",
            app: "%SYS-5-CONFIG_I", sequence: "45", message: "Configured from console by admin on vty0"),
        Case(
            name: "Huawei: a year, an offset, a %% tag with a channel",
            text: "<189>Dec  7 2026 11:00:00+08:00 HW-CORE %%01IFNET/4/LINK_STATE(l)[0]:The line protocol IP on the "
                + "interface GigabitEthernet0/0/1 has entered the DOWN state.",
            format: .rfc3164, facility: 23, severity: 5, time: "2026-12-07T03:00:00Z", host: "HW-CORE",
            app: "%%01IFNET/4/LINK_STATE(l)", procID: "0",
            message: "The line protocol IP on the interface GigabitEthernet0/0/1 has entered the DOWN state."),
        Case(
            name: "Juniper",
            text: "<28>Dec  7 11:00:00 mx1 mib2d[1742]: SNMP_TRAP_LINK_DOWN: ifIndex 526, ifName ge-0/0/0",
            format: .rfc3164, facility: 3, severity: 4, time: "2026-12-07T11:00:00Z", host: "mx1", app: "mib2d",
            procID: "1742", message: "SNMP_TRAP_LINK_DOWN: ifIndex 526, ifName ge-0/0/0"),
        Case(
            name: "rsyslog's forwarding format: RFC 3339 in a BSD header",
            text: "<86>2026-12-07T11:00:00.123456+01:00 db1 sudo: pam_unix(sudo:auth): authentication failure",
            format: .rfc3164, facility: 10, severity: 6, time: "2026-12-07T10:00:00.123456Z", host: "db1", app: "sudo",
            message: "pam_unix(sudo:auth): authentication failure"),
        Case(
            name: "a hostname in capitals is not a zone", text: "<13>Dec  7 11:00:00 CORE app: x", format: .rfc3164,
            time: "2026-12-07T11:00:00Z", host: "CORE", app: "app", message: "x"),
        Case(
            name: "a zone name eccd cannot place is skipped", text: "<13>Dec  7 11:00:00 CET web1 app: x",
            format: .rfc3164, time: "2026-12-07T11:00:00Z", host: "web1", app: "app", message: "x"),
        // Malformed or headerless: still a message.
        Case(
            name: "no priority: user.notice, and the header still read",
            text: "Dec  7 11:00:00 web1 app: hello", format: .rfc3164, time: "2026-12-07T11:00:00Z", host: "web1",
            app: "app", message: "hello", problem: .noPriority),
        Case(
            name: "a priority over 191", text: "<999>hello", format: .unknown, message: "<999>hello",
            problem: .badPriority),
        Case(
            name: "an unclosed priority", text: "<13 hello", format: .unknown, message: "<13 hello",
            problem: .badPriority),
        Case(name: "nothing but line ends", text: "\r\n", format: .unknown, message: "", problem: .empty),
        Case(name: "a priority and plain text", text: "<13>hello world", format: .unknown, message: "hello world"),
        Case(
            name: "plain text that starts with a number", text: "<13>2 links down", format: .unknown,
            message: "2 links down"),
        Case(
            name: "a number and a colon are text", text: "<13>404: not found", format: .unknown,
            message: "404: not found"),
        Case(
            name: "Cisco with its uptime instead of a time",
            text: "<189>12: 00:01:02: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down", format: .rfc3164,
            facility: 23, severity: 5, app: "%LINK-3-UPDOWN", sequence: "12",
            message: "Interface Gi0/1, changed state to down"),
        Case(
            name: "an offset out of range is not a zone", text: "<13>Dec  7 11:00:00+99:99 web1 app: x",
            format: .rfc3164,
            time: "2026-12-07T11:00:00Z", host: "+99:99", message: "web1 app: x"),
        Case(
            name: "a tag and text without a time", text: "<13>sshd[1]: hello", format: .unknown, app: "sshd",
            procID: "1", message: "hello"),
    ]

    @Test("reads the header and the message", arguments: cases)
    func reads(_ c: Case) {
        let m = parse(c.text)
        func field(_ v: String?) -> String { v ?? "-" }
        #expect(m.format == c.format)
        #expect(m.facility == c.facility && m.severity == c.severity)
        #expect(m.time == c.time.flatMap(time), "\(m.time.map(RFC3339.format) ?? "none")")
        #expect(field(m.hostname) == c.host)
        #expect(field(m.appName) == c.app)
        #expect(field(m.procID) == c.procID)
        #expect(field(m.msgID) == c.msgID)
        #expect(field(m.sequence) == c.sequence)
        #expect(m.message == c.message)
        #expect(m.problem == c.problem)
    }

    @Test("structured data: elements, parameters and escapes")
    func structuredData() {
        let m = parse(
            #"<165>1 2003-10-11T22:14:15.003Z host app - - [exampleSDID@32473 iut="3" eventSource="App"][meta note="a \"quoted\" \] \\ value"] text"#
        )
        #expect(m.problem == nil)
        #expect(
            m.structuredData == [
                .init(id: "exampleSDID@32473", parameters: [.init("iut", "3"), .init("eventSource", "App")]),
                .init(id: "meta", parameters: [.init("note", #"a "quoted" ] \ value"#)]),
            ])
        #expect(m.message == "text")
    }

    @Test("bytes that are not UTF-8 are replaced; trailing NULs and line ends go")
    func bytes() {
        let m = parse(Array("<13>Dec  7 11:00:00 web1 app: caf".utf8) + [0xE9, 0x0A, 0x00])
        #expect(m.message == "caf\u{FFFD}")
        #expect(m.problem == nil)
    }

    @Test("BSD times are read in the configured zone unless they say theirs")
    func zones() throws {
        let berlin = try #require(ZoneOffsets.table("Europe/Berlin"))
        #expect(parse("<13>Dec  7 11:00:00 web1 app: x", zone: berlin).time == time("2026-12-07T10:00:00Z"))
        #expect(parse("<13>Jul  7 11:00:00 web1 app: x", zone: berlin).time == time("2026-07-07T09:00:00Z"))
        #expect(parse("<13>Dec  7 11:00:00 UTC: web1 app: x", zone: berlin).time == time("2026-12-07T11:00:00Z"))
    }

    @Test("every prefix of every case parses without trapping")
    func prefixes() {
        for c in Self.cases {
            let bytes = Array(c.text.utf8)
            for n in 0...bytes.count { _ = parse(Array(bytes.prefix(n))) }
        }
    }
}
