import EccCollectors
import EccConfig
import EccTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The security rules fed by the real programs' own log files, followed as files: OpenSSH's sshd logging
/// with `-E FILE` (bare messages, read with `program: sshd`) and sudo with its own log file (sudoers
/// `Defaults logfile=…`, read by the shipped `sudo-logfile-*` parsers).
@Suite(
    "Security events from the programs' own log files",
    .enabled(
        if: getuid() == 0
            && ["/usr/sbin/sshd", "/usr/bin/sshpass", "/usr/bin/sudo"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: $0)
            } && FileManager.default.fileExists(atPath: "/etc/sudoers.d"),
        "needs root, openssh-server, sshpass and sudo (make test-deps)"),
    .serialized)
struct SecurityFilesTests {
    let security = SecurityProducerTests()

    @Test("sshd -E FILE: five wrong passwords raise ssh-brute-force; sudo's log file: a command becomes an event")
    func ownLogFiles() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let dir = try TestDaemon.makeDir(
            rules: """
                - rule: sudo-ran
                  when: {type: privileged_command, service: sudo}
                  key: "{user}/{target}"
                  alarm: {severity: info, summary: "{summary}"}
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var sshdLog = FileSource(path: dir + "/sshd.log")
        sshdLog.program = "sshd"
        sshdLog.startAt = .beginning
        var sudoLog = FileSource(path: dir + "/sudo.log")
        sudoLog.startAt = .beginning
        let d = try await TestDaemon(dir: dir) {
            $0.rulePaths = [root.appendingPathComponent("rules").path, dir + "/rules"]
            $0.files = [sshdLog, sudoLog]
        }

        // sudo with a log file of its own, for this test only: checked with visudo before it is put in place
        // (a bad drop-in would break sudo on the machine), and any left by a run that died removed first.
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: "/etc/sudoers.d")) ?? []
        where stale.hasPrefix("zz-ecc-test-") {
            try? FileManager.default.removeItem(atPath: "/etc/sudoers.d/" + stale)
        }
        let dropIn = "/etc/sudoers.d/zz-ecc-test-\(UInt32.random(in: 1000...9999))"
        let draft = dir + "/sudoers-drop-in"
        try "Defaults logfile=\"\(dir)/sudo.log\", loglinelen=0\n".write(
            toFile: draft, atomically: true, encoding: .utf8)
        chmod(draft, 0o440)
        #expect(try await security.run("/usr/sbin/visudo", ["-cf", draft]) == 0)
        try FileManager.default.moveItem(atPath: draft, toPath: dropIn)
        defer { try? FileManager.default.removeItem(atPath: dropIn) }
        #expect(try await security.run("/usr/bin/sudo", ["-u", "nobody", "/bin/true"]) == 0)
        try await d.eventually {
            try await security.syslog.alarms(d).contains { $0["rule"] as? String == "sudo-ran" }
        }
        let ran = try #require(try await security.rule(d, "sudo-ran"))
        #expect(ran["key"] as? String == "root/nobody")
        #expect((ran["summary"] as? String)?.contains("root ran /bin/true as nobody") == true)

        // sshd on a high port, logging to a file.
        let port = try TestServers.freePort()
        try await security.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/host_key"])
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let sshd = try ChildProcess.spawn(
            "/usr/sbin/sshd",
            [
                "-D", "-p", String(port), "-h", dir + "/host_key", "-o", "ListenAddress=127.0.0.1", "-o",
                "PasswordAuthentication=yes", "-o", "UsePAM=yes", "-o", "PidFile=\(dir)/sshd.pid", "-o",
                "MaxAuthTries=10", "-E", dir + "/sshd.log",
            ], stdoutPath: dir + "/sshd.out", stderrPath: dir + "/sshd.out")
        defer { sshd.stop(grace: 5) }
        try await d.eventually { TestServers.acceptsConnections(port: port) }
        for _ in 0..<5 {
            let status = try await security.run(
                "/usr/bin/sshpass",
                [
                    "-p", "wrong", "/usr/bin/ssh", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "NumberOfPasswordPrompts=1", "-o",
                    "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "nobody@127.0.0.1", "true",
                ])
            #expect(status != 0)
        }
        try await d.eventually(20) { try await security.rule(d, "ssh-brute-force") != nil }
        let brute = try #require(try await security.rule(d, "ssh-brute-force"))
        #expect((brute["key"] as? String)?.hasSuffix("/nobody") == true)
        try await d.stop()
    }
}
