import EccCore
import Testing

@testable import EccSNMP

/// The varbind cap, linear attribute building and the reply rate limit, without the network.
@Suite("SNMP limits")
struct LimitsTests {
    /// A v2c trap with `count` varbinds after sysUpTime.0 and snmpTrapOID.0, every third one repeating an
    /// earlier object (a repeated key keeps its first place and its last value).
    static func bigTrap(_ count: Int, inform: Bool = false) -> [UInt8] {
        var list = [VarBind(.sysUpTime0, .timeticks(1)), VarBind(.snmpTrapOID0, .oid(oid("1.3.6.1.6.3.1.1.5.3")))]
        for i in 0..<count - 2 {
            let index = UInt32(i % 3 == 2 ? i - 1 : i)
            list.append(VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, index]), .octets(Array("port \(i)".utf8))))
        }
        return Packets.v2Trap(list, inform: inform)
    }

    @Test("a 1024-varbind trap is refused by both paths, with too_many_varbinds; a higher cap takes it")
    func varbindCap() throws {
        let packet = Self.bigTrap(1024)
        let names = OIDNameCache(mibs: nil)
        #expect(throws: SNMPError.tooManyVarbinds(256)) { try SNMPDecoder.decode(packet) }
        #expect(SNMPError.tooManyVarbinds(256).reason == "too_many_varbinds")
        packet.withUnsafeBytes { raw in
            #expect(SNMPDecoder.trapEvent(raw, from: "h", at: .zero, names: names) == nil)
        }
        #expect(throws: SNMPError.tooManyVarbinds(2)) { try SNMPDecoder.decode(Self.bigTrap(3), maxVarbinds: 2) }
        #expect(throws: Never.self) { try SNMPDecoder.decode(Self.bigTrap(256)) }

        // Allowed: both paths give the same event, repeated objects set once, in their first place.
        let n = try SNMPDecoder.decode(packet, maxVarbinds: 2000)
        let general = n.event(from: "h", at: .zero, names: names)
        let quick = packet.withUnsafeBytes { raw in
            SNMPDecoder.trapEvent(raw, from: "h", at: .zero, names: names, maxVarbinds: 2000)
        }
        #expect(quick == general)
        // Four fixed keys, each object under its OID, and ifDescr with ifDescr.instance (set again by each).
        let objects = Set((0..<1022).map { $0 % 3 == 2 ? $0 - 1 : $0 }).count
        #expect(general.attributes.count == 4 + objects + 2, "\(general.attributes.count)")
        #expect(general.attributes["1.3.6.1.2.1.2.2.1.2.1"] == .string("port 2"))
        #expect(general.attributes["ifDescr"] == .string("port 1021"))
        let keys = general.attributes.map(\.key)
        #expect(Set(keys).count == keys.count)
        #expect(
            Array(keys.prefix(5)) == ["snmpTrapOID", "trapName", "snmpVersion", "sysUpTime", "1.3.6.1.2.1.2.2.1.2.0"])
    }

    @Test("the linear-time builder holds what Attributes would after the same sets")
    func accumulator() {
        var direct = Attributes()
        direct.appendUnchecked("snmpTrapOID", .string("1.2"))
        var accumulated = AttributesBuilder(direct, limit: .max)
        for i in 0..<200 {
            let key = i % 7 == 0 ? "snmpTrapOID" : "k\(i % 50)"
            direct.snmpAssign(key, .int(Int64(i)))
            accumulated.snmpAssign(key, .int(Int64(i)))
        }
        #expect(accumulated.attributes == direct)
    }

    @Test("a token bucket: a burst, then a token per 1/rate seconds, never more than the burst")
    func tokenBucket() {
        var b = TokenBucket(rate: 10)
        var granted = 0
        for _ in 0..<50 where b.take(at: 1_000) { granted += 1 }
        #expect(granted == 10)
        let halfToken = b.take(at: 50_000_000)
        let oneToken = b.take(at: 100_001_000)  // 100 ms after the first: one token
        let tooSoon = b.take(at: 100_001_001)
        #expect(!halfToken && oneToken && !tooSoon)
        granted = 0
        for _ in 0..<50 where b.take(at: 60_000_000_000) { granted += 1 }
        #expect(granted == 10)
        // Time going back (it does not, on a monotonic clock) grants nothing.
        let back = b.take(at: 5)
        #expect(!back)
    }
}
