import EccBus
import EccCollectors
import EccCore
import EccSNMP
import EccTestSupport
import Foundation
import Logging
import Testing

/// SNMPv3 with net-snmp's own tools: `snmptrap`/`snmpinform` send with every USM protocol pair the issue
/// names; eccd's events must carry what snmptrapd (configured with the same users) prints with `-On`, and
/// wrong passphrases, unknown users and replays are dropped and counted.
@Suite("SNMPv3 with net-snmp", .serialized)
struct NetSNMPv3Tests {
    typealias T = NetSNMPTests
    static let senderEngine = "0x8000000001020304"

    /// name, auth, priv, the level to send at.
    static let users: [(name: String, auth: String?, priv: String?, level: String)] = [
        ("plain", nil, nil, "noAuthNoPriv"),
        ("md5", "MD5", nil, "authNoPriv"),
        ("sha", "SHA", nil, "authNoPriv"),
        ("sha256", "SHA-256", nil, "authNoPriv"),
        ("shaaes", "SHA", "AES", "authPriv"),
        ("md5des", "MD5", "DES", "authPriv"),
        ("sha256aes256", "SHA-256", "AES-256", "authPriv"),
        ("sha512aes192", "SHA-512", "AES-192", "authPriv"),
        // A 20-byte SHA key extended to AES-256's 32 (draft-blumenthal-aes-usm-04, as net-snmp does).
        ("shaaes256", "SHA", "AES-256", "authPriv"),
        ("md5aes192", "MD5", "AES-192", "authPriv"),
    ]
    static let authPass = "auth-passphrase-1"
    static let privPass = "priv-passphrase-2"

    static func usmUsers() -> [USMUser] {
        users.map { u in
            USMUser(
                name: u.name,
                auth: u.auth.flatMap { AuthProtocol(name: $0) }.map { ($0, .passphrase(Array(authPass.utf8))) },
                priv: u.priv.flatMap { PrivProtocol(name: $0) }.map { ($0, .passphrase(Array(privPass.utf8))) })
        }
    }

    static func securityArgs(_ u: (name: String, auth: String?, priv: String?, level: String), authPass: String)
        -> [String]
    {
        var a = ["-v", "3", "-u", u.name, "-l", u.level]
        if let auth = u.auth { a += ["-a", auth, "-A", authPass] }
        if let priv = u.priv { a += ["-x", priv, "-X", privPass] }
        return a
    }

    /// snmptrapd knowing the same users: for traps localized to the sender's engine ID, for informs to its own.
    static func trapdConfig() -> String {
        var lines = ["disableAuthorization yes"]
        for u in users {
            var secrets = ""
            if let auth = u.auth { secrets += " \(auth) \(authPass)" }
            if let priv = u.priv { secrets += " \(priv) \(privPass)" }
            lines.append("createUser -e \(senderEngine) \(u.name)\(secrets)")
            lines.append("createUser \(u.name)\(secrets)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func startReceiver(_ ring: Ring<Event>) async throws -> (SNMPTrapReceiver, Task<Void, any Error>) {
        var logger = Logger(label: "snmp-v3-test")
        logger.logLevel = .critical
        let receiver = SNMPTrapReceiver(
            host: "127.0.0.1", port: 0, ring: ring, clock: ManualClock(), logger: logger,
            usm: .init(users: usmUsers()), receiveBuffer: 1 << 20)
        let task = try await NetSNMPTests.start(receiver)
        return (receiver, task)
    }

    static func drain(_ ring: Ring<Event>, into events: inout [Event], until count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while events.count < count && ContinuousClock.now < deadline {
            _ = ring.drain(maximum: 16) { events.append($0) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("v3 traps and informs at every level and protocol pair: events carry what snmptrapd -On prints")
    func everyProtocol() async throws {
        try T.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        let (receiver, task) = try await Self.startReceiver(ring)
        defer { task.cancel() }
        let ours = receiver.boundPort ?? 0
        let trapd = try T.TrapDaemon(config: Self.trapdConfig())
        defer { trapd.stop() }
        let varbinds = [
            "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.9", "i", "9", "1.3.6.1.2.1.2.2.1.2.9", "s", "Gi0/9",
            "1.3.6.1.4.1.9.9.1", "x", "00FF10", "1.3.6.1.4.1.9.9.2", "a", "10.1.2.3",
        ]
        var events: [Event] = []
        var expected = 0
        for u in Self.users {
            for inform in [false, true] {
                for port in [ours, trapd.port] {
                    let tool = inform ? "/usr/bin/snmpinform" : "/usr/bin/snmptrap"
                    let engine = inform ? [] : ["-e", Self.senderEngine]
                    let args =
                        ["-m", "", "-r", "3", "-t", "3"] + Self.securityArgs(u, authPass: Self.authPass) + engine
                        + ["127.0.0.1:\(port)", "4242"] + varbinds
                    let (rc, out) = try T.run(tool, args)
                    #expect(rc == 0, "\(tool) \(u.name) to \(port == ours ? "eccd" : "snmptrapd"): \(out)")
                }
                expected += 1
                try await Self.drain(ring, into: &events, until: expected)
                let deadline = ContinuousClock.now + .seconds(30)
                while trapd.blocks.count < expected && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try #require(
                    events.count == expected, "\(u.name) inform=\(inform): no event; \(receiver.drops.byReason)")
                let e = events[expected - 1]
                #expect(e.attributes["snmpVersion"] == .string("3"))
                #expect(e.attributes["snmpUser"] == .string(u.name))
                #expect(e.attributes["snmpSecurityLevel"] == .string(u.level))
                #expect(e.type == "linkDown" && e.attributes["ifIndex"] == .int(9))
                let blocks = trapd.blocks
                try #require(blocks.count == expected, "snmptrapd printed \(blocks.count) for \(u.name)")
                for line in blocks[expected - 1].varbinds {
                    #expect(T.matches(line, e), "\(u.name): \(line) vs \(e.attributes)")
                }
            }
        }
        #expect(receiver.drops.byReason.isEmpty, "\(receiver.drops.byReason)")
        #expect(receiver.drops.informsAnswered == Self.users.count)
        #expect(receiver.drops.discoveriesAnswered >= 1)
    }

    @Test("wrong passphrase, unknown user, a lower level than configured, a replay: dropped and counted")
    func rejected() async throws {
        try T.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        let (receiver, task) = try await Self.startReceiver(ring)
        defer { task.cancel() }
        let target = "127.0.0.1:\(receiver.boundPort ?? 0)"
        func trap(_ args: [String]) throws {
            let (rc, out) = try T.run(
                "/usr/bin/snmptrap", ["-m", ""] + args + ["-e", Self.senderEngine, target, "1", "1.3.6.1.6.3.1.1.5.1"])
            #expect(rc == 0, "\(out)")
        }
        let sha = Self.users[2]
        try trap(Self.securityArgs(sha, authPass: "not-the-passphrase"))
        try trap(["-v", "3", "-u", "nobody", "-l", "authNoPriv", "-a", "SHA", "-A", Self.authPass])
        // shaaes is configured for authPriv: authNoPriv from it is refused.
        try trap(["-v", "3", "-u", "shaaes", "-l", "authNoPriv", "-a", "SHA", "-A", Self.authPass])
        // The sender's engine at boots 7, then a message claiming boots 6: a replay of an older boot.
        try trap(Self.securityArgs(sha, authPass: Self.authPass) + ["-Z", "7,100"])
        try trap(Self.securityArgs(sha, authPass: Self.authPass) + ["-Z", "6,100"])
        var events: [Event] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while receiver.drops.total < 4 && ContinuousClock.now < deadline {
            _ = ring.drain(maximum: 16) { events.append($0) }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(100))
        _ = ring.drain(maximum: 16) { events.append($0) }
        #expect(events.count == 1, "only the boots-7 trap gets through: \(events.map(\.attributes))")
        #expect(
            receiver.drops.byReason == [
                "wrong_digest": 1, "unknown_user": 1, "unsupported_security_level": 1, "not_in_time_window": 1,
            ])
    }

    @Test("the engine file: one engine ID across restarts, boots counting up; a new ID restarts at 1; bad files named")
    func engineFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-engine-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("snmp-engine").path
        let first = try SNMPEngineFile.boot(path: path, configuredID: nil)
        let second = try SNMPEngineFile.boot(path: path, configuredID: nil)
        #expect(first.persisted && second.persisted)
        #expect(first.engine.boots == 1 && second.engine.boots == 2)
        #expect(first.engine.engineID == second.engine.engineID && first.engine.engineID.count == 13)
        let configured: [UInt8] = [0x80, 0, 0x1F, 0x88, 4, 0x65, 0x63, 0x63]
        let third = try SNMPEngineFile.boot(path: path, configuredID: configured)
        #expect(third.engine == LocalEngine(engineID: configured, boots: 1))
        #expect(try SNMPEngineFile.boot(path: path, configuredID: configured).engine.boots == 2)
        try "engine_id 0x80001f8805aa\nboots many\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try SNMPEngineFile.boot(path: path, configuredID: nil)
        } throws: { error in
            "\(error)".contains("\(path):2: expected 'engine_id 0x…' or 'boots N'")
        }
    }
}
