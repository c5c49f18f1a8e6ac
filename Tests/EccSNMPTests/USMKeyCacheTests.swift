import EccCore
import Testing

@testable import EccSNMP

/// What unauthenticated v3 traffic can and cannot make the USM do: no password hashing per packet, no
/// eviction of real senders' keys; and the authenticated path the fuzz target wraps its inputs in.
@Suite("USM key cache")
struct USMKeyCacheTests {
    static let ours = LocalEngine(engineID: USMTests.bytes("80001f880501020304"), boots: 1)
    static let sender = USMTests.bytes("8000000001020304")
    static let sha = USMUser(name: "sha", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8))))

    static func trapPDU(_ tag: UInt8 = 0xA7) -> [UInt8] {
        V3Message.encodeScopedPDU(
            contextEngineID: [], contextName: [], tag: tag, requestID: 9,
            varbinds: [
                VarBind(.sysUpTime0, .timeticks(5)), VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.6.3.1.1.5.3"))),
                VarBind(oid("1.3.6.1.2.1.2.2.1.1.7"), .integer(7)),
            ])
    }

    @Test("a flood of v3 traps with made-up engine IDs: refused and counted, the real sender's key stays cached")
    func flood() {
        let usm = USMProcessor(engine: Self.ours, users: [Self.sha])
        func send(_ bytes: [UInt8]?) -> USMProcessor.Outcome? { bytes?.withUnsafeBytes { usm.process($0, now: 10) } }
        let real = USMProcessor.seal(
            scoped: Self.trapPDU(), level: .authNoPriv, user: Self.sha, engineID: Self.sender, boots: 3, time: 100)
        guard case .notification = send(real) else {
            Issue.record("the real sender's trap was not taken")
            return
        }
        #expect(usm.cachedEngines.map(\.engineID) == [Self.sender])

        // The attacker knows the user name, not the passphrase: every message fails its MAC.
        let guess = USMUser(name: "sha", auth: (.sha1, .passphrase(Array("not-the-passphrase".utf8))))
        let flood = 10_000
        for i in 0..<flood {
            let engineID = [0x80, 0, 0, 9] + withUnsafeBytes(of: UInt32(i).bigEndian, Array.init)
            let forged = USMProcessor.seal(
                scoped: Self.trapPDU(), level: .authNoPriv, user: guess, engineID: engineID, boots: 1, time: 1,
                reportable: true)
            guard case .rejected(.usm(.wrongDigest), let report) = send(forged), report != nil else {
                Issue.record("forged message \(i) was not refused as wrong_digest")
                return
            }
        }
        // And unknown users under made-up engines: refused before any key is made.
        let stranger = USMUser(name: "nobody", auth: (.sha1, .passphrase(Array("whatever-it-is".utf8))))
        for i in 0..<100 {
            let forged = USMProcessor.seal(
                scoped: Self.trapPDU(), level: .authNoPriv, user: stranger, engineID: [0x80, 1, 2, 3, UInt8(i)],
                boots: 1, time: 1)
            guard case .rejected(.usm(.unknownUser), _) = send(forged) else {
                Issue.record("unknown user \(i) was not refused")
                return
            }
        }
        #expect(usm.count(of: .wrongDigest) == UInt32(flood))
        #expect(usm.count(of: .unknownUser) == 100)
        #expect(usm.cachedEngines.map(\.engineID) == [Self.sender], "only the authenticated engine is cached")
        let again = USMProcessor.seal(
            scoped: Self.trapPDU(), level: .authNoPriv, user: Self.sha, engineID: Self.sender, boots: 3, time: 101)
        guard case .notification(let n, _) = send(again) else {
            Issue.record("the real sender's next trap was not taken")
            return
        }
        #expect(n.varbinds.count == 3)
    }

    @Test("a user keeps its master key, not its passphrase; localizing it is RFC 3414's A.3 vector")
    func masterKey() throws {
        let user = USMUser(name: "u", auth: (.md5, .passphrase(Array("maplesyrup".utf8))))
        let keys = try #require(user.keys(for: USMTests.engine))
        #expect(keys.auth == USMTests.bytes("526f5eed9fcce26f8964c2930787d82b"))
        #expect(user.auth?.key.form == .master(USMTests.bytes("9faf3283884e92834ebc9847d8edd963")))
        #expect(USMUser(name: "e", auth: (.sha1, .passphrase([]))).keys(for: USMTests.engine) == nil)
    }

    @Test("secrets never show: descriptions and mirrors of users and keys name protocols only")
    func redacted() {
        let user = USMUser(
            name: "ops", auth: (.sha256, .passphrase(Array("auth secret 1".utf8))),
            priv: (.aes256, .localizedKey(Array(repeating: 0xAB, count: 32))), engineID: [0x80, 0, 0, 0, 1])
        for text in [
            "\(user)", String(reflecting: user), String(describing: [user]), "\(user.auth as Any)",
            "\(USMUser.Secret.passphrase(Array("auth secret 1".utf8)))",
        ] {
            #expect(!text.contains("auth secret 1") && !text.contains("171") && !text.contains("master"), "\(text)")
        }
        var dumped = ""
        dump(user, to: &dumped)
        #expect(!dumped.contains("master") && !dumped.contains("171"), "\(dumped)")
        #expect("\(user)" == "USMUser(ops, SHA-256/AES-256, authPriv, engine 0x8000000001)")
    }

    @Test("sealed as the fuzz target seals: every user's trap and inform reach the scoped PDU's decoder")
    func sealedReachTheDecoder() {
        let users = [
            (Self.sha, SecurityLevel.authNoPriv),
            (
                USMUser(
                    name: "shaaes", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8))),
                    priv: (.aes128, .passphrase(Array("priv-passphrase-2".utf8)))), .authPriv
            ),
            (
                USMUser(
                    name: "md5des", auth: (.md5, .passphrase(Array("auth-passphrase-1".utf8))),
                    priv: (.des, .passphrase(Array("priv-passphrase-2".utf8)))), .authPriv
            ),
        ]
        let usm = USMProcessor(engine: Self.ours, users: users.map(\.0))
        for (user, level) in users {
            for (tag, engineID) in [(UInt8(0xA7), Self.sender), (0xA6, Self.ours.engineID)] {
                let message = USMProcessor.seal(
                    scoped: Self.trapPDU(tag), level: level, user: user, engineID: engineID, boots: 1, time: 0)
                let outcome = message?.withUnsafeBytes { usm.process($0, now: 0) }
                guard case .notification(let n, let reply) = outcome else {
                    Issue.record("\(user) \(tag): \(String(describing: outcome))")
                    continue
                }
                #expect(n.security?.level == level && n.varbinds.count == 3)
                #expect((reply != nil) == (tag == 0xA6), "an inform gets its Response")
            }
        }
    }
}
