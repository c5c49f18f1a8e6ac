import Testing

@testable import EccSNMP

/// The USM's key derivation against RFC 3414's published vectors, and the processor's answers to
/// hostile or odd v3 messages (the net-snmp suite covers the protocol pairs end to end).
@Suite("USM")
struct USMTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let h = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: h.count, by: 2).compactMap { UInt8(String(h[$0..<$0 + 2]), radix: 16) }
    }

    static let engine = bytes("000000000000000000000002")

    @Test("RFC 3414 A.3.1: maplesyrup with MD5")
    func md5Vector() {
        let ku = USMCrypto.passwordToKey(Array("maplesyrup".utf8), .md5)
        #expect(ku == Self.bytes("9faf3283884e92834ebc9847d8edd963"))
        #expect(
            USMCrypto.localize(ku ?? [], engineID: Self.engine, .md5) == Self.bytes("526f5eed9fcce26f8964c2930787d82b"))
    }

    @Test("RFC 3414 A.3.2: maplesyrup with SHA")
    func shaVector() {
        let ku = USMCrypto.passwordToKey(Array("maplesyrup".utf8), .sha1)
        #expect(ku == Self.bytes("9fb5cc0381497b3793528939ff788d5d79145211"))
        #expect(
            USMCrypto.localize(ku ?? [], engineID: Self.engine, .sha1)
                == Self.bytes("6695febc9288e36282235fc7151f128497b38f3f"))
    }

    @Test("key extension (Blumenthal): Kul || H(Kul), cut to the cipher's length")
    func extension_() {
        let kul = Self.bytes("6695febc9288e36282235fc7151f128497b38f3f")
        let extended = USMCrypto.extend(kul, to: 32, .sha1)
        #expect(extended.count == 32)
        #expect(Array(extended.prefix(20)) == kul)
        #expect(Array(extended.suffix(12)) == Array(USMCrypto.hash(kul, .sha1).prefix(12)))
    }

    @Test("AES-CFB and DES-CBC decrypt what they encrypt; DES refuses a partial block")
    func ciphers() {
        let key = Array(0..<32).map { UInt8($0) }
        let salt: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let text = Array("a scoped PDU, 31 bytes long....".utf8)
        for p in [PrivProtocol.aes128, .aes192, .aes256] {
            let sealed = USMCrypto.crypt(true, text, key: key, salt: salt, boots: 3, time: 99, p)
            #expect(sealed != nil && sealed != text)
            #expect(USMCrypto.crypt(false, sealed ?? [], key: key, salt: salt, boots: 3, time: 99, p) == text)
            // Another time: another IV, another plaintext.
            #expect(USMCrypto.crypt(false, sealed ?? [], key: key, salt: salt, boots: 3, time: 98, p) != text)
        }
        #expect(USMCrypto.crypt(true, text, key: key, salt: salt, boots: 0, time: 0, .des) == nil)
        let padded = text + [0]
        let des = USMCrypto.crypt(true, padded, key: key, salt: salt, boots: 0, time: 0, .des)
        #expect(USMCrypto.crypt(false, des ?? [], key: key, salt: salt, boots: 0, time: 0, .des) == padded)
    }

    /// A discovery probe as net-snmp sends it: empty engine ID and user, noAuthNoPriv, reportable, a
    /// GetRequest without varbinds.
    static func probe(msgID: Int64) -> [UInt8] {
        let scoped = V3Message.encodeScopedPDU(
            contextEngineID: [], contextName: [], tag: 0xA0, requestID: 77, varbinds: [])
        return V3Message.encode(
            msgID: msgID, flags: V3Message.flagReportable, engineID: [], boots: 0, time: 0, userName: [],
            macLength: 0, privParams: [], data: scoped, dataIsEncrypted: false)
    }

    @Test("discovery: a Report with eccd's engine ID, boots and time and usmStatsUnknownEngineIDs")
    func discovery() throws {
        let ours = LocalEngine(engineID: Self.bytes("80001f880501020304"), boots: 5)
        let usm = USMProcessor(engine: ours, users: [])
        let outcome = Self.probe(msgID: 4242).withUnsafeBytes { usm.process($0, now: 31) }
        guard case .discovery(let reply) = outcome else {
            Issue.record("expected a discovery answer, got \(outcome)")
            return
        }
        let m = try reply.withUnsafeBytes { raw throws(SNMPError) in try V3Message.parse(raw) }
        #expect(m.msgID == 4242 && m.engineID == ours.engineID && m.boots == 5 && m.time == 31)
        #expect(m.flags & V3Message.flagReportable == 0)
        let scoped = Array(reply[m.dataTLV])
        let (_, _, tag, pdu) = try scoped.withUnsafeBytes { raw throws(SNMPError) in try V3Message.scopedPDU(raw) }
        #expect(tag == 0xA8)
        var p = pdu
        #expect(try p.integer() == 77)
        #expect(usm.count(of: .unknownEngineID) == 1)
    }

    @Test("hostile v3: every truncation, privacy without authentication, another security model")
    func hostile() {
        let usm = USMProcessor(engine: LocalEngine(engineID: Self.bytes("80001f880501020304"), boots: 1), users: [])
        var probe = Self.probe(msgID: 1)
        for cut in stride(from: 1, to: probe.count, by: 3) {
            let outcome = Array(probe.prefix(cut)).withUnsafeBytes { usm.process($0, now: 0) }
            guard case .rejected = outcome else {
                Issue.record("a probe cut at \(cut) bytes was not rejected")
                return
            }
        }
        // msgFlags (OCTET STRING of 1: 04 01 04) then msgSecurityModel (INTEGER 3: 02 01 03).
        guard let at = (0..<probe.count - 5).first(where: { Array(probe[$0..<$0 + 6]) == [4, 1, 4, 2, 1, 3] }) else {
            Issue.record("no msgFlags in the probe")
            return
        }
        var privOnly = probe
        privOnly[at + 2] = V3Message.flagPriv
        let p = privOnly.withUnsafeBytes { usm.process($0, now: 0) }
        guard case .rejected(.malformed, nil) = p else {
            Issue.record("priv without auth: \(p)")
            return
        }
        var community = probe
        community[at + 5] = 2  // SNMPv2c's community-based model
        let c = community.withUnsafeBytes { usm.process($0, now: 0) }
        guard case .rejected(.usm(.unknownSecurityModel), nil) = c else {
            Issue.record("another security model: \(c)")
            return
        }
    }
}
