import EccConfig
import EccDaemon
import Foundation
import Testing

@Suite("Rule regexes in the daemon", .serialized)
struct RegexDaemonTests {
    @Test("a regex RE2 refuses stops the start and a reload at file:line:col; the old rules keep firing")
    func refused() async throws {
        let bad = daemonRules + "\n- rule: bad\n  when: {host: {regex: \"^sw(?=1)\"}}\n  alarm: {summary: s}\n"
        let where_ = "test.yaml:11:28: regular expression '^sw(?=1)' is not accepted: lookahead '(?=' is not supported"

        let badDir = try TestDaemon.makeDir(rules: bad)
        defer { try? FileManager.default.removeItem(atPath: badDir) }
        var config = DaemonConfig()
        config.database.path = badDir + "/var/ecc.db"
        config.rulePaths = [badDir + "/rules"]
        do {
            _ = try Daemon(config: config, logger: .init(label: "test"))
            Issue.record("the daemon started with a refused regex")
        } catch {
            #expect("\(error)".contains(where_), "\(error)")
        }

        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        try bad.write(toFile: dir + "/rules/test.yaml", atomically: true, encoding: .utf8)
        let (applied, report) = await d.daemon.reloadRules()
        #expect(!applied)
        #expect(report.contains(where_), "\(report)")
        _ = try await d.post(#"{"source":"demo","host":"sw1","type":"linkDown","attributes":{"ifIndex":1}}"#)
        try await d.eventually { try await d.incidents().count == 1 }
        try await d.stop()
    }

    @Test("an event against a nested-quantifier rule does not hold the engine: later events pass, the daemon stops")
    func pathological() async throws {
        // Under Swift's backtracking Regex the first event held the engine thread for far longer than the test
        // waits (97 s on 21 characters, doubling with each 'a'), and stop() could not finish meanwhile.
        let rules =
            daemonRules + "\n- rule: nested\n  when: {type: probe, host: {regex: \"^(a+)+$\"}}\n"
            + "  key: \"{host}\"\n  alarm: {severity: minor, summary: \"nested {host}\"}\n"
        let dir = try TestDaemon.makeDir(rules: rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let hostile = String(repeating: "a", count: 60) + "!"
        _ = try await d.post(#"{"source":"x","host":"\#(hostile)","type":"probe"}"#)
        _ = try await d.post(#"{"source":"demo","host":"sw1","type":"linkDown","attributes":{"ifIndex":1}}"#)
        try await d.eventually { try await d.incidents().count == 1 }
        _ = try await d.post(#"{"source":"x","host":"\#(String(repeating: "a", count: 60))","type":"probe"}"#)
        try await d.eventually { try await d.incidents().count == 2 }
        try await d.stop()
    }
}
