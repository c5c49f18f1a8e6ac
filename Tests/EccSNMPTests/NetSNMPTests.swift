import EccBus
import EccCollectors
import EccCore
import EccSNMP
import EccTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// net-snmp's own tools against eccd's receiver: `snmptrap` and `snmpinform` send, and every decoded event
/// must carry the OIDs and values snmptrapd itself prints (`-On`) for the same packet.
@Suite("SNMP with net-snmp", .serialized)
struct NetSNMPTests {
    /// Installs net-snmp's tools if this machine lacks them (Debian packages snmp, snmptrapd).
    static func tools() throws {
        let needed = ["/usr/bin/snmptrap", "/usr/bin/snmpinform", "/usr/sbin/snmptrapd"]
        if needed.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) { return }
        _ = try run(
            "/usr/bin/apt-get", ["install", "-y", "-q", "snmp", "snmptrapd"], env: ["DEBIAN_FRONTEND": "noninteractive"]
        )
        for t in needed where !FileManager.default.isExecutableFile(atPath: t) {
            throw Failure("\(t) is missing and apt-get could not install it")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Starts a program with its output (stdout and stderr) in `outputPath`; returns its pid. (posix_spawn and
    /// waitpid rather than Foundation's Process, whose wait depends on a run loop the test threads lack.)
    static func spawn(_ path: String, _ args: [String], outputPath: String, env: [String: String] = [:]) throws
        -> pid_t
    {
        var environment = ProcessInfo.processInfo.environment
        environment["MIBS"] = ""
        // Each net-snmp tool keeps its engine state in a folder of its own: tests run in parallel, and
        // tools sharing /var/lib/snmp race on its files (a half-written one made snmpinform time out).
        environment["SNMP_PERSISTENT_DIR"] =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("ecc-netsnmp-\(UUID())").path
        for (k, v) in env { environment[k] = v }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        // The test process blocks signals on its threads; the child must not inherit that (nor ignored ones),
        // or it would not stop on SIGTERM.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw Failure("cannot start \(path): error \(rc)") }
        return pid
    }

    /// Runs a program to its end; returns its exit status and output.
    @discardableResult
    static func run(_ path: String, _ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-run-\(UUID()).out").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let pid = try spawn(path, args, outputPath: out, env: env)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// Runs the receiver in a task until it listens (or throws after 60 s, with the error it ended on, if
    /// any); cancel the task to stop it. The wait is long because on two cores the test run's cooperative
    /// pool has two threads, and other suites block them for seconds while their servers start (a CI run
    /// once saw this receiver not bound after 10 s).
    static func start(_ receiver: SNMPTrapReceiver) async throws -> Task<Void, any Error> {
        let ended = Mutex<String?>(nil)
        let task = Task {
            do { try await receiver.run() } catch {
                ended.withLock { $0 = "\(error)" }
                throw error
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while receiver.boundPort == nil {
            if let error = ended.withLock({ $0 }) {
                throw Failure("the receiver on \(receiver.host) ended before it listened: \(error)")
            }
            if ContinuousClock.now > deadline {
                task.cancel()
                throw Failure("the receiver did not start on \(receiver.host) within 60 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return task
    }

    static func freeUDPPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 16) } }
        var len = socklen_t(16)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// snmptrapd -On on a free port, printing each notification as a block of varbind lines.
    final class TrapDaemon: Sendable {
        let pid: pid_t
        let port = NetSNMPTests.freeUDPPort()
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-trapd-\(UUID()).out").path

        init(config: String = "disableAuthorization yes\n") throws {
            let conf = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-trapd-\(UUID()).conf")
            try config.write(to: conf, atomically: true, encoding: .utf8)
            pid = try NetSNMPTests.spawn(
                "/usr/sbin/snmptrapd",
                [
                    "-f", "-Lo", "-On", "-m", "", "-C", "-c", conf.path, "-F", "TRAP %N %w %q %a\n%V\n%v\n----\n",
                    "udp:127.0.0.1:\(port)",
                ], outputPath: outputPath,
                env: [
                    "SNMP_PERSISTENT_DIR": FileManager.default.temporaryDirectory.appendingPathComponent(
                        "ecc-trapd-\(UUID())"
                    ).path
                ])
            Thread.sleep(forTimeInterval: 0.5)
        }

        /// The printed notifications so far: header line and varbind lines.
        var blocks: [(header: String, varbinds: [String])] {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "----\n").compactMap { block in
                let lines = block.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
                guard let h = lines.firstIndex(where: { $0.hasPrefix("TRAP ") }) else { return nil }
                return (lines[h], Array(lines[(h + 1)...]))
            }
        }

        func stop() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(atPath: outputPath)
        }
    }

    /// The attribute value as the bytes or text snmptrapd would print after `TYPE: `.
    static func matches(_ line: String, _ e: Event) -> Bool {
        // ".1.3.6.1.2.1.2.2.1.1.7 = INTEGER: 7"
        guard let eq = line.range(of: " = ") else { return false }
        let oid = String(line[..<eq.lowerBound].dropFirst())
        let rest = String(line[eq.upperBound...])
        let (type, value) =
            rest.firstIndex(of: ":").map {
                (String(rest[..<$0]), String(rest[rest.index($0, offsetBy: 2)...]))
            } ?? (rest, "")
        if oid == OID.sysUpTime0.description {
            // "(1359285) 3:46:32.85"
            return e.attributes["sysUpTime"]?.text == value.dropFirst().prefix { $0 != ")" }.description
        }
        if oid == OID.snmpTrapOID0.description { return "." + (e.attributes["snmpTrapOID"]?.text ?? "") == value }
        guard let got = e.attributes[oid] else { return false }
        switch type {
        case "STRING": return "\"" + got.text + "\"" == value
        case "Hex-STRING":
            let bytes = value.split(separator: " ").compactMap { UInt8($0, radix: 16) }
            return Array(got.text.utf8) == bytes
                || got.text == bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
        case "OID": return "." + got.text == value
        case "Timeticks": return got.text == value.dropFirst().prefix { $0 != ")" }.description
        default: return got.text == value  // INTEGER, Counter32, Gauge32, Counter64, IpAddress
        }
    }

    @Test("v1, v2c and informs from snmptrap/snmpinform: events carry what snmptrapd -On prints")
    func againstSnmptrapd() async throws {
        try Self.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        var logger = Logger(label: "snmp-test")
        logger.logLevel = .warning
        let receiver = SNMPTrapReceiver(
            host: "127.0.0.1", port: 0, ring: ring, clock: ManualClock(), logger: logger, receiveBuffer: 1 << 20)
        let task = try await NetSNMPTests.start(receiver)
        defer { task.cancel() }
        let ours = receiver.boundPort ?? 0
        let trapd = try TrapDaemon()
        defer { trapd.stop() }

        let v2 = [
            "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7", "1.3.6.1.2.1.2.2.1.2.7", "s", "Gi0/7",
            "1.3.6.1.4.1.9.9.1", "x", "0A1BFF", "1.3.6.1.4.1.9.9.2", "a", "10.1.2.3", "1.3.6.1.4.1.9.9.3", "c", "5",
            "1.3.6.1.4.1.9.9.4", "u", "6", "1.3.6.1.4.1.9.9.5", "t", "700", "1.3.6.1.4.1.9.9.6", "o",
            "1.3.6.1.4.1.9", "1.3.6.1.4.1.9.9.7", "C", "123456789012", "1.3.6.1.2.1.1.5.0", "s", "ü-host",
        ]
        let sends: [(tool: String, args: [String])] = [
            ("/usr/bin/snmptrap", ["-v", "2c", "-c", "public"] + ["PORT", "4242"] + v2),
            ("/usr/bin/snmpinform", ["-v", "2c", "-c", "public"] + ["PORT", "4343"] + v2),
            (
                "/usr/bin/snmptrap",
                [
                    "-v", "1", "-c", "public", "PORT", "1.3.6.1.4.1.8072.2.3", "10.9.8.7", "6", "17", "4444",
                    "1.3.6.1.2.1.2.2.1.1.3", "i", "3",
                ]
            ),
            (
                "/usr/bin/snmptrap",
                [
                    "-v", "1", "-c", "public", "PORT", "1.3.6.1.4.1.8072.2.3", "10.9.8.7", "2", "0", "4545",
                    "1.3.6.1.2.1.2.2.1.1.3", "i", "3",
                ]
            ),
        ]
        var events: [Event] = []
        for (n, send) in sends.enumerated() {
            for port in [ours, trapd.port] {
                let args = send.args.map { $0 == "PORT" ? "127.0.0.1:\(port)" : $0 }
                let (rc, out) = try Self.run(send.tool, ["-m", ""] + args)
                #expect(rc == 0, "\(send.tool) to \(port): \(out)")
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while events.count <= n && ContinuousClock.now < deadline {
                _ = ring.drain(maximum: 16) { events.append($0) }
                try await Task.sleep(for: .milliseconds(5))
            }
            while trapd.blocks.count <= n && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        try #require(events.count == 4, "events: \(events.count)")
        let blocks = trapd.blocks
        try #require(blocks.count == 4, "snmptrapd printed \(blocks.count) notifications")
        for (e, b) in zip(events, blocks) {
            for line in b.varbinds {
                #expect(Self.matches(line, e), "\(line) vs \(e.attributes)")
            }
        }
        #expect(events[0].type == "linkDown" && events[0].attributes["ifIndex"] == .int(7))
        #expect(events[1].attributes["1.3.6.1.2.1.1.5.0"] == .string("ü-host"))
        #expect(receiver.drops.informsAnswered == 1)
        // v1: snmptrapd prints the enterprise, generic and specific trap; ours carries the RFC 3584 OID.
        #expect(blocks[2].header.hasPrefix("TRAP .1.3.6.1.4.1.8072.2.3 6 .17 10.9.8.7"))
        #expect(events[2].attributes["snmpTrapOID"] == .string("1.3.6.1.4.1.8072.2.3.0.17"))
        #expect(events[2].host == "10.9.8.7")
        #expect(events[3].type == "linkDown" && events[3].attributes["snmpTrapOID"] == .string("1.3.6.1.6.3.1.1.5.3"))
    }

    @Test("IPv6, and a community allowlist: another community is dropped and counted")
    func ipv6AndCommunities() async throws {
        try Self.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        var logger = Logger(label: "snmp-test")
        logger.logLevel = .critical
        let receiver = SNMPTrapReceiver(
            host: "::1", port: 0, ring: ring, clock: ManualClock(), logger: logger, communities: ["s3cret"],
            receiveBuffer: 1 << 20)
        let task = try await NetSNMPTests.start(receiver)
        defer { task.cancel() }
        let target = "udp6:[::1]:\(receiver.boundPort ?? 0)"
        for community in ["public", "s3cret"] {
            let (rc, out) = try Self.run(
                "/usr/bin/snmptrap",
                ["-m", "", "-v", "2c", "-c", community, target, "1", "1.3.6.1.6.3.1.1.5.1"])
            #expect(rc == 0, "\(out)")
        }
        var events: [Event] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while (events.isEmpty || receiver.drops.total == 0) && ContinuousClock.now < deadline {
            _ = ring.drain(maximum: 16) { events.append($0) }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(events.map(\.type) == ["coldStart"])
        #expect(events.first?.host == "::1")
        #expect(receiver.drops.byReason == ["community": 1])
        // Per-sender counts reach the shared table within about a second.
        let published = ContinuousClock.now + .seconds(3)
        while receiver.sources.bySource["::1"] == nil && ContinuousClock.now < published {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(receiver.sources.bySource == ["::1": .init(accepted: 1, rejected: 1)])
    }

    @Test("large notifications (a 1400-byte and a 20 000-byte varbind) arrive whole")
    func largeNotifications() async throws {
        try Self.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        var logger = Logger(label: "snmp-test")
        logger.logLevel = .critical
        let receiver = SNMPTrapReceiver(
            host: "127.0.0.1", port: 0, ring: ring, clock: ManualClock(), logger: logger, receiveBuffer: 1 << 20)
        let task = try await NetSNMPTests.start(receiver)
        defer { task.cancel() }
        let sizes = [1400, 20_000]
        for size in sizes {
            let text = String(repeating: "x", count: size)
            let (rc, out) = try Self.run(
                "/usr/bin/snmptrap",
                [
                    "-m", "", "-v", "2c", "-c", "public", "127.0.0.1:\(receiver.boundPort ?? 0)", "",
                    "1.3.6.1.6.3.1.1.5.3",
                    "1.3.6.1.2.1.2.2.1.2.4", "s", text,
                ])
            #expect(rc == 0, "\(out)")
        }
        var events: [Event] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while events.count < sizes.count && ContinuousClock.now < deadline {
            _ = ring.drain(maximum: 16) { events.append($0) }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(events.map { $0.attributes["ifDescr"]?.text.count ?? 0 } == sizes, "\(receiver.drops.byReason)")
    }
}
