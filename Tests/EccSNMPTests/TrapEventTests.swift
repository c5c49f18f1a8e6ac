import EccCore
import Testing

@testable import EccSNMP

@Suite("SNMP v2c trap path")
struct TrapEventTests {
    /// Checks that the trap path gives the general path's event, or declines (nil) where that rejects or
    /// the packet is not a v2c trap; returns whether the trap path took it.
    @discardableResult
    static func same(_ p: [UInt8], fast: OIDNameCache, slow: OIDNameCache) -> Bool {
        let at = EventTime(nanoseconds: 1_000)
        let quick = p.withUnsafeBytes { SNMPDecoder.trapEvent($0, from: "192.0.2.1", at: at, names: fast) }
        let n = try? SNMPDecoder.decode(p)
        if let quick {
            #expect(n != nil && n?.isInform == false && n?.version == 1)
            #expect(n?.event(from: "192.0.2.1", at: at, names: slow) == quick)
            return true
        }
        // It may decline only what is not a plain v2c trap.
        if let n { #expect(n.isInform || n.version != 1) }
        return false
    }

    @Test("the trap path's event is the general path's: names, instances, text and hex, repeats, odd orders")
    func equivalence() {
        let fast = OIDNameCache(mibs: nil)
        let slow = OIDNameCache(mibs: nil)
        let lists: [[VarBind]] = [
            Packets.linkDown,
            // No sysUpTime.0 first: the first varbind is an ordinary one.
            [VarBind(oid("1.3.6.1.2.1.2.2.1.1.3"), .integer(3))] + Array(Packets.linkDown.dropFirst()),
            // sysUpTime.0 with a wrong type; snmpTrapOID.0 and sysUpTime.0 again later (not attributes).
            [
                VarBind(.sysUpTime0, .integer(5)), VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.6.3.1.1.5.4"))),
                VarBind(.sysUpTime0, .timeticks(9)), VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.6.3.1.1.5.1"))),
            ],
            // A repeated object (the last value wins), names that collide with fixed keys, strings.
            [
                VarBind(.sysUpTime0, .timeticks(1)), VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.4.1.99.0.7"))),
                VarBind(oid("1.3.6.1.2.1.2.2.1.2.7"), .octets(Array("first".utf8))),
                VarBind(oid("1.3.6.1.2.1.2.2.1.2.7"), .octets(Array("second\ttab\nline".utf8))),
                VarBind(oid("1.3.6.1.2.1.1.3.1"), .timeticks(77)),
                VarBind(oid("1.3.6.1.6.3.1.1.4.1.5"), .oid(oid("1.3.6.1.2.1"))),
                VarBind(oid("1.3.6.1.2.1.1.5.0"), .octets(Array("héllo wörld".utf8))),
                VarBind(oid("1.3.6.1.2.1.1.6.0"), .octets([0x41, 0x00, 0x42])),
                VarBind(oid("1.3.6.1.2.1.1.1.0"), .octets([0xC3, 0x28])),
                VarBind(oid("1.3.6.1.2.1.1.1"), .octets([])),
                VarBind(oid("1.3.6.1.4.1.9.9.4"), .opaque([1, 2])),
                VarBind(oid("1.3.6.1.4.1.9.9.5"), .counter64(UInt64.max)),
                VarBind(oid("1.3.6.1.4.1.9.9.6"), .null),
                VarBind(oid("1.3.6.1.4.1.9.9.7"), .noSuchInstance),
                VarBind(oid("1.3.6.1.4.1.9.9.8"), .gauge32(4)),
                VarBind(oid("2.999.1"), .counter32(8)),
            ],
        ]
        for list in lists {
            let p = Packets.v2Trap(list)
            // Twice: the first fills the cache, the second finds everything there.
            #expect(Self.same(p, fast: fast, slow: slow))
            #expect(Self.same(p, fast: fast, slow: slow))
            // Informs and v1 traps are declined (they go the general way).
            #expect(!Self.same(Packets.v2Trap(list, inform: true), fast: fast, slow: slow))
        }
        // Not a trap: one varbind, or snmpTrapOID.0 not second.
        #expect(!Self.same(Packets.v2Trap([VarBind(.sysUpTime0, .timeticks(1))]), fast: fast, slow: slow))
        #expect(!Self.same(Packets.v2Trap(Array(Packets.linkDown.reversed())), fast: fast, slow: slow))
    }

    @Test("an OID written with padded arcs is the same OID: keys and the varbinds left out agree")
    func paddedOIDs() {
        // sysUpTime.0 and ifIndex.7 with a redundant 0x80 continuation octet in an arc.
        func vb(_ oidContent: [UInt8], _ value: [UInt8]) -> [UInt8] {
            var one = BERWriter()
            one.tlv(0x06, oidContent)
            one.bytes += value
            var w = BERWriter()
            w.tlv(0x30, one.bytes)
            return w.bytes
        }
        let trapOID = BERWriter.oid(oid("1.3.6.1.6.3.1.1.5.3"))
        var list: [UInt8] = vb([0x2B, 6, 1, 2, 1, 1, 0x80, 3, 0], [0x43, 1, 5])
        list += vb(BERWriter.oid(.snmpTrapOID0), [0x06, UInt8(trapOID.count)] + trapOID)
        list += vb([0x2B, 6, 1, 2, 1, 2, 2, 1, 1, 0x80, 7], [0x02, 1, 7])
        var pdu = BERWriter()
        pdu.tlv(0x02, [1])
        pdu.tlv(0x02, [0])
        pdu.tlv(0x02, [0])
        pdu.tlv(0x30, list)
        let p = Packets.message(version: 1, community: "public", pduTag: 0xA7, pdu: pdu.bytes)
        #expect(Self.same(p, fast: OIDNameCache(mibs: nil), slow: OIDNameCache(mibs: nil)))
    }

    @Test("a refused community is declined, so the general path rejects it with its reason")
    func community() {
        let p = Packets.v2Trap(Packets.linkDown)
        let refuse: (ArraySlice<UInt8>) -> Bool = { $0.elementsEqual("secret".utf8) }
        let accept: (ArraySlice<UInt8>) -> Bool = { $0.elementsEqual("public".utf8) }
        let names = OIDNameCache(mibs: nil)
        p.withUnsafeBytes { raw in
            #expect(SNMPDecoder.trapEvent(raw, from: "h", at: .zero, names: names, allowCommunity: refuse) == nil)
            #expect(SNMPDecoder.trapEvent(raw, from: "h", at: .zero, names: names, allowCommunity: accept) != nil)
        }
    }

    @Test("mutated and truncated traps: the trap path never disagrees with the general path")
    func mutations() {
        var rng = SystemRandomNumberGenerator()
        let fast = OIDNameCache(mibs: nil)
        let slow = OIDNameCache(mibs: nil)
        let seed = Packets.v2Trap(Packets.linkDown)
        var taken = 0
        for i in 0..<20_000 {
            var p = seed
            if i % 2 == 0 {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                p = Array(p.prefix(Int.random(in: 0..<p.count, using: &rng)))
            }
            if Self.same(p, fast: fast, slow: slow) { taken += 1 }
        }
        #expect(taken < 20_000)
    }
}
