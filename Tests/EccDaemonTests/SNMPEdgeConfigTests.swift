import EccConfig
import EccDaemon
import EccIncidents
import EccRules
import EccTestSupport
import EccYAML
import Foundation
import Logging
import Testing

@testable import EccSNMP

/// The SNMP listener's community decision, `v3_only`, the SNMP limits and SNMPv3 secrets in files, as
/// the configuration, `eccd --check-config` and a running eccd (with net-snmp's `snmptrap`) see them.
@Suite("SNMP edge configuration", .serialized)
struct SNMPEdgeConfigTests {
    static func problem(_ text: String) -> String? {
        do {
            _ = try DaemonConfig.parse(text, file: "c.yaml")
            return nil
        } catch { return error.description }
    }

    @Test("off loopback, v1/v2c needs a community decision: a list, any, or v3_only; loopback needs none")
    func communityDecision() {
        let refused = [
            ("snmp:\n  listen: 0.0.0.0:162\n", "c.yaml:2:11: snmp.listen 0.0.0.0:162 is not a loopback address"),
            ("snmp:\n  listen: \"[::]:162\"\n", "c.yaml:2:11: snmp.listen [::]:162 is not a loopback address"),
            ("snmp:\n  listen: \"10.0.0.5:1162\"\n  users: [{name: a}]\n", "c.yaml:2:11: snmp.listen 10.0.0.5:1162"),
            ("snmp:\n  listen: :162\n  v3_only: false\n", "c.yaml:2:11: snmp.listen 0.0.0.0:162"),
        ]
        for (text, prefix) in refused {
            let p = Self.problem(text)
            #expect(p?.hasPrefix(prefix) == true, "\(p ?? "accepted")")
            #expect(p?.contains("communities: [your-community]") == true && p?.contains("v3_only: true") == true)
        }
        let accepted = [
            "snmp:\n  listen: 0.0.0.0:162\n  communities: [s3cret, other]\n",
            "snmp:\n  listen: 0.0.0.0:162\n  communities: any\n",
            "snmp:\n  listen: \"[::]:162\"\n  v3_only: true\n",
            "snmp:\n  listen: 127.0.0.2:1162\n",
            "snmp:\n  listen: \"[::1]:1162\"\n",
            "snmp:\n  listen: localhost:1162\n",
            "snmp:\n  enabled: false\n  listen: 0.0.0.0:162\n",
            "",
        ]
        for text in accepted { #expect(Self.problem(text) == nil, "\(text): \(Self.problem(text) ?? "")") }
        let any = try? DaemonConfig.parse("snmp:\n  listen: 0.0.0.0:162\n  communities: any\n", file: "c.yaml")
        #expect(any?.snmp.policy.anyCommunity == true && any?.snmp.communities == nil)
        let listed = try? DaemonConfig.parse("snmp:\n  communities: [s3cret]\n  v3_only: true\n", file: "c.yaml")
        #expect(listed?.snmp.communities == ["s3cret"] && listed?.snmp.policy.v3Only == true)
        // A configuration made in code is checked at start too.
        var c = DaemonConfig()
        c.snmp.host = "0.0.0.0"
        #expect(c.snmpCommunityProblem != nil)
        #expect {
            _ = try Daemon(config: c, logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("snmp.listen 0.0.0.0:1162 is not a loopback address")
        }
        c.snmp.policy.v3Only = true
        #expect(c.snmpCommunityProblem == nil)
    }

    @Test("SNMP limits: defaults, bounds, and errors at file:line:col")
    func limits() throws {
        let c = try DaemonConfig.parse(
            "snmp:\n  max_varbinds: 64\n  reports_per_second: 7\n  responses_per_second: 9\n", file: "c.yaml")
        #expect(c.snmp.policy.limits == SNMPLimits(maxVarbinds: 64, reportsPerSecond: 7, responsesPerSecond: 9))
        #expect(
            DaemonConfig().snmp.policy.limits
                == SNMPLimits(maxVarbinds: 256, reportsPerSecond: 100, responsesPerSecond: 1000))
        let bad = [
            ("snmp:\n  max_varbinds: 1\n", "c.yaml:2:17: snmp.max_varbinds must be at least 2, not 1"),
            ("snmp:\n  max_varbinds: 100000\n", "c.yaml:2:17: snmp.max_varbinds must be at most 10000, not 100000"),
            ("snmp:\n  reports_per_second: 0\n", "c.yaml:2:23: snmp.reports_per_second must be positive"),
            ("snmp:\n  responses_per_second: -5\n", "c.yaml:2:25: snmp.responses_per_second must be positive"),
            ("snmp:\n  communities: []\n", "c.yaml:2:16: snmp.communities is empty"),
            ("snmp:\n  v3_only: maybe\n", "c.yaml:2:12:"),
        ]
        for (text, prefix) in bad {
            let p = Self.problem(text)
            #expect(p?.hasPrefix(prefix) == true, "\(p ?? "accepted")")
        }
    }

    static func secretFile(_ dir: URL, _ name: String, _ text: String, mode: Int) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("SNMPv3 secrets from files: the same user as inline; refused when others can read; never in errors")
    func secretFiles() throws {
        let dir = try TestServers.makeTemporaryDirectory("ecc-snmp-secrets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let auth = try Self.secretFile(dir, "auth", "auth secret 1\n", mode: 0o640)
        let priv = try Self.secretFile(dir, "priv", "priv secret 2\nignored\n", mode: 0o600)
        let open = try Self.secretFile(dir, "open", "auth secret 1\n", mode: 0o644)
        let short = try Self.secretFile(dir, "short", "hunter2\n", mode: 0o600)
        let key = try Self.secretFile(dir, "key", "0x6695febc9288e36282235fc7151f128497b38f3f\n", mode: 0o600)
        let fromFiles = try DaemonConfig.parse(
            """
            snmp:
              users:
                - {name: ops, auth: SHA-256, auth_passphrase_file: \(auth), priv: AES, priv_passphrase_file: \(priv)}
                - {name: keyed, auth: SHA, auth_key_file: \(key), engine_id: "0x000000000000000000000002"}
            """, file: "c.yaml")
        let inline = try DaemonConfig.parse(
            """
            snmp:
              users:
                - {name: ops, auth: SHA-256, auth_passphrase: "auth secret 1", priv: AES, priv_passphrase: "priv secret 2"}
                - {name: keyed, auth: SHA, auth_key: "0x6695febc9288e36282235fc7151f128497b38f3f", engine_id: "0x000000000000000000000002"}
            """, file: "c.yaml")
        #expect(fromFiles.snmp.users == inline.snmp.users)
        for text in ["\(fromFiles)", String(reflecting: fromFiles), "\(fromFiles.snmp.users)"] {
            #expect(!text.contains("auth secret 1") && !text.contains("priv secret 2") && !text.contains("6695febc"))
        }
        let bad = [
            (
                "{name: a, auth: SHA, auth_passphrase_file: \(open)}",
                "c.yaml:3:50: auth_passphrase_file: '\(open)' is readable by every user"
            ),
            (
                "{name: a, auth: SHA, auth_passphrase_file: \(short)}",
                "c.yaml:3:50: auth_passphrase must have at least 8"
            ),
            (
                "{name: a, auth: SHA, auth_passphrase_file: \(dir.path)/none}",
                "c.yaml:3:50: auth_passphrase_file: cannot read"
            ),
            (
                "{name: a, auth: SHA, auth_passphrase: \"auth secret 1\", auth_passphrase_file: \(auth)}",
                "c.yaml:3:84: give auth_passphrase or auth_passphrase_file"
            ),
            (
                "{name: a, auth: SHA, auth_passphrase_file: \(auth), auth_key_file: \(key), engine_id: \"0x0102030405\"}",
                "c.yaml:"
            ),
            ("{name: a, priv_passphrase_file: \(priv)}", "c.yaml:3:39: a privacy secret without priv"),
        ]
        for (user, prefix) in bad {
            let p = Self.problem("snmp:\n  users:\n    - \(user)\n")
            #expect(p?.hasPrefix(prefix) == true, "\(p ?? "accepted")")
            #expect(
                p?.contains("auth secret") == false && p?.contains("hunter2") == false
                    && p?.contains("priv secret") == false)
        }
    }

    /// The eccd binary beside the test bundle (SwiftPM builds both into the same folder).
    static func eccd() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            beside.appendingPathComponent("eccd").path,
            beside.deletingLastPathComponent().appendingPathComponent("eccd").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/eccd").path,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestServerError("eccd not built (looked at \(candidates))")
        }
        return found
    }

    @Test(
        "eccd --check-config refuses an SNMP listener off loopback without a community decision, and says what to write"
    )
    func checkConfig() throws {
        let dir = try TestServers.makeTemporaryDirectory("ecc-snmp-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("eccd.yaml").path
        let base = "rules: [\(dir.path)/rules]\nsnmp:\n  listen: 0.0.0.0:162\n"
        try base.write(toFile: config, atomically: true, encoding: .utf8)
        let (status, output) = try ChildProcess.run(try Self.eccd(), ["--check-config", "--config", config])
        #expect(status == 2, "\(output)")
        #expect(output.contains("\(config):3:11: snmp.listen 0.0.0.0:162 is not a loopback address"), "\(output)")
        #expect(output.contains("communities: [your-community]"), "\(output)")
        try (base + "  communities: [s3cret]\n").write(toFile: config, atomically: true, encoding: .utf8)
        let (ok, okOutput) = try ChildProcess.run(try Self.eccd(), ["--check-config", "--config", config])
        #expect(ok == 0, "\(okOutput)")
    }

    /// An SNMPv3 engine-ID discovery probe as net-snmp sends it (reportable, empty engine ID and user).
    static func probe(msgID: Int64) -> [UInt8] {
        let scoped = V3Message.encodeScopedPDU(
            contextEngineID: [], contextName: [], tag: 0xA0, requestID: 77, varbinds: [])
        return V3Message.encode(
            msgID: msgID, flags: V3Message.flagReportable, engineID: [], boots: 0, time: 0, userName: [],
            macLength: 0, privParams: [], data: scoped, dataIsEncrypted: false)
    }

    static func sendUDP(_ bytes: [UInt8], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    @Test("a running eccd: a wrong community, too many varbinds and Reports past the limit are counted in /metrics")
    func wrongCommunity() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/snmptrap") else {
            throw TestServerError("net-snmp's snmptrap is missing: make test-deps")
        }
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let passFile = try Self.secretFile(URL(fileURLWithPath: dir), "auth", "auth secret 1\n", mode: 0o600)
        let parsed = try DaemonConfig.parse(
            """
            snmp:
              listen: 127.0.0.1:0
              communities: [s3cret]
              users: [{name: ops, auth: SHA, auth_passphrase_file: \(passFile)}]
              max_varbinds: 32
              reports_per_second: 2
            """, file: "c.yaml")
        let d = try await TestDaemon(dir: dir) { c in
            c.snmp.communities = parsed.snmp.communities
            c.snmp.users = parsed.snmp.users
            c.snmp.policy = parsed.snmp.policy
        }
        let port = d.daemon.snmpPort ?? 0
        let many = (0..<40).flatMap { ["1.3.6.1.4.1.9.9.\($0)", "i", "\($0)"] }
        for (n, (community, varbinds)) in [("public", []), ("s3cret", []), ("s3cret", many)].enumerated() {
            let (rc, out) = try ChildProcess.run(
                "/usr/bin/env",
                [
                    "MIBS=", "SNMP_PERSISTENT_DIR=\(dir)/netsnmp-\(n)", "/usr/bin/snmptrap", "-m", "", "-v", "2c",
                    "-c", community, "127.0.0.1:\(port)", "", "1.3.6.1.6.3.1.1.5.1",
                ] + varbinds)
            #expect(rc == 0, "\(out)")
        }
        for i in 0..<10 { Self.sendUDP(Self.probe(msgID: Int64(i)), port: port) }
        var metrics = ""
        try await d.eventually {
            metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
            return metrics.contains(#"ecc_snmp_bad_packets_total{reason="community"} 1"#)
                && metrics.contains(#"ecc_snmp_bad_packets_total{reason="too_many_varbinds"} 1"#)
                && metrics.contains(#"ecc_snmp_notifications_total{source="127.0.0.1"} 1"#)
                && metrics.contains(#"ecc_snmp_replies_limited_total{reason="unknown_engine_id",reply="report"}"#)
        }
        #expect(metrics.contains(#"ecc_snmp_bad_packets_total{reason="community"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"ecc_snmp_bad_packets_total{reason="too_many_varbinds"} 1"#))
        #expect(metrics.contains(#"ecc_snmp_replies_limited_total{reason="unknown_engine_id",reply="report"}"#))
        let status = String(decoding: try await d.client.request(.GET, "/v1/status").body, as: UTF8.self)
        for text in [metrics, status] {
            #expect(!text.contains("auth secret 1") && !text.contains("s3cret"))
        }
        try await d.stop()
    }
}
