import EccCollectors
import EccConfig
import EccTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The security rules fed by the real programs: an rsyslog takes their syslog on /dev/log (as on any Debian
/// server) and forwards it to eccd over TCP; the shipped parsers and rules do the rest. OpenSSH's sshd on a
/// high port with logins made by `ssh` and `sshpass`, shadow's useradd, chpasswd and userdel, util-linux's
/// su and runuser, sudo, and ClamAV's clamscan finding the EICAR test file (with a one-line signature
/// database of its MD5, since the machine has no virus database) sent on with `logger -t clamscan`.
///
/// It takes /dev/log for its rsyslog, so it runs only where nothing else receives on it (no journald, no
/// syslog daemon: the build machines), and only as root (accounts are made and removed).
@Suite(
    "Security events from the real programs",
    .enabled(
        if: getuid() == 0 && devLogIsFree()
            && ["/usr/sbin/rsyslogd", "/usr/sbin/sshd", "/usr/bin/sshpass", "/usr/bin/sudo", "/usr/bin/clamscan"]
                .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) },
        "needs root, a free /dev/log, rsyslog, openssh-server, sshpass, sudo and clamav (make test-deps)"),
    .serialized)
struct SecurityProducerTests {
    let syslog = SyslogDaemonTests()

    /// Runs a program off the cooperative pool; returns its exit status (`input` goes to its stdin).
    @discardableResult
    func run(_ path: String, _ args: [String], input: String? = nil) async throws -> Int32 {
        try await offPool { try Self.runNow(path, args, input: input) }
    }

    static func runNow(_ path: String, _ args: [String], input: String? = nil) throws -> Int32 {
        try ChildProcess.run(path, args, input: input.map { Array($0.utf8) }, timeout: 60).status
    }

    func output(_ path: String, _ args: [String]) async throws -> String {
        try await offPool { try ChildProcess.run(path, args, stderrPath: "/dev/null", timeout: 60).output }
    }

    func rule(_ d: TestDaemon, _ name: String) async throws -> [String: Any]? {
        try await syslog.alarms(d).first { $0["rule"] as? String == name }
    }

    @Test("sshd, useradd, chpasswd, su, sudo and clamscan reach the security rules through syslog")
    func realProducers() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        // docs/security.md's example rule, as the page shows it, beside the shipped rules.
        let page = try String(contentsOfFile: root.appendingPathComponent("docs/security.md").path, encoding: .utf8)
        let example = try #require(
            page.components(separatedBy: "## An example rule").last?.components(separatedBy: "```yaml\n").dropFirst()
                .first?.components(separatedBy: "```").first)
        let dir = try TestDaemon.makeDir(rules: example)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.rulePaths = [root.appendingPathComponent("rules").path, dir + "/rules"]
            $0.syslog.udp = false
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
        }
        try await d.eventually { d.daemon.syslogTCPPort != nil }
        let tcp = try #require(d.daemon.syslogTCPPort)

        // rsyslog on /dev/log (a stale socket there removed first), forwarding everything to eccd over TCP.
        try? FileManager.default.removeItem(atPath: "/dev/log")
        try """
        global(workDirectory="\(dir)")
        module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
        action(type="omfwd" target="127.0.0.1" port="\(tcp)" protocol="tcp" template="RSYSLOG_ForwardFormat"
               action.resumeRetryCount="-1" action.resumeInterval="1")
        """.write(toFile: dir + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let rsyslog = try ChildProcess.spawn(
            "/usr/sbin/rsyslogd", ["-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslog.pid"],
            stdoutPath: dir + "/rsyslog.out", stderrPath: dir + "/rsyslog.out")
        defer {
            rsyslog.stop(grace: 5)
            try? FileManager.default.removeItem(atPath: "/dev/log")
        }
        try await d.eventually { FileManager.default.fileExists(atPath: "/dev/log") }

        // Accounts: an ordinary one added to adm (privileged-group-member), a uid-0 one (second-root-account),
        // a password set with chpasswd; all removed at the end.
        let suffix = String(UInt32.random(in: 1000...9999))
        let (user, toor) = ("eccsec\(suffix)", "ecctoor\(suffix)")
        #expect(try await run("/usr/sbin/useradd", ["-M", "-s", "/bin/sh", "-G", "adm", user]) == 0)
        defer {
            _ = try? Self.runNow("/usr/sbin/userdel", [user])
            _ = try? Self.runNow("/usr/sbin/userdel", ["-f", toor])
        }
        #expect(try await run("/usr/sbin/chpasswd", [], input: "\(user):Right-Horse-Battery-\(suffix)\n") == 0)
        #expect(try await run("/usr/sbin/useradd", ["-o", "-u", "0", "-M", "-s", "/usr/sbin/nologin", toor]) == 0)
        try await d.eventually { try await rule(d, "second-root-account") != nil }
        try await d.eventually { try await rule(d, "privileged-group-member") != nil }
        let second = try #require(try await rule(d, "second-root-account"))
        #expect((second["key"] as? String)?.hasSuffix("/\(toor)") == true)
        #expect(second["severity"] as? String == "critical")
        try await d.eventually {
            try await syslog.alarms(d).filter { $0["rule"] as? String == "account-created" }.count == 2
        }
        let member = try #require(try await rule(d, "privileged-group-member"))
        #expect((member["key"] as? String)?.hasSuffix("/\(user)/adm") == true)

        // su without a terminal fails for a user who is not root: three times is su-failures.
        for _ in 0..<3 { try await run("/usr/sbin/runuser", ["-u", user, "--", "/bin/su", "-c", "true", "root"]) }
        try await d.eventually { try await rule(d, "su-failures") != nil }

        // sudo run by root: a privileged_command event (no alarm), seen in the per-sender count only.
        #expect(try await run("/usr/bin/sudo", ["-u", "nobody", "/bin/true"]) == 0)

        // sshd on a high port: five wrong passwords, then the right one (a likely break-in).
        let port = try TestServers.freePort()
        try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/host_key"])
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let sshd = try ChildProcess.spawn(
            "/usr/sbin/sshd",
            [
                "-D", "-p", String(port), "-h", dir + "/host_key", "-o", "ListenAddress=127.0.0.1", "-o",
                "PasswordAuthentication=yes", "-o", "UsePAM=yes", "-o", "PidFile=\(dir)/sshd.pid", "-o",
                "MaxAuthTries=10",
            ], stdoutPath: dir + "/sshd.out", stderrPath: dir + "/sshd.out")
        defer { sshd.stop(grace: 5) }
        try await d.eventually { TestServers.acceptsConnections(port: port) }
        func login(_ password: String) async throws -> Int32 {
            try await run(
                "/usr/bin/sshpass",
                [
                    "-p", password, "/usr/bin/ssh", "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "NumberOfPasswordPrompts=1", "-o",
                    "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "\(user)@127.0.0.1", "true",
                ])
        }
        for _ in 0..<5 { #expect(try await login("wrong") != 0) }
        try await d.eventually(20) { try await rule(d, "ssh-brute-force") != nil }
        #expect(try await login("Right-Horse-Battery-\(suffix)") == 0)
        try await d.eventually { try await rule(d, "ssh-login-after-brute-force") != nil }
        let breakIn = try #require(try await rule(d, "ssh-login-after-brute-force"))
        #expect(breakIn["severity"] as? String == "critical")
        #expect((breakIn["summary"] as? String)?.contains("\(user) logged in") == true)

        // clamscan finds the EICAR test file with a signature of its MD5; its report goes to syslog.
        let eicar = #"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#
        try eicar.write(toFile: dir + "/eicar.com", atomically: true, encoding: .ascii)
        try "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n".write(
            toFile: dir + "/eicar.hdb", atomically: true, encoding: .ascii)
        let found = try await output(
            "/usr/bin/clamscan", ["--no-summary", "-d", dir + "/eicar.hdb", dir + "/eicar.com"])
        #expect(found.contains("FOUND"), "\(found)")
        for line in found.split(separator: "\n") where line.hasSuffix("FOUND") {
            try await run("/usr/bin/logger", ["-t", "clamscan", String(line)])
        }
        try await d.eventually { try await rule(d, "malware-detected") != nil }
        let malware = try #require(try await rule(d, "malware-detected"))
        #expect((malware["summary"] as? String)?.hasPrefix("Malware Eicar-Test-Signature") == true)
        try await d.stop()
    }
}

/// Whether /dev/log is missing or a socket nobody receives on: the one a syslog daemon leaves when it is
/// stopped (`make test-deps` installs rsyslog, whose package starts it, and stops it again).
func devLogIsFree() -> Bool {
    guard FileManager.default.fileExists(atPath: "/dev/log") else { return true }
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in "/dev/log".utf8.enumerated() { raw[i] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    return connected != 0 && errno == ECONNREFUSED
}
