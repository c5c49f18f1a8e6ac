import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Testing

let testRules = """
    - rule: interface-down
      when: {type: linkDown}
      key: "{host}/{ifIndex}"
      clear_when: {type: linkUp}
      alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
    """

func runTests(_ yaml: String) throws -> [RuleTestRunner.Result] {
    let file = try RuleTestParser.parse(yaml, file: "t.test.yaml")
    let rules = try compileRules(testRules)
    return file.cases.map { RuleTestRunner.run($0, rules: rules, file: "t.test.yaml") }
}

@Suite("Rule tests")
struct RuleTestRunnerTests {
    @Test("a correct expectation passes; events are processed in time order")
    func passes() throws {
        let results = try runTests(
            """
            tests:
              - name: down and up
                events:
                  - {at: 30s, host: sw1, type: linkUp, attributes: {ifIndex: 7}}
                  - {at: 0s, host: sw1, type: linkDown, attributes: {ifIndex: 7}}
                expect:
                  - {at: 0s, change: raised, rule: interface-down, key: sw1/7, severity: major}
                  - {at: 30s, change: cleared, key: sw1/7}
            """)
        #expect(results.count == 1)
        #expect(results[0].failure == nil)
    }

    @Test("a wrong expectation fails with expected, got and the first difference")
    func fails() throws {
        let results = try runTests(
            """
            tests:
              - name: wrong key
                events:
                  - {at: 0s, host: sw1, type: linkDown, attributes: {ifIndex: 7}}
                expect:
                  - {at: 0s, change: raised, key: sw1/8}
            """)
        let failure = try #require(results.first?.failure)
        #expect(failure.contains("+0s raised   * [sw1/8]"))
        #expect(failure.contains("interface-down [sw1/7]"))
        #expect(failure.contains("first difference: expected change 1 (t.test.yaml:6:9)"))
    }

    @Test("repeats are compared only when asked for")
    func repeats() throws {
        let yaml = """
            tests:
              - name: r
                events:
                  - {at: 0s, host: sw1, type: linkDown, attributes: {ifIndex: 7}}
                  - {at: 1s, host: sw1, type: linkDown, attributes: {ifIndex: 7}}
                expect:
                  - {change: raised}
            """
        #expect(try runTests(yaml)[0].failure == nil)
        #expect(try runTests(yaml + "\n    include_repeats: true\n")[0].failure != nil)
    }

    @Test(
        "test files are strict",
        arguments: [
            ("tests:\n  - name: x\n    evnts: []\n", "t.test.yaml:3:5: unknown key 'evnts'"),
            ("tests:\n  - events:\n      - {at: soon, type: x}\n", "t.test.yaml:3:14: at: 'soon' is not a duration"),
            (
                "tests:\n  - expect:\n      - {change: exploded}\n",
                "change must be raised, repeated, updated or cleared"
            ),
        ])
    func strict(yaml: String, message: String) {
        #expect {
            try RuleTestParser.parse(yaml, file: "t.test.yaml")
        } throws: { "\($0)".contains(message) }
    }

    @Test(
        "durations",
        arguments: [
            ("0", Int64(0)), ("500ms", 500_000_000), ("30s", 30_000_000_000), ("1h30m", 5_400_000_000_000),
            ("1.5s", 1_500_000_000), ("2d", 172_800_000_000_000),
        ])
    func durations(text: String, ns: Int64) {
        #expect(Durations.parse(text) == ns)
        #expect(Durations.parse(Durations.format(ns)) == ns)
    }

    @Test("not durations", arguments: ["", "5", "5x", "s", "1h 30"])
    func notDurations(text: String) {
        #expect(Durations.parse(text) == nil)
    }
}

extension RuleTestRunnerTests {
    @Test("absurdly long durations are refused, not overflowed", arguments: ["999999999999d", "3651d", "100000d"])
    func tooLong(text: String) {
        #expect(Durations.parse(text) == nil)
    }
}
