import EccCore
import EccSyslog
import EccTestSupport
import Foundation
import Testing

func event(_ text: String, sender: String = "192.0.2.1", parsers: LineParsers = .none) -> Event {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { b in
        let m = SyslogParser().parse(b, reference: arrival)
        return SyslogEvents.event(m, bytes: b, sender: sender, at: arrival, parsers: parsers)
    }
}

/// The shipped parsers (`rules/parsers.yaml`), as eccd loads them.
func shippedParsers() throws -> LineParsers {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let text = try String(contentsOfFile: root.appendingPathComponent("rules/parsers.yaml").path, encoding: .utf8)
    return try compileRules(text, file: "parsers.yaml").parsers
}

@Suite("Syslog messages as events")
struct SyslogEventTests {
    @Test("a message becomes a syslog event: header fields as attributes, its time, its host")
    func generic() {
        let e = event("<38>Dec  7 11:00:00 web1 sshd[4242]: Connection closed by 203.0.113.9 port 51000")
        #expect(e.source == "syslog" && e.type == "syslog" && e.host == "web1")
        #expect(e.time == RFC3339.parse("2026-12-07T11:00:00Z") && e.receivedAt == arrival)
        #expect(e.severity == .info)
        #expect(e.summary == "Connection closed by 203.0.113.9 port 51000")
        #expect(e.attributes["facility"] == .string("auth"))
        #expect(e.attributes["syslog_severity"] == .int(6))
        #expect(e.attributes["app"] == .string("sshd") && e.attributes["procid"] == .string("4242"))
        #expect(e.attributes["sender"] == .string("192.0.2.1"))
        #expect(e.attributes["syslog_format"] == .string("rfc3164"))
        #expect(e.attributes["raw"] == nil && e.attributes["syslog_problem"] == nil)
    }

    @Test("without a hostname or a time, the sender and the arrival stand in")
    func fallbacks() {
        let e = event("<13>%LINK-3-UPDOWN: Interface Gi0/1, changed state to down", sender: "10.1.2.3")
        #expect(e.host == "10.1.2.3" && e.time == arrival)
        #expect(e.attributes["app"] == .string("%LINK-3-UPDOWN"))
    }

    @Test(
        "syslog severities map onto ECC's",
        arguments: [
            (0, Severity.critical), (1, .critical), (2, .critical), (3, .major), (4, .warning), (5, .info), (6, .info),
            (7, .info),
        ])
    func severities(_ syslog: Int, _ ecc: Severity) {
        #expect(event("<\(8 + syslog)>1 2026-12-07T11:00:00Z h a - - - x").severity == ecc)
    }

    @Test("structured data becomes attributes named element.parameter")
    func structured() {
        let e = event(
            #"<165>1 2026-12-07T11:00:00Z h evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] hi"#)
        #expect(e.attributes["exampleSDID@32473.iut"] == .string("3"))
        #expect(e.attributes["exampleSDID@32473.eventSource"] == .string("Application"))
        #expect(e.attributes["msgid"] == .string("ID47") && e.attributes["facility"] == .string("local4"))
    }

    @Test("a malformed message keeps its whole text and says why")
    func malformed() {
        let e = event("<999>what is this")
        #expect(e.attributes["syslog_problem"] == .string("bad_priority"))
        #expect(e.attributes["raw"] == .string("<999>what is this"))
        #expect(e.summary == "<999>what is this" && e.type == "syslog")
    }

    @Test("no more attributes than an event may hold, however much structured data")
    func attributeLimit() {
        let params = (0..<400).map { "p\($0)=\"v\"" }.joined(separator: " ")
        let e = event("<13>1 2026-12-07T11:00:00Z h a - - [big \(params)] x")
        #expect(e.attributes.count == InputLimits.outside.maxAttributes)
    }

    @Test("the shipped parsers make an sshd failure an auth_failure, with the header's attributes beside")
    func parsers() throws {
        let parsers = try shippedParsers()
        let e = event(
            "<38>Dec  7 11:00:00 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 51000 ssh2",
            parsers: parsers)
        #expect(e.type == "auth_failure" && e.source == "syslog" && e.host == "web1")
        #expect(e.attributes["user"] == .string("admin") && e.attributes["src"] == .string("203.0.113.9"))
        #expect(e.attributes["facility"] == .string("auth") && e.attributes["sender"] == .string("192.0.2.1"))
        #expect(e.time == RFC3339.parse("2026-12-07T11:00:00Z"))
        // The same over RFC 5424.
        let f = event(
            "<38>1 2026-12-07T11:00:00Z web1 sshd 4242 - - Failed password for root from 203.0.113.9 port 51000 ssh2",
            parsers: parsers)
        #expect(f.type == "auth_failure" && f.attributes["user"] == .string("root"))
        // What no parser takes stays a syslog event.
        #expect(
            event("<38>Dec  7 11:00:00 web1 sshd[1]: Server listening on 0.0.0.0", parsers: parsers).type == "syslog")
    }
}

extension SyslogEventTests {
    @Test("docs/syslog.md's example rule raises on a diskwatch error and not on a notice")
    func docsExample() throws {
        let rules = try compileRules(
            """
            - rule: disk-almost-full
              description: A host's disk watcher says a file system is almost full (warning or worse).
              when: {source: syslog, app: diskwatch, syslog_severity: {le: 4}}
              key: "{host}"
              alarm: {severity: major, summary: "{host}: {summary}"}
            """)
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        for text in [
            "<29>1 2026-12-07T11:00:00Z web1 diskwatch - - - /home is 80% full",  // daemon.notice
            "<27>1 2026-12-07T11:00:01Z web1 diskwatch - - - /var is 97% full",  // daemon.err
        ] {
            let e = event(text)
            engine.handle(e, at: e.time, into: &batch)
        }
        #expect(batch.changes.map(\.alarm.summary) == ["web1: /var is 97% full"])
    }
}
