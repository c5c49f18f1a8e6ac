import EccConfig
import EccDaemon
import EccRules
import EccTestSupport
import EccYAML
import Foundation
import Testing

/// The configuration file is input too: every numeric key has a maximum, NUL characters and alias bombs
/// are refused, all with `file:line:column`, and `eccd --check-config` says so before a start could fail.
@Suite("Configuration bounds")
struct ConfigBoundsTests {
    func error(_ text: String) -> String? {
        do {
            _ = try DaemonConfig.parse(text, file: "c.yaml")
            return nil
        } catch { return error.description }
    }

    @Test(
        "every numeric key accepts its maximum and refuses one more",
        arguments: [
            ("bus", "capacity", DaemonConfig.Maximum.busCapacity),
            ("http", "max_body_bytes", DaemonConfig.Maximum.httpMaxBodyBytes),
            ("tcp", "max_line_bytes", DaemonConfig.Maximum.tcpMaxLineBytes),
            ("database", "max_size_mb", DaemonConfig.Maximum.databaseMaxSizeMB),
            ("snmp", "receive_buffer", DaemonConfig.Maximum.snmpReceiveBuffer),
        ])
    func maximum(section: String, key: String, max: Int) {
        #expect(error("\(section):\n  \(key): \(max)\n") == nil)
        #expect(
            error("\(section):\n  \(key): \(max + 1)\n")
                == "c.yaml:2:\(key.count + 5): \(section).\(key) must be at most \(max), not \(max + 1)")
    }

    @Test("a huge bus.capacity is refused (it used to pass the check, then hang eccd at start)")
    func hugeBus() {
        #expect(
            error("bus:\n  capacity: 4611686018427387905\n")
                == "c.yaml:2:13: bus.capacity must be at most 4194304, not 4611686018427387905")
        #expect(
            error("bus:\n  capacity: 99999999999999999999\n")?.hasPrefix("c.yaml:2:13: bus.capacity must be a") == true)
    }

    @Test("a notification rate limit past 1,000,000 is refused (its default burst overflowed an Int)")
    func hugeRate() {
        let text = """
            notify:
              receivers:
                - name: ops
                  webhook: {url: "http://127.0.0.1:9/hook"}
                  rate_limit: {rate: 1e19}
            """
        #expect(error(text)?.hasPrefix("c.yaml:5:26: rate must be a positive number of at most 1000000") == true)
        #expect(error(text.replacingOccurrences(of: "rate: 1e19", with: "rate: 5, burst: 1000001")) != nil)
    }

    @Test("a NUL character in a configuration string is refused, not truncated")
    func nul() {
        #expect(
            error("database:\n  path: \"./var/ecc.db\\0.tmp\"\n")
                == "c.yaml:2:9: a NUL character is not allowed in a rule or configuration file")
    }

    @Test("a billion-laughs configuration is refused")
    func laughs() {
        var lines = ["x0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for (i, (prev, name)) in zip("abcdefgh", "bcdefghi").enumerated() {
            lines.append("x\(i + 1): &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ", ") + "]")
        }
        lines.append("rules: *i")
        #expect(error(lines.joined(separator: "\n"))?.contains("aliases expand to more than 100000 nodes") == true)
    }

    @Test("eccd --check-config refuses a huge bus.capacity with file:line:col and exit status 2")
    func checkConfig() throws {
        let bin = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("eccd").path ?? ""
        let eccd = FileManager.default.isExecutableFile(atPath: bin) ? bin : ".build/debug/eccd"
        try #require(FileManager.default.isExecutableFile(atPath: eccd), "eccd is built beside the tests")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-bounds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("eccd.yaml").path
        try "rules: []\nbus:\n  capacity: 1000000000000\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (status, text) = try ChildProcess.run(eccd, ["--config", config, "--check-config"])
        #expect(status == 2)
        #expect(text.contains("\(config):3:13: bus.capacity must be at most 4194304, not 1000000000000"))
    }
}
