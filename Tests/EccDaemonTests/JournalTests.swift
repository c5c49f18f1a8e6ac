import EccCollectors
import EccConfig
import EccTestSupport
import Foundation
import Testing

/// Journal files made by the real `systemd-journal-remote` (Debian's package of that name) from entries in
/// journald's export format: no journald runs on the build machines, and the files are libsystemd's own.
/// Each ``write(_:)`` runs it once more on the same file, which it appends to.
struct JournalFiles {
    static let remote = "/lib/systemd/systemd-journal-remote"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: remote) }

    let directory: String
    var file: String { directory + "/remote.journal" }

    /// One entry: its fields (text values), written now.
    struct Entry {
        var identifier: String
        var message: String
        var unit: String?
        var pid = 4242
        var priority = 6
    }

    /// A new empty folder.
    init() throws {
        directory = try TestServers.makeTemporaryDirectory("ecc-journal").path
    }

    init(directory: String) { self.directory = directory }

    /// Appends `entries` to the journal file (export format on systemd-journal-remote's stdin).
    func write(_ entries: [Entry]) async throws {
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        var text = ""
        for (i, e) in entries.enumerated() {
            text += "__REALTIME_TIMESTAMP=\(now + UInt64(i))\n__MONOTONIC_TIMESTAMP=\(now + UInt64(i))\n"
            text += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=web1\n"
            text += "SYSLOG_IDENTIFIER=\(e.identifier)\n_PID=\(e.pid)\nPRIORITY=\(e.priority)\nSYSLOG_FACILITY=4\n"
            if let unit = e.unit { text += "_SYSTEMD_UNIT=\(unit)\n" }
            text += "MESSAGE=\(e.message)\n\n"
        }
        let (status, output) = try await offPool { [file, text] in
            try ChildProcess.run(Self.remote, ["--output=\(file)", "-"], input: Array(text.utf8), timeout: 60)
        }
        #expect(status == 0, "systemd-journal-remote: \(output)")
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite(
    "Journal (files made by systemd-journal-remote)",
    .enabled(if: JournalFiles.isAvailable, "needs systemd-journal-remote (make test-deps)"), .serialized)
struct JournalTests {
    let syslog = SyslogDaemonTests()
    static let rules = """
        - rule: backup-line
          when: {source: syslog, app: backupjob}
          key: "{summary}"
          alarm: {severity: minor, summary: "{summary} ({unit})"}
        - rule: cron-line
          when: {source: syslog, app: cron}
          key: "{summary}"
          alarm: {severity: minor, summary: "{summary}"}
        - rule: nginx-line
          when: {source: syslog, app: nginx}
          key: "{summary}"
          alarm: {severity: minor, summary: "{summary}"}
        """

    func daemon(_ dir: String, journal: JournalSource) async throws -> TestDaemon {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try await TestDaemon(dir: dir) {
            $0.rulePaths = [root.appendingPathComponent("rules").path, dir + "/rules"]
            $0.syslog.enabled = false
            $0.journal = journal
        }
    }

    func alarms(_ d: TestDaemon, _ rule: String) async throws -> [[String: Any]] {
        try await syslog.alarms(d).filter { $0["rule"] as? String == rule }
    }

    @Test("sshd's failures reach ssh-brute-force; matches keep others out; after a restart nothing is lost or repeated")
    func followAndResume() async throws {
        let journal = try JournalFiles()
        defer { journal.remove() }
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var source = JournalSource(directory: journal.directory)
        source.identifiers = ["sshd", "backupjob"]
        source.startAt = .beginning
        func backup(_ n: Int) -> JournalFiles.Entry {
            .init(identifier: "backupjob", message: "job \(n) finished", unit: "backup.service")
        }
        try await journal.write(
            (51001...51005).map {
                .init(
                    identifier: "sshd", message: "Failed password for root from 203.0.113.9 port \($0) ssh2",
                    unit: "ssh.service")
            } + [backup(1), backup(2), .init(identifier: "cron", message: "not followed"), backup(3)])

        var d = try await daemon(dir, journal: source)
        try await d.eventually(20) { try await alarms(d, "backup-line").count == 3 }
        try await d.eventually { try await !alarms(d, "ssh-brute-force").isEmpty }
        let brute = try #require(try await alarms(d, "ssh-brute-force").first)
        #expect((brute["key"] as? String)?.hasSuffix("/root") == true)
        #expect(
            try await alarms(d, "backup-line").allSatisfy {
                ($0["summary"] as? String)?.hasSuffix("(backup.service)") == true
            })
        // Followed while it grows.
        try await journal.write([backup(4)])
        try await d.eventually(20) { try await alarms(d, "backup-line").count == 4 }
        #expect(try await syslog.metric(d, #"ecc_journal_entries_total{result="parsed"}"#) == 5)
        #expect(try await syslog.metric(d, #"ecc_journal_entries_total{result="generic"}"#) == 4)
        #expect(try await syslog.metric(d, "ecc_journal_open") == 1)
        #expect(try await alarms(d, "cron-line").isEmpty)
        try await d.stop()

        // Written while eccd is down: taken after the restart, and nothing taken twice.
        try await journal.write([backup(5), backup(6)])
        d = try await daemon(dir, journal: source)
        try await d.eventually(20) { try await alarms(d, "backup-line").count == 6 }
        try await Task.sleep(for: .milliseconds(500))
        let lines = try await alarms(d, "backup-line")
        #expect(lines.count == 6)
        #expect(lines.allSatisfy { ($0["count"] as? Int) == 1 }, "\(lines.map { $0["count"] ?? "?" })")
        #expect(try await syslog.metric(d, #"ecc_journal_entries_total{result="generic"}"#) == 2)
        try await d.stop()
    }

    @Test("units match by _SYSTEMD_UNIT, and start_at: end leaves the history unread")
    func unitsAndStartAtEnd() async throws {
        let journal = try JournalFiles()
        defer { journal.remove() }
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await journal.write([.init(identifier: "nginx", message: "history", unit: "nginx.service")])
        var source = JournalSource(directory: journal.directory)
        source.units = ["nginx.service"]
        let d = try await daemon(dir, journal: source)
        try await d.eventually { try await syslog.metric(d, "ecc_journal_open") == 1 }
        try await journal.write([
            .init(identifier: "nginx", message: "worker died", unit: "nginx.service", priority: 3),
            .init(identifier: "cron", message: "another unit", unit: "cron.service"),
        ])
        try await d.eventually(20) { try await !alarms(d, "nginx-line").isEmpty }
        try await Task.sleep(for: .milliseconds(500))
        let nginx = try await alarms(d, "nginx-line")
        #expect(nginx.map { $0["summary"] as? String } == ["worker died"])
        #expect(try await alarms(d, "cron-line").isEmpty)
        try await d.stop()
    }

    @Test("an empty journal at start_at end: what is written after the start is taken, from the first entry")
    func emptyAtEnd() async throws {
        let journal = try JournalFiles()
        defer { journal.remove() }
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await daemon(dir, journal: JournalSource(directory: journal.directory))
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await syslog.metric(d, "ecc_journal_open") == 0)
        try await journal.write([
            .init(identifier: "nginx", message: "first", unit: "nginx.service"),
            .init(identifier: "nginx", message: "second", unit: "nginx.service"),
        ])
        try await d.eventually(20) { try await alarms(d, "nginx-line").count == 2 }
        #expect(try await syslog.metric(d, "ecc_journal_open") == 1)
        try await d.stop()
    }

    @Test("the entry eccd took last is gone after a restart (vacuumed): reading goes on from the nearest, none skipped")
    func cursorGone() async throws {
        let journal = try JournalFiles()
        defer { journal.remove() }
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var source = JournalSource(directory: journal.directory)
        source.startAt = .beginning
        try await journal.write([.init(identifier: "nginx", message: "old", unit: "nginx.service")])
        var d = try await daemon(dir, journal: source)
        try await d.eventually(20) { try await alarms(d, "nginx-line").count == 1 }
        try await d.stop()
        try FileManager.default.removeItem(atPath: journal.file)
        try await journal.write([
            .init(identifier: "nginx", message: "new one", unit: "nginx.service"),
            .init(identifier: "nginx", message: "new two", unit: "nginx.service"),
        ])
        d = try await daemon(dir, journal: source)
        try await d.eventually(20) { try await alarms(d, "nginx-line").count == 3 }
        try await d.stop()
    }

    @Test("a journal directory that is not there yet is waited for, said once, and followed once it appears")
    func missingDirectory() async throws {
        let journal = try JournalFiles()
        defer { journal.remove() }
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var source = JournalSource(directory: journal.directory + "/later")
        source.startAt = .beginning
        let d = try await daemon(dir, journal: source)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await syslog.metric(d, "ecc_journal_open") == 0)
        let later = JournalFiles(directory: journal.directory + "/later")
        try FileManager.default.createDirectory(atPath: later.directory, withIntermediateDirectories: true)
        try await later.write([.init(identifier: "nginx", message: "late", unit: "nginx.service")])
        try await d.eventually(20) { try await !alarms(d, "nginx-line").isEmpty }
        #expect(try await syslog.metric(d, "ecc_journal_open") == 1)
        try await d.stop()
    }
}

@Suite("Journal configuration")
struct JournalConfigTests {
    func error(_ yaml: String) -> String? {
        do {
            _ = try DaemonConfig.parse(yaml, file: "eccd.yaml")
            return nil
        } catch { return "\(error)" }
    }

    @Test("directory, units, identifiers and start_at; bad values name their place")
    func parse() throws {
        let c = try DaemonConfig.parse(
            """
            journal:
              directory: /var/log/journal/remote
              units: [ssh.service]
              identifiers: [sshd, sudo]
              start_at: beginning
            """, file: "eccd.yaml")
        var expected = JournalSource(directory: "/var/log/journal/remote")
        expected.units = ["ssh.service"]
        expected.identifiers = ["sshd", "sudo"]
        expected.startAt = .beginning
        #expect(c.journal == expected)
        #expect(try DaemonConfig.parse("journal: {}", file: "eccd.yaml").journal == JournalSource())
        #expect(DaemonConfig().journal == nil)
        #expect(
            error("journal:\n  directory: var/log\n")?.contains("eccd.yaml:2:14: journal.directory must be absolute")
                == true)
        #expect(error("journal:\n  units: [a=b]\n")?.contains("journal.units: 'a=b' is not a name") == true)
        #expect(error("journal:\n  start_at: middle\n")?.contains("journal.start_at is end or beginning") == true)
        #expect(error("journal:\n  unit: [x]\n")?.contains("unit") == true)
    }

    @Test("files: format eve, program and parsers; what does not go together is refused at its place")
    func fileKeys() throws {
        let c = try DaemonConfig.parse(
            """
            files:
              - {path: /var/log/suricata/eve.json, format: eve}
              - {path: /var/log/sshd.log, program: sshd, parsers: [sshd-failed-password, sshd-accepted]}
            """, file: "eccd.yaml")
        #expect(c.files.map(\.format) == [.eve, .lines])
        #expect(c.files[1].program == "sshd" && c.files[1].parsers == ["sshd-failed-password", "sshd-accepted"])
        #expect(error("files:\n  - {path: /a, format: json}\n")?.contains("files.format is lines or eve") == true)
        #expect(error("files:\n  - {path: /a, program: sshd, format: eve}\n")?.contains("no program") == true)
        #expect(error("files:\n  - {path: /a, parsers: [x], format: eve}\n")?.contains("no parsers") == true)
        #expect(
            error("files:\n  - {path: /a, program: 'ssh d'}\n")?.contains("files.program is a program's name") == true)
        #expect(error("files:\n  - {path: /a, parsers: []}\n")?.contains("files.parsers is empty") == true)
    }
}
