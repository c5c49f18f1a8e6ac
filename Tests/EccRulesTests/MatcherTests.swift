import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Testing

/// Compiles `when: <clause>` and tests it against an event.
func matches(_ clause: String, _ event: Event) throws -> Bool {
    let rules = try compileRules("- rule: r\n  when: \(clause)\n  alarm: {summary: s}\n")
    return rules.rules[0].when.matches(event)
}

let probe = Event.make(
    "linkDown", host: "core-ams-12.dc1", severity: .major,
    ["ifIndex": "7", "addr": "10.20.30.40", "addr6": "2001:db8::17", "user": "root", "load": "0.93"])

@Suite("Match operators")
struct MatcherTests {
    @Test(
        "each operator matches what it should and nothing else",
        arguments: [
            ("{type: linkDown}", true),
            ("{type: linkUp}", false),
            ("{type: [linkUp, linkDown]}", true),
            ("{type: {in: [a, b]}}", false),
            ("{severity: [crit, major]}", true),
            ("{ifIndex: {gt: 5}}", true),
            ("{ifIndex: {ge: 7, lt: 8}}", true),
            ("{ifIndex: {lt: 7}}", false),
            ("{load: {ge: 0.9}}", true),
            ("{host: {gt: 1}}", false),
            ("{addr: {cidr: 10.0.0.0/8}}", true),
            ("{addr: {cidr: [192.168.0.0/16, 10.20.30.0/24]}}", true),
            ("{addr: {cidr: 10.20.31.0/24}}", false),
            ("{addr6: {cidr: \"2001:db8::/32\"}}", true),
            ("{addr: {cidr: \"2001:db8::/32\"}}", false),
            ("{user: {exists: true}}", true),
            ("{nosuch: {exists: true}}", false),
            ("{nosuch: {missing: true}}", true),
            ("{user: {not: root}}", false),
            ("{user: {not: [alice, bob]}}", true),
            ("{not: {type: linkDown}}", false),
            ("{any: [{type: x}, {host: core-ams-12.dc1}]}", true),
            ("{any: [{type: x}, {type: y}]}", false),
            ("{all: [{type: linkDown}, {ifIndex: {gt: 1}}]}", true),
            ("{host: {regex: \"^core-[a-z]+-\"}}", true),
            ("{host: {regex: \"^edge-\"}}", false),
            ("{type: linkDown, host: {regex: \"dc1$\"}, ifIndex: {le: 7}}", true),
        ])
    func operators(clause: String, expected: Bool) throws {
        #expect(try matches(clause, probe) == expected)
    }

    @Test("regex named groups become fields for the key and summary")
    func captures() throws {
        let rules = try compileRules(
            """
            - rule: site-link
              when: {type: linkDown, host: {regex: "^core-(?<site>[a-z]+)-(?<unit>[0-9]+)"}}
              key: "{site}/{unit}/{ifIndex}"
              alarm: {severity: major, summary: "link down at site {site}"}
            """)
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        engine.handle(probe, at: testEpoch, into: &batch)
        #expect(batch.changes.first?.alarm.key == "ams/12/7")
        #expect(batch.changes.first?.alarm.summary == "link down at site ams")
    }

    @Test("a list of types indexes the rule under each type")
    func indexByList() throws {
        let rules = try compileRules("- rule: r\n  when: {type: [a, b]}\n  alarm: {summary: s}\n")
        #expect(rules.candidates(type: "a").when == [0])
        #expect(rules.candidates(type: "b").when == [0])
        #expect(rules.candidates(type: "c").when.isEmpty)
    }

    @Test("IP addresses and networks parse as expected")
    func addresses() {
        #expect(IPAddress("10.1.2.3")?.bytes == [10, 1, 2, 3])
        #expect(IPAddress("::ffff:10.1.2.3")?.bytes.suffix(4) == [10, 1, 2, 3])
        #expect(IPAddress("2001:db8::1")?.bytes.count == 16)
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("1.2.3.256") == nil)
        #expect(IPAddress("2001:db8::1::2") == nil)
        #expect(CIDR("0.0.0.0/0")?.contains(IPAddress("8.8.8.8")!) == true)
        #expect(CIDR("10.0.0.0/31")?.contains(IPAddress("10.0.0.1")!) == true)
        #expect(CIDR("10.0.0.0/31")?.contains(IPAddress("10.0.0.2")!) == false)
    }
}
