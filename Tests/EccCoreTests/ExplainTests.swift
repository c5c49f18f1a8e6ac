import EccCore
import EccTestSupport
import Testing

@Suite("Explain")
struct ExplainTests {
    @Test("explain names each condition's result, the key, and what the rule would do")
    func explain() throws {
        let rules = try compileRules(
            """
            - rule: first
              when: {type: linkDown, ifIndex: {gt: 5}}
              key: "{host}/{ifIndex}"
              clear_when: {type: linkUp}
              stop: true
              alarm: {severity: major, summary: "down {ifIndex}"}
            - rule: second
              when: {type: linkDown}
              alarm: {summary: x}
            - rule: other
              when: {type: nodeDown}
              alarm: {summary: y}
            """)
        let e = rules.explain(.make("linkDown", host: "sw1", ["ifIndex": "7"]))
        #expect(e.map(\.rule) == ["first", "second", "other"])
        #expect(e[0].matched && e[0].key == "sw1/7")
        #expect(e[0].when.map(\.passed) == [true, true])
        #expect(e[0].when[1].condition.contains("ifIndex > 5"))
        #expect(e[0].outcome.contains("raises major \"down 7\""))
        #expect(!e[1].matched && e[1].stoppedBy == "first" && e[1].outcome.contains("stop: true"))
        #expect(!e[2].candidate && e[2].outcome.contains("names another type"))
        let low = rules.explain(.make("linkDown", host: "sw1", ["ifIndex": "2"]))
        #expect(!low[0].matched && low[0].when.map(\.passed) == [true, false])
        #expect(low[1].matched)
    }

    @Test("the follow-up event of a sequence is explained as such")
    func sequenceFollowUp() throws {
        let rules = try compileRules(
            """
            - rule: restart-loop
              when: {type: unitFailed}
              key: "{host}/{unit}"
              sequence: {then: {type: unitStarted}, within: 1m}
              alarm: {severity: minor}
            - rule: backup-stuck
              when: {type: backupStarted}
              key: "{host}/{job}"
              sequence: {then: {type: backupFinished}, within: 4h, absent: true}
              alarm: {severity: major}
            """)
        let started = rules.explain(.make("unitStarted", host: "db1", ["unit": "cron"]))
        #expect(started[0].candidate && started[0].follows && !started[0].matched)
        #expect(started[0].then.map(\.passed) == [true])
        #expect(started[0].key == "db1/cron" && started[0].outcome.contains("raises minor if the first event came"))
        #expect(!started[1].follows)
        let finished = rules.explain(.make("backupFinished", host: "b1", ["job": "nightly"]))
        #expect(finished[1].follows && finished[1].outcome.contains("ends its wait"))
    }
}
