import EccClient
import EccCollectors
import EccConfig
import EccCore
import EccTestSupport
import EccYAML
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Syslog over TCP (RFC 6587) and TLS (RFC 5425) in a whole daemon: util-linux's `logger --tcp` in both
/// framings, hand-made streams for the edges, and a real rsyslog forwarding with omfwd over TCP and over
/// TLS (gtls) with a client certificate.
@Suite("Syslog over TCP and TLS", .serialized)
struct SyslogStreamTests {
    static let rules = """
        - rule: disk-full
          when: {source: syslog, type: syslog, app: diskwatch}
          key: "{summary}"
          alarm: {severity: major, summary: "{summary} ({host}, {syslog_format})"}
        """
    let syslog = SyslogDaemonTests()

    func summaries(_ d: TestDaemon) async throws -> Set<String> {
        Set(try await syslog.alarms(d).compactMap { $0["summary"] as? String })
    }

    func tcpPort(_ d: TestDaemon) async throws -> Int {
        try await d.eventually { d.daemon.syslogTCPPort != nil }
        return try #require(d.daemon.syslogTCPPort)
    }

    /// `logger` over TCP to 127.0.0.1:`port` (`--octet-count` for RFC 6587 octet counting, else newlines).
    func loggerTCP(_ port: Int, _ args: [String]) async throws {
        let (status, output) = try await offPool {
            try ChildProcess.run("/usr/bin/logger", ["-n", "127.0.0.1", "-P", "\(port)", "-T"] + args, timeout: 30)
        }
        #expect(status == 0, "logger \(args): \(output)")
    }

    @Test("logger --tcp with newline framing and with --octet-count, in both formats")
    func loggerOverTCP() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.syslog.udp = false
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
        }
        let port = try await tcpPort(d)
        #expect(d.daemon.syslogPort == nil)
        try await loggerTCP(port, ["--rfc5424", "-t", "diskwatch", "-p", "daemon.err", "/var is 97% full"])
        try await loggerTCP(port, ["--rfc3164", "-t", "diskwatch", "/home is 95% full"])
        try await loggerTCP(port, ["--rfc5424", "--octet-count", "-t", "diskwatch", "/srv is 99% full"])
        try await loggerTCP(port, ["--rfc3164", "--octet-count", "-t", "diskwatch", "/opt is 91% full"])
        try await d.eventually { try await summaries(d).count == 4 }
        // The host is this machine's name, as logger sends it: compare the message and the format.
        let seen = try await summaries(d).map { s in
            (s.components(separatedBy: " (").first ?? "") + " " + (s.components(separatedBy: ", ").last ?? "")
        }
        #expect(
            Set(seen) == [
                "/var is 97% full rfc5424)", "/home is 95% full rfc3164)", "/srv is 99% full rfc5424)",
                "/opt is 91% full rfc3164)",
            ])
        #expect(try await syslog.metric(d, #"ecc_syslog_malformed_total{reason="bad_priority"}"#) == 0)
        try await d.stop()
    }

    @Test(
        "framing edges: frames split anywhere, counted and newline frames mixed, over-long ones skipped, the last line without its newline"
    )
    func framing() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
            $0.syslog.maxMessageBytes = 480
        }
        let port = try await tcpPort(d)
        func counted(_ m: String) -> String { "\(m.utf8.count) \(m)" }
        let long = "<13>Dec  7 11:00:00 web1 diskwatch: " + String(repeating: "x", count: 600)
        let stream =
            counted("<11>1 2026-12-07T11:00:00Z web1 diskwatch - - - one")
            + "<13>Dec  7 11:00:00 web1 diskwatch: two\r\n"
            + counted(long)  // longer than max_message_bytes: skipped by its length
            + counted("<13>Dec  7 11:00:00 web1 diskwatch: three\n")  // a line end inside the count
            + long + "\n"  // an over-long line: skipped up to its newline
            + "\n\n"  // empty lines
            + "<13>Dec  7 11:00:00 web1 diskwatch: four"  // no newline: taken when the connection closes
        let bytes = Array(stream.utf8)
        let s = try LineSender(host: "127.0.0.1", port: port)
        // Byte by byte at first (a length split from its space, a message from its length), then in chunks.
        for b in bytes.prefix(80) { try s.send([b]) }
        var i = 80
        while i < bytes.count {
            let n = min(97, bytes.count - i)
            try s.send(Array(bytes[i..<i + n]))
            i += n
        }
        s.finish()
        try await d.eventually { try await summaries(d).count == 4 }
        #expect(
            try await summaries(d) == [
                "one (web1, rfc5424)", "two (web1, rfc3164)", "three (web1, rfc3164)", "four (web1, rfc3164)",
            ])
        try await d.eventually {
            try await syslog.metric(d, #"ecc_input_refused_total{collector="syslog",reason="line_length"}"#) == 2
        }
        try await d.eventually { try await syslog.metric(d, #"ecc_syslog_messages_total{source="127.0.0.1"}"#) == 4 }
        #expect(try await syslog.metric(d, #"ecc_syslog_rejected_total{source="127.0.0.1"}"#) == 2)
        try await d.stop()
    }

    @Test("a connection from outside syslog.allow is closed at once and counted; syslog.max_connections holds")
    func refusedConnections() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
            $0.syslog.allow = [CIDR("192.0.2.0/24")!]
        }
        let port = try await tcpPort(d)
        let closedAtOnce = try await offPool {
            let s = try LineSender(host: "127.0.0.1", port: port)
            try? s.send(Array("<13>Dec  7 11:00:00 web1 diskwatch: not allowed\n".utf8))
            return s.readUntilClosed(seconds: 10).closed
        }
        #expect(closedAtOnce)
        try await d.eventually {
            try await syslog.metric(d, #"ecc_input_refused_total{collector="syslog",reason="not_allowed"}"#) == 1
        }
        #expect(try await summaries(d).isEmpty)
        try await d.stop()

        let capped = try await TestDaemon(dir: dir) {
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
            $0.syslog.maxConnections = 1
        }
        let cappedPort = try await tcpPort(capped)
        let first = try LineSender(host: "127.0.0.1", port: cappedPort)
        try await capped.eventually { try await syslog.metric(capped, "ecc_syslog_connections") == 1 }
        #expect(
            try await offPool { try LineSender(host: "127.0.0.1", port: cappedPort).readUntilClosed(seconds: 3).closed }
        )
        try await capped.eventually {
            try await syslog.metric(capped, #"ecc_input_refused_total{collector="syslog",reason="connections"}"#) == 1
        }
        try first.send(Array("<13>Dec  7 11:00:00 web1 diskwatch: the first connection still counts\n".utf8))
        try await capped.eventually { try await summaries(capped).count == 1 }
        try await capped.stop()
    }
}

/// A real rsyslog (Debian's `rsyslog` and `rsyslog-gnutls`) forwarding to eccd: it takes `logger`'s messages
/// over UDP on two ports and forwards one port's with omfwd over TCP (traditional newline framing, its forward
/// format) and the other's over TLS (gtls, octet counting, RFC 5424), showing a client certificate eccd requires.
@Suite(
    "Syslog from rsyslog",
    .enabled(
        if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd")
            && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"),
        "needs rsyslog, rsyslog-gnutls and openssl (make test-deps)"),
    .serialized)
struct RsyslogForwardingTests {
    let syslog = SyslogDaemonTests()

    @Test("rsyslog's omfwd over TCP and over TLS with a client certificate; a TLS client without one is refused")
    func forwarding() async throws {
        let dir = try TestDaemon.makeDir(rules: SyslogStreamTests.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try makeCertificateAuthority(in: dir)
        let server = try signedCertificate(in: dir, ca: ca, name: "server", commonName: "localhost")
        let client = try signedCertificate(in: dir, ca: ca, name: "client", commonName: "rsyslog-client")
        let d = try await TestDaemon(dir: dir) {
            $0.syslog.udp = false
            $0.syslog.tcp = ListenEndpoint(host: "127.0.0.1", port: 0)
            $0.syslog.tls = .init(
                endpoint: ListenEndpoint(host: "127.0.0.1", port: 0),
                files: .init(certFile: server.cert, keyFile: server.key, clientCAFile: ca.cert))
        }
        try await d.eventually { d.daemon.syslogTCPPort != nil && d.daemon.syslogTLSPort != nil }
        let (tcp, tls) = (try #require(d.daemon.syslogTCPPort), try #require(d.daemon.syslogTLSPort))
        let (viaTCP, viaTLS) = (try TestServers.freeUDPPort(), try TestServers.freeUDPPort())
        let conf = """
            global(workDirectory="\(dir)" defaultNetstreamDriverCAFile="\(ca.cert)"
                   defaultNetstreamDriverCertFile="\(client.cert)" defaultNetstreamDriverKeyFile="\(client.key)")
            module(load="imudp")
            input(type="imudp" address="127.0.0.1" port="\(viaTCP)" ruleset="tcp")
            input(type="imudp" address="127.0.0.1" port="\(viaTLS)" ruleset="tls")
            ruleset(name="tcp") {
              action(type="omfwd" target="127.0.0.1" port="\(tcp)" protocol="tcp" template="RSYSLOG_ForwardFormat"
                     action.resumeRetryCount="-1" action.resumeInterval="1")
            }
            ruleset(name="tls") {
              action(type="omfwd" target="127.0.0.1" port="\(tls)" protocol="tcp" tcp_framing="octet-counted"
                     template="RSYSLOG_SyslogProtocol23Format" streamDriver="gtls" streamDriverMode="1"
                     streamDriverAuthMode="x509/name" streamDriverPermittedPeers="localhost"
                     action.resumeRetryCount="-1" action.resumeInterval="1")
            }
            """
        try conf.write(toFile: dir + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let rsyslog = try ChildProcess.spawn(
            "/usr/sbin/rsyslogd", ["-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslog.pid"],
            stdoutPath: "/dev/null", stderrPath: dir + "/rsyslog.err")
        defer { rsyslog.stop(grace: 5) }
        try await d.eventually { TestServers.udpBound(port: viaTCP) && TestServers.udpBound(port: viaTLS) }
        for n in 1...5 {
            try await syslog.logger(viaTCP, ["--rfc3164", "-t", "diskwatch", "via tcp \(n)"])
            try await syslog.logger(viaTLS, ["--rfc5424", "-t", "diskwatch", "via tls \(n)"])
        }
        let err = { (try? String(contentsOfFile: dir + "/rsyslog.err", encoding: .utf8)) ?? "" }
        try await d.eventually(20) { try await syslog.alarms(d).count == 10 }
        let seen = Set(
            try await syslog.alarms(d).compactMap { a -> String? in
                guard let s = a["summary"] as? String else { return nil }
                return (s.components(separatedBy: " (").first ?? "") + " "
                    + (s.components(separatedBy: ", ").last ?? "")
            })
        #expect(seen == Set((1...5).flatMap { ["via tcp \($0) rfc3164)", "via tls \($0) rfc5424)"] }), "\(err())")
        try await d.eventually { try await syslog.metric(d, #"ecc_syslog_messages_total{source="127.0.0.1"}"#) == 10 }

        // Without a client certificate the handshake fails, counted as tls.
        // (`-quiet` implies `-ign_eof`: the session stays open after the input file's end.)
        try "<13>Dec  7 11:00:00 web1 diskwatch: no certificate\n".write(
            toFile: dir + "/s_client.in", atomically: true, encoding: .utf8)
        let p = try ChildProcess.spawn(
            "/usr/bin/openssl", ["s_client", "-quiet", "-CAfile", ca.cert, "-connect", "127.0.0.1:\(tls)"],
            stdinPath: dir + "/s_client.in", stdoutPath: "/dev/null", stderrPath: "/dev/null")
        defer { p.stop(grace: 0) }
        try await d.eventually {
            try await syslog.metric(d, #"ecc_input_refused_total{collector="syslog",reason="tls"}"#) >= 1
        }
        #expect(try await syslog.alarms(d).count == 10)
        try await d.stop()
    }
}

@Suite("Syslog listener configuration")
struct SyslogListenConfigTests {
    func error(_ yaml: String) -> String? {
        do {
            _ = try DaemonConfig.parse(yaml, file: "eccd.yaml")
            return nil
        } catch { return error.description }
    }

    @Test("listen: off, tcp_listen, tls with a client CA; each listener off loopback needs an allow decision")
    func listeners() throws {
        let c = try DaemonConfig.parse(
            """
            syslog:
              listen: "off"
              tcp_listen: "127.0.0.1:1601"
              tls: {listen: "[::1]:6514", cert_file: /etc/ecc/syslog.pem, key_file: /etc/ecc/syslog.key,
                    client_ca_file: /etc/ecc/clients-ca.pem}
              max_connections: 50
              idle_timeout: 2m
            """, file: "eccd.yaml")
        #expect(!c.syslog.udp)
        #expect(c.syslog.tcp == ListenEndpoint(host: "127.0.0.1", port: 1601))
        #expect(c.syslog.tls?.endpoint == ListenEndpoint(host: "::1", port: 6514))
        #expect(c.syslog.tls?.files.clientCAFile == "/etc/ecc/clients-ca.pem")
        #expect(c.syslog.maxConnections == 50)
        #expect(c.syslog.idleTimeout == .seconds(120))
        #expect(c.syslog.listenerNames == "tcp 127.0.0.1:1601, tls [::1]:6514")

        #expect(
            error("syslog: {listen: \"off\"}")
                == "eccd.yaml:1:9: syslog listens nowhere: give listen, tcp_listen or tls, or say 'enabled: false'")
        #expect(
            error("syslog: {tls: {listen: \"127.0.0.1:6514\", cert_file: /c.pem}}")?.contains(
                "needs cert_file and key_file") == true)
        #expect(
            error("syslog: {tls: {cert_file: /c.pem, key_file: /k.pem}}")?.contains("syslog.tls needs listen") == true)
        #expect(
            error("syslog: {tcp_listen: \"0.0.0.0:601\"}")?.contains(
                "syslog listens on 0.0.0.0:601, which is not a loopback") == true)
        #expect(error("syslog: {tcp_listen: \"0.0.0.0:601\", allow: [10.0.0.0/8]}") == nil)
        #expect(error("syslog: {max_connections: 0}")?.contains("syslog.max_connections") == true)
        // A client CA that is not a certificate is refused when eccd checks the files.
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try makeCertificateAuthority(in: dir)
        let server = try signedCertificate(in: dir, ca: ca, name: "server", commonName: "localhost")
        try "not a certificate\n".write(toFile: dir + "/bad-ca.pem", atomically: true, encoding: .utf8)
        var bad = DaemonConfig()
        bad.syslog.tls = .init(
            endpoint: ListenEndpoint(host: "127.0.0.1", port: 6514),
            files: .init(certFile: server.cert, keyFile: server.key, clientCAFile: dir + "/bad-ca.pem"))
        #expect(throws: ConfigError.self) { try bad.syslogCertificates() }
    }
}
