import EccCollectors
import EccConfig
import EccCore
import EccTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The file follower in a whole daemon: lines through the rule files' parsers, multi-line records, the
/// line limit, globs, where it starts, real `logrotate` (rename and create, copytruncate), and a restart
/// that resumes exactly where the committed lines end, also across a rotation while eccd was down.
@Suite("Following files", .serialized)
struct FileFollowerTests {
    /// One alarm per line: `seq=N …` lines are events keyed by N, so an alarm's count says how often its
    /// line was taken.
    static let rules = """
        - parser: seq-line
          match: '(?s)^seq=(?P<seq>\\d+) (?P<text>.*)$'
          event: {source: app, type: seqline, summary: "{text}"}
        - rule: every-line
          when: {type: seqline}
          key: "{seq}"
          alarm: {severity: warning, summary: "{summary}"}
        """

    /// Appends `lines` to `path` (opened, written, closed: as a program that logs line by line).
    static func append(_ path: String, _ lines: [String]) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        defer { close(fd) }
        let text = lines.map { $0 + "\n" }.joined()
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    static func seqLines(_ range: ClosedRange<Int>, _ text: String = "line") -> [String] {
        range.map { "seq=\($0) \(text) \($0)" }
    }

    func alarms(_ d: TestDaemon) async throws -> [[String: Any]] {
        (try await d.getJSON("/v1/alarms?limit=100000") as? [[String: Any]]) ?? []
    }

    /// Every alarm's key and count.
    func counts(_ d: TestDaemon) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for a in try await alarms(d) { out[a["key"] as? String ?? "", default: 0] += a["count"] as? Int ?? 0 }
        return out
    }

    func logrotate(_ dir: String, _ body: String) throws {
        try body.write(toFile: dir + "/logrotate.conf", atomically: true, encoding: .utf8)
        let r = try ChildProcess.run(
            "/usr/sbin/logrotate", ["-f", "-s", dir + "/logrotate.state", dir + "/logrotate.conf"])
        #expect(r.status == 0, "logrotate: \(r.output)")
    }

    /// Waits for the follower's first look (with `start_at: end`, lines written before it are history).
    func following(_ d: TestDaemon, _ files: Int = 1) async throws {
        try await d.eventually { try await SyslogDaemonTests().metric(d, "ecc_files_followed") == files }
    }

    func daemon(_ dir: String, _ sources: [FileSource]) async throws -> TestDaemon {
        try await TestDaemon(dir: dir) { $0.files = sources }
    }

    @Test("start at the end or the beginning; a glob takes a new file from its start; unparsed lines dropped or events")
    func startAndGlob() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        Self.append(dir + "/logs/old.log", Self.seqLines(1...3, "history"))
        Self.append(dir + "/logs/all.txt", Self.seqLines(4...5, "history"))
        var fromEnd = FileSource(path: dir + "/logs/*.log")
        fromEnd.unparsed = .event
        var whole = FileSource(path: dir + "/logs/all.txt")
        whole.startAt = .beginning
        let d = try await daemon(dir, [fromEnd, whole])
        try await d.eventually { try await counts(d).count == 2 }  // all.txt's history, not old.log's
        Self.append(dir + "/logs/old.log", Self.seqLines(6...7) + ["no parser takes this"])
        Self.append(dir + "/logs/new.log", Self.seqLines(8...9))
        try await d.eventually { try await counts(d).count == 6 }
        #expect(try await counts(d) == ["4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1])
        let metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"ecc_file_lines_total{result="unparsed_event"} 1"#), "\(metrics)")
        #expect(metrics.contains("ecc_files_followed 3"))
        try await d.stop()
    }

    @Test("multi-line records joined by their start pattern; an over-long line cut, counted, and the next taken")
    func multilineAndLimit() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/trace.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        var source = FileSource(path: log)
        source.multilineStart = try Pattern("^seq=")
        source.maxLineBytes = 300
        let d = try await daemon(dir, [source])
        try await following(d)
        Self.append(
            log,
            [
                "seq=1 java.lang.IllegalStateException: boom", "\tat a.b.C.d(C.java:42)", "\tat a.b.E.f(E.java:7)",
                "seq=2 " + String(repeating: "x", count: 400), "seq=3 short",
            ])
        // The last record is complete once nothing was joined to it for a second.
        try await d.eventually { try await counts(d).count == 3 }
        let byKey = Dictionary(
            uniqueKeysWithValues: try await alarms(d).map {
                ($0["key"] as? String ?? "", $0["summary"] as? String ?? "")
            })
        #expect(byKey["1"] == "java.lang.IllegalStateException: boom\n\tat a.b.C.d(C.java:42)\n\tat a.b.E.f(E.java:7)")
        #expect(byKey["2"]?.utf8.count == 300 - "seq=2 ".utf8.count)
        #expect(byKey["3"] == "short")
        try await d.eventually {
            try await SyslogDaemonTests().metric(d, #"ecc_input_refused_total{collector="file",reason="line_length"}"#)
                == 1
        }
        try await d.stop()
    }

    @Test("logrotate's rename and create, then copytruncate: every line once")
    func logrotateRotations() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/app.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let d = try await daemon(dir, [FileSource(path: log)])
        try await following(d)
        Self.append(log, Self.seqLines(1...100))
        try await d.eventually { try await counts(d).count == 100 }
        try logrotate(dir, "\(log) {\n  rotate 5\n  create\n  nocompress\n}\n")
        Self.append(log, Self.seqLines(101...200))
        try await d.eventually { try await counts(d).count == 200 }
        try logrotate(dir, "\(log) {\n  rotate 5\n  copytruncate\n  nocompress\n}\n")
        Self.append(log, Self.seqLines(201...300))
        try await d.eventually { try await counts(d).count == 300 }
        let c = try await counts(d)
        #expect(c.values.allSatisfy { $0 == 1 }, "a line taken twice: \(c.filter { $0.value != 1 })")
        try await d.eventually { try await SyslogDaemonTests().metric(d, "ecc_file_rotations_total") == 2 }
        try await d.stop()
    }

    @Test("a restart resumes after the last committed line, also when the file was rotated while eccd was down")
    func restart() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/app.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        var d = try await daemon(dir, [FileSource(path: log)])
        try await following(d)
        Self.append(log, Self.seqLines(1...50))
        try await d.eventually { try await counts(d).count == 50 }
        try await d.stop()

        // Down: more lines, a half-written one, then a rotation and lines in the new file.
        Self.append(log, Self.seqLines(51...60))
        let fd = open(log, O_WRONLY | O_APPEND)
        _ = "seq=61 written in two ".withCString { write(fd, $0, strlen($0)) }
        close(fd)
        d = try await daemon(dir, [FileSource(path: log)])
        try await d.eventually { try await counts(d).count == 60 }
        try await d.stop()
        Self.append(log, ["parts"])
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        Self.append(log, Self.seqLines(62...70))

        d = try await daemon(dir, [FileSource(path: log)])
        try await d.eventually { try await counts(d).count == 70 }
        let c = try await counts(d)
        #expect(c.values.allSatisfy { $0 == 1 }, "a line taken twice: \(c.filter { $0.value != 1 })")
        #expect((try await alarms(d)).contains { $0["summary"] as? String == "written in two parts" })
        try await d.stop()
    }

    @Test("docs/files.md's example: a payment service's log with stack traces raises payment-gateway-errors")
    func docsExample() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let page = try String(contentsOfFile: root.appendingPathComponent("docs/files.md").path, encoding: .utf8)
        let blocks =
            page.components(separatedBy: "## An example").last?.components(separatedBy: "\n## ").first?
            .components(separatedBy: "```yaml\n")
            .dropFirst().map { $0.components(separatedBy: "```").first ?? "" } ?? []
        try #require(blocks.count == 2)
        let dir = try TestDaemon.makeDir(rules: blocks[1])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/payments", withIntermediateDirectories: true)
        let config = try DaemonConfig.parse(
            blocks[0].replacingOccurrences(of: "/var/log/payments", with: dir + "/payments"), file: "eccd.yaml")
        let d = try await daemon(dir, config.files)
        try await following(d, 0)
        let log = dir + "/payments/gateway.log"
        Self.append(
            log,
            [
                "2026-12-07T11:00:00Z ERROR payment gateway timeout after 30s",
                "java.net.SocketTimeoutException: Read timed out",
                "\tat java.net.SocketInputStream.read(Unknown Source)",
                "2026-12-07T11:00:20Z WARN payment retrying",
                "2026-12-07T11:00:40Z ERROR payment gateway timeout after 30s",
                "2026-12-07T11:01:00Z ERROR payment gateway timeout after 30s",
                "2026-12-07T11:01:01Z INFO payment done",
            ])
        try await d.eventually { try await alarms(d).contains { $0["rule"] as? String == "payment-gateway-errors" } }
        let a = try #require(try await alarms(d).first { $0["rule"] as? String == "payment-gateway-errors" })
        #expect(a["summary"] as? String == "3 errors from payment: gateway timeout after 30s")
        #expect((a["key"] as? String)?.hasSuffix("/payment") == true)
        try await d.stop()
    }

    @Test(
        "Suricata's eve.json (format: eve): alerts raise the shipped IDS rules; other records and broken lines counted")
    func suricataEVE() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let seeds = root.appendingPathComponent("Tests/fuzz/eve").path
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var eve = FileSource(path: dir + "/eve.json")
        eve.format = .eve
        let d = try await TestDaemon(dir: dir) {
            $0.files = [eve]
            $0.rulePaths = [root.appendingPathComponent("rules").path]
        }
        try await following(d, 0)
        let records = try ["alert.json", "flow.json", "alert-http.json", "stats.json", "truncated.json"].map {
            try String(contentsOfFile: seeds + "/" + $0, encoding: .utf8).trimmingCharacters(in: .newlines)
        }
        Self.append(dir + "/eve.json", records)
        let metric = SyslogDaemonTests().metric
        try await d.eventually { try await metric(d, #"ecc_file_lines_total{result="refused"}"#) == 1 }
        try await d.eventually {
            try await alarms(d).filter { $0["rule"] as? String == "ids-alert" }.count == 2
        }
        let ids = try await alarms(d).filter { $0["rule"] as? String == "ids-alert" }
        #expect(Set(ids.compactMap { $0["severity"] as? String }) == ["critical", "major"])
        #expect(ids.contains { ($0["key"] as? String) == "ids-dmz/2024897/2001:db8::9/2001:db8::1" })
        #expect(try await metric(d, #"ecc_file_lines_total{result="parsed"}"#) == 2)
        #expect(try await metric(d, #"ecc_file_lines_total{result="unparsed"}"#) == 2)
        #expect(try await metric(d, #"ecc_input_refused_total{collector="file",reason="syntax"}"#) == 1)
        try await d.stop()
    }

    @Test("parsers: only the named parsers read a file; a name no rule file defines is said and reads nothing")
    func namedParsers() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var mine = FileSource(path: dir + "/mine.log")
        mine.parsers = ["seq-line"]
        mine.startAt = .beginning
        var other = FileSource(path: dir + "/other.log")
        other.parsers = ["no-such-parser"]
        other.startAt = .beginning
        Self.append(dir + "/mine.log", Self.seqLines(1...3))
        Self.append(dir + "/other.log", Self.seqLines(4...6))
        let d = try await daemon(dir, [mine, other])
        try await d.eventually { try await counts(d).count == 3 }
        let metric = SyslogDaemonTests().metric
        try await d.eventually { try await metric(d, #"ecc_file_lines_total{result="unparsed"}"#) == 3 }
        #expect(try await counts(d) == ["1": 1, "2": 1, "3": 1])
        try await d.stop()
    }
}
