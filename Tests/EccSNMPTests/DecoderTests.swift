import EccCore
import Testing

@testable import EccSNMP

/// An OID from text (the tests' literals are valid).
func oid(_ text: String) -> OID { OID(text) ?? OID([0, 0]) }

/// Packets built by hand with the encoder.
enum Packets {
    static func varbinds(_ list: [VarBind]) -> [UInt8] {
        var vbs = BERWriter()
        for vb in list {
            var one = BERWriter()
            one.tlv(0x06, BERWriter.oid(vb.oid))
            one.value(vb.value)
            vbs.tlv(0x30, one.bytes)
        }
        return vbs.bytes
    }

    static func message(version: Int64, community: String, pduTag: UInt8, pdu: [UInt8]) -> [UInt8] {
        var msg = BERWriter()
        msg.tlv(0x02, BERWriter.integer(version))
        msg.tlv(0x04, Array(community.utf8))
        msg.tlv(pduTag, pdu)
        var out = BERWriter()
        out.tlv(0x30, msg.bytes)
        return out.bytes
    }

    static func v2Trap(_ list: [VarBind], inform: Bool = false, requestID: Int64 = 42, community: String = "public")
        -> [UInt8]
    {
        var pdu = BERWriter()
        pdu.tlv(0x02, BERWriter.integer(requestID))
        pdu.tlv(0x02, [0])
        pdu.tlv(0x02, [0])
        pdu.tlv(0x30, varbinds(list))
        return message(version: 1, community: community, pduTag: inform ? 0xA6 : 0xA7, pdu: pdu.bytes)
    }

    static let linkDown: [VarBind] = [
        VarBind(.sysUpTime0, .timeticks(12345)),
        VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.6.3.1.1.5.3"))),
        VarBind(oid("1.3.6.1.2.1.2.2.1.1.7"), .integer(7)),
        VarBind(oid("1.3.6.1.2.1.2.2.1.2.7"), .octets(Array("Gi0/7".utf8))),
        VarBind(oid("1.3.6.1.4.1.9.9.1"), .octets([0x0A, 0x1B, 0xFF])),
        VarBind(oid("1.3.6.1.4.1.9.9.2"), .counter64(123_456_789_012)),
        VarBind(oid("1.3.6.1.4.1.9.9.3"), .ipAddress(10, 1, 2, 3)),
    ]
}

@Suite("SNMP decoder")
struct DecoderTests {
    @Test("a v2c trap: varbinds typed, trap OID, uptime; the event names linkDown and ifIndex")
    func v2c() throws {
        let n = try SNMPDecoder.decode(Packets.v2Trap(Packets.linkDown))
        #expect(n.version == 1 && !n.isInform && n.requestID == 42)
        #expect(n.trapOID.description == "1.3.6.1.6.3.1.1.5.3")
        #expect(n.uptime == 12345)
        #expect(n.varbinds == Packets.linkDown)
        let e = n.event(from: "192.0.2.9", at: EventTime(nanoseconds: 0))
        #expect(e.source == "snmp" && e.host == "192.0.2.9" && e.type == "linkDown")
        #expect(e.attributes["trapName"] == .string("IF-MIB::linkDown"))
        #expect(e.attributes["ifIndex"] == .int(7) && e.attributes["ifIndex.instance"] == .string("7"))
        #expect(e.attributes["ifDescr"] == .string("Gi0/7"))
        #expect(e.attributes["1.3.6.1.2.1.2.2.1.1.7"] == .int(7))
        #expect(e.attributes["1.3.6.1.4.1.9.9.1"] == .string("0A 1B FF"))
        #expect(e.attributes["1.3.6.1.4.1.9.9.2"] == .int(123_456_789_012))
        #expect(e.attributes["1.3.6.1.4.1.9.9.3"] == .string("10.1.2.3"))
        #expect(e.attributes["sysUpTime"] == .int(12345))
    }

    @Test("a v1 trap becomes its SNMPv2 form (RFC 3584 §3.1)")
    func v1() throws {
        func v1(generic: Int64, specific: Int64) throws -> SNMPNotification {
            var pdu = BERWriter()
            pdu.tlv(0x06, BERWriter.oid(oid("1.3.6.1.4.1.8072.2.3")))
            pdu.value(.ipAddress(10, 9, 8, 7))
            pdu.tlv(0x02, BERWriter.integer(generic))
            pdu.tlv(0x02, BERWriter.integer(specific))
            pdu.value(.timeticks(500))
            pdu.tlv(0x30, Packets.varbinds([VarBind(oid("1.3.6.1.2.1.2.2.1.1.3"), .integer(3))]))
            let bytes = Packets.message(version: 0, community: "c1", pduTag: 0xA4, pdu: pdu.bytes)
            // The public encoder (for load generators) writes the same bytes.
            let encoded = SNMPDecoder.encodeV1Trap(
                community: "c1", enterprise: oid("1.3.6.1.4.1.8072.2.3"), agent: (10, 9, 8, 7), generic: generic,
                specific: specific, uptime: 500, varbinds: [VarBind(oid("1.3.6.1.2.1.2.2.1.1.3"), .integer(3))])
            #expect(encoded == bytes)
            return try SNMPDecoder.decode(bytes)
        }
        let specific = try v1(generic: 6, specific: 17)
        #expect(specific.trapOID.description == "1.3.6.1.4.1.8072.2.3.0.17")
        #expect(
            specific.varbinds.map(\.oid.description) == [
                "1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.2.1.2.2.1.1.3", "1.3.6.1.6.3.18.1.3.0",
                "1.3.6.1.6.3.18.1.4.0", "1.3.6.1.6.3.1.1.4.3.0",
            ])
        #expect(specific.event(from: "127.0.0.1", at: .zero).host == "10.9.8.7")
        let generic = try v1(generic: 2, specific: 0)
        #expect(generic.trapOID.description == "1.3.6.1.6.3.1.1.5.3")
        #expect(generic.event(from: "127.0.0.1", at: .zero).type == "linkDown")
    }

    @Test("encodeTrap and encodeInform write what the decoder reads back")
    func encodeRoundTrip() throws {
        let bytes = SNMPDecoder.encodeTrap(community: "public", requestID: 1, varbinds: Packets.linkDown)
        #expect(bytes == Packets.v2Trap(Packets.linkDown, requestID: 1))
        let n = try SNMPDecoder.decode(bytes)
        #expect(n.varbinds == Packets.linkDown)
        let inform = SNMPDecoder.encodeInform(community: "public", requestID: 9, varbinds: Packets.linkDown)
        #expect(inform == Packets.v2Trap(Packets.linkDown, inform: true, requestID: 9))
        #expect(try SNMPDecoder.decode(inform).isInform)
    }

    @Test("an inform is answered with a Response carrying the same request-id and varbinds")
    func informResponse() throws {
        let n = try SNMPDecoder.decode(Packets.v2Trap(Packets.linkDown, inform: true, requestID: 0x7FFF_0001))
        #expect(n.isInform)
        let response = SNMPDecoder.informResponse(to: n)
        // The response differs from the inform only in its PDU tag.
        var expected = Packets.v2Trap(Packets.linkDown, inform: true, requestID: 0x7FFF_0001)
        let tagAt = try #require(expected.firstIndex(of: 0xA6))
        expected[tagAt] = 0xA2
        #expect(response == expected)
    }

    @Test("hostile input is rejected with a reason: truncation, huge lengths, deep nesting, wrong types")
    func hostile() {
        let good = Packets.v2Trap(Packets.linkDown)
        func reason(_ bytes: [UInt8]) -> String? {
            do { _ = try SNMPDecoder.decode(bytes) } catch { return error.reason }
            return nil
        }
        #expect(reason([]) == "truncated")
        #expect(reason(Array(good.dropLast(3))) == "truncated")
        #expect(reason([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]) == "truncated")
        #expect(reason([0x30, 0x85, 1, 1, 1, 1, 1]) == "too_large")
        #expect(reason([0x30, 0x80, 0x00, 0x00]) == "malformed")
        var deep: [UInt8] = [0x02, 0x01, 0x01]
        for _ in 0..<20 {
            var w = BERWriter()
            w.tlv(0x30, deep)
            deep = w.bytes
        }
        #expect(reason(deep) != nil)
        #expect(reason(Packets.message(version: 2, community: "x", pduTag: 0xA7, pdu: [])) == "version")
        #expect(reason(Packets.message(version: 1, community: "x", pduTag: 0xA0, pdu: [])) == "pdu_type")
        #expect(reason(Packets.v2Trap([VarBind(.sysUpTime0, .timeticks(1))])) == "not_a_trap")
        #expect(reason(good + [0]) == "malformed")
        // Found by `make fuzz`: a first subidentifier of 80 + 2^32 (the OID 2.4294967296) trapped the decoder.
        #expect(BERReaderTests.oidReason([0x90, 0x80, 0x80, 0x80, 0x50]) == "malformed")  // 2.4294967296
        #expect(BERReaderTests.oidReason([0x8F, 0xFF, 0xFF, 0xFF, 0x7F]) == nil)  // 2.(2^32 − 81): fits
        let allowed: (ArraySlice<UInt8>) -> Bool = { $0.elementsEqual("secret".utf8) }
        good.withUnsafeBytes { raw in
            #expect(throws: SNMPError.community) { try SNMPDecoder.decode(raw, allowCommunity: allowed) }
        }
    }

    @Test("random and mutated packets never crash the decoder")
    func fuzz() {
        var rng = SystemRandomNumberGenerator()
        let seeds = [Packets.v2Trap(Packets.linkDown), Packets.v2Trap(Packets.linkDown, inform: true)]
        var accepted = 0
        for i in 0..<50_000 {
            var p = seeds[i % seeds.count]
            switch i % 4 {
            case 0:
                p = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 2:
                p = Array(p.prefix(Int.random(in: 0..<p.count, using: &rng)))
            default:
                let at = Int.random(in: 0..<p.count, using: &rng)
                p.insert(contentsOf: [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF], at: at)
            }
            if (try? SNMPDecoder.decode(p)) != nil { accepted += 1 }
        }
        #expect(accepted < 50_000)
    }
}

enum BERReaderTests {
    /// The rejection reason for an OID's content octets, or nil when they decode.
    static func oidReason(_ content: [UInt8]) -> String? {
        var w = BERWriter()
        w.tlv(0x06, content)
        let tlv = w.bytes
        return tlv.withUnsafeBytes { raw -> String? in
            var r = BERReader(raw)
            do throws(SNMPError) {
                _ = try r.oid()
                return nil
            } catch { return error.reason }
        }
    }
}
