import EccConfig
import EccCore
import EccTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The syslog receiver in a whole daemon, fed by util-linux's `logger` (both formats, over UDP) and by
/// hand-made datagrams for what `logger` will not send.
@Suite("Syslog receiver")
struct SyslogDaemonTests {
    static let rules = """
        - parser: sshd-failed-password
          match: '^(?P<time>\\d{4}-\\d\\d-\\d\\dT\\S+) (?P<host>\\S+) sshd\\[(?P<pid>\\d+)\\]: Failed (?P<method>password|publickey) for (?:invalid user )?(?P<user>\\S*) from (?P<src>\\S+) port (?P<port>\\d+)'
          time: {capture: time, format: [rfc3339]}
          event: {source: syslog, type: auth_failure, severity: warning, summary: "sshd: failed {method} for {user} from {src}"}
        - rule: disk-full
          when: {source: syslog, type: syslog, app: diskwatch}
          key: "{host}/{syslog_format}"
          alarm: {severity: major, summary: "{summary}"}
        - rule: ssh-failure
          when: {type: auth_failure}
          key: "{src}/{user}"
          alarm: {severity: warning, summary: "{summary}"}
        - rule: unreadable-syslog
          when: {source: syslog, syslog_problem: {exists: true}}
          key: "{sender}/{syslog_problem}"
          alarm: {severity: minor, summary: "unreadable syslog from {sender}: {raw}"}
        """

    /// Runs util-linux's `logger` against the daemon's syslog port over UDP.
    func logger(_ port: Int, _ args: [String]) async throws {
        let (status, output) = try await offPool {
            try ChildProcess.run("/usr/bin/logger", ["-n", "127.0.0.1", "-P", "\(port)", "-d"] + args, timeout: 30)
        }
        #expect(status == 0, "logger \(args): \(output)")
    }

    /// Sends one datagram to 127.0.0.1:`port`.
    /// Sends one datagram to 127.0.0.1:`port` from `source` (another loopback address, such as 127.0.0.2, is
    /// another sender).
    func send(_ bytes: [UInt8], to port: Int, from source: String = "127.0.0.1") {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        _ = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    func metric(_ d: TestDaemon, _ line: String) async throws -> Int {
        let text = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        for l in text.split(separator: "\n") where l.hasPrefix(line + " ") {
            return Int(Double(l.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    /// The syslog port, once the receiver listens.
    func syslogPort(_ d: TestDaemon) async throws -> Int {
        try await d.eventually { d.daemon.syslogPort != nil }
        return try #require(d.daemon.syslogPort)
    }

    func alarms(_ d: TestDaemon) async throws -> [[String: Any]] {
        (try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
    }

    @Test("logger's RFC 5424 and RFC 3164 messages raise alarms; sshd's failure goes through the parsers")
    func logger() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let port = try await syslogPort(d)
        try await logger(port, ["--rfc5424", "-t", "diskwatch", "-p", "daemon.err", "/var is 97% full"])
        try await logger(port, ["--rfc3164", "-t", "diskwatch", "-p", "daemon.warning", "/home is 95% full"])
        try await logger(
            port,
            [
                "--rfc5424", "-t", "sshd", "--id=4242", "-p", "auth.info",
                "Failed password for invalid user admin from 203.0.113.9 port 51000 ssh2",
            ])
        try await d.eventually { try await alarms(d).count == 3 }
        let list = try await alarms(d)
        let disk = list.filter { $0["rule"] as? String == "disk-full" }
        #expect(
            Set(disk.compactMap { ($0["key"] as? String)?.split(separator: "/").last.map(String.init) }) == [
                "rfc5424", "rfc3164",
            ])
        #expect(disk.contains { $0["summary"] as? String == "/var is 97% full" })
        let ssh = try #require(list.first { $0["rule"] as? String == "ssh-failure" })
        #expect(ssh["key"] as? String == "203.0.113.9/admin")
        try await d.eventually { try await metric(d, #"ecc_events_received_total{collector="syslog"}"#) == 3 }
        // Per-sender counts are handed over about once a second.
        try await d.eventually { try await metric(d, #"ecc_syslog_messages_total{source="127.0.0.1"}"#) == 3 }
        try await d.stop()
    }

    @Test("a malformed message still becomes an event with its text, counted by why")
    func malformed() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let port = try await syslogPort(d)
        send(Array("<999>what is this".utf8), to: port)
        try await d.eventually { try await alarms(d).count == 1 }
        let a = try #require(try await alarms(d).first)
        #expect(a["rule"] as? String == "unreadable-syslog")
        #expect(a["summary"] as? String == "unreadable syslog from 127.0.0.1: <999>what is this")
        try await d.eventually { try await metric(d, #"ecc_syslog_malformed_total{reason="bad_priority"}"#) == 1 }
        try await d.stop()
    }

    @Test("senders outside syslog.allow and over-long messages are dropped and counted; eccd goes on")
    func refused() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.syslog.allow = [CIDR("192.0.2.0/24")!]
            $0.syslog.maxMessageBytes = 480
        }
        let port = try await syslogPort(d)
        try await logger(port, ["--rfc3164", "-t", "diskwatch", "not from an allowed network"])
        try await d.eventually {
            try await metric(d, #"ecc_input_refused_total{collector="syslog",reason="not_allowed"}"#) == 1
        }
        try await d.eventually { try await metric(d, #"ecc_syslog_rejected_total{source="127.0.0.1"}"#) == 1 }
        #expect(try await alarms(d).isEmpty)
        try await d.stop()

        let open = try await TestDaemon(dir: dir) { $0.syslog.maxMessageBytes = 480 }
        let openPort = try await syslogPort(open)
        send(
            Array("<13>Dec  7 11:00:00 web1 diskwatch: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 600),
            to: openPort)
        try await logger(openPort, ["--rfc3164", "-t", "diskwatch", "short enough"])
        try await open.eventually { try await alarms(open).count == 1 }
        try await open.eventually {
            try await metric(open, #"ecc_input_refused_total{collector="syslog",reason="line_length"}"#) == 1
        }
        try await open.stop()
    }

    @Test("a sender past syslog.per_source_rate has the excess dropped and counted; another sender loses nothing")
    func perSourceRate() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.syslog.perSourceRate = 100 }
        let port = try await syslogPort(d)
        let line = Array("<13>Dec  7 11:00:00 web1 chatty: the same thing again".utf8)
        for i in 1...2000 {
            // Paced a little, so the socket's receive buffer (net.core.rmem_max) drops none of them.
            if i % 50 == 0 { usleep(2000) }
            send(line, to: port, from: "127.0.0.2")
            if i % 100 == 0 { send(Array("<13>Dec  7 11:00:00 web2 quiet: message \(i)".utf8), to: port) }
        }
        func count(_ name: String, _ source: String) async throws -> Int {
            try await metric(d, "ecc_syslog_\(name)_total{source=\"\(source)\"}")
        }
        try await d.eventually {
            try await count("messages", "127.0.0.2") + count("rejected", "127.0.0.2") == 2000
        }
        try await d.eventually { try await count("messages", "127.0.0.1") == 20 }
        let rejected = try await count("rejected", "127.0.0.2")
        #expect(rejected > 0 && rejected < 2000)
        #expect(try await count("rejected", "127.0.0.1") == 0)
        #expect(try await metric(d, #"ecc_input_refused_total{collector="syslog",reason="rate"}"#) == rejected)
        try await d.stop()
    }
}

extension SyslogDaemonTests {
    @Test("the README's examples: a failed unit and five sshd failures sent with logger, through the shipped rules")
    func shippedRules() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.rulePaths = [root.appendingPathComponent("rules").path] }
        let port = try await syslogPort(d)
        try await logger(port, ["-t", "systemd", "--id=1", "nginx.service: Failed with result 'exit-code'."])
        try await d.eventually { try await alarms(d).contains { $0["rule"] as? String == "service-failed" } }
        let a = try #require(try await alarms(d).first { $0["rule"] as? String == "service-failed" })
        #expect((a["key"] as? String)?.hasSuffix("/nginx.service") == true)
        // The README's second example: five sshd failures for root.
        for p in 51001...51005 {
            try await logger(
                port, ["-t", "sshd", "--id=4242", "Failed password for root from 203.0.113.9 port \(p) ssh2"])
        }
        try await d.eventually { try await alarms(d).contains { $0["rule"] as? String == "ssh-brute-force" } }
        let brute = try #require(try await alarms(d).first { $0["rule"] as? String == "ssh-brute-force" })
        #expect((brute["key"] as? String)?.hasSuffix("/root") == true)
        try await d.stop()
    }
}
