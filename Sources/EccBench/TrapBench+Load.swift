import EccConfig
import EccCore
import EccDaemon
import EccSNMP
import EccTestSupport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The two loads: the best case and the mixed one.
extension TrapBench {
    /// A v2c linkDown trap whose `SEQ########` varbind is patched per packet; returns bytes and patch offset.
    static func template() -> ([UInt8], Int) {
        let packet = SNMPDecoder.encodeTrap(
            community: "public", requestID: 1,
            varbinds: [
                VarBind(.sysUpTime0, .timeticks(4242)),
                VarBind(.snmpTrapOID0, .oid(OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 3]))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7]), .integer(7)),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7]), .octets(Array("Gi0/7".utf8))),
                VarBind(OID([1, 3, 6, 1, 4, 1, 99999, 1]), .octets(Array("SEQ00000000".utf8))),
            ])
        return LosslessUDP.located([packet], "the trap template")[0]
    }

    static var bestCase: LosslessUDP.Load {
        let (packet, at) = template()
        return LosslessUDP.Load(
            name: "best_case",
            description:
                "the best case: SNMPv2c linkDown traps of \(packet.count) bytes from one address (127.0.0.1), one "
                + "trap OID, one ifIndex, so one alarm key behind the shipped rules' hold, every cache hit",
            packets: [(packet, at)], sources: 0)
    }

    /// 240 packets of a network's trap mix (nine kinds), each ending in the `SEQ` varbind: linkDown/linkUp on 48
    /// ports (60 %, two downs for one up), coldStart and warmStart, authenticationFailure, BGP backward
    /// transitions (BGP4-MIB, 4 varbinds), temperature notifications (CISCO-ENVMON-MIB, 4 varbinds),
    /// enterprise-specific SNMPv1 traps (Juniper's enterprise, 5 varbinds) and linkDown informs, which eccd
    /// and snmptrapd answer.
    static var mixed: LosslessUDP.Load {
        func seq() -> VarBind { VarBind(OID([1, 3, 6, 1, 4, 1, 99999, 1]), .octets(Array("SEQ00000000".utf8))) }
        func v2(_ trap: [UInt32], _ varbinds: [VarBind], inform: Bool = false) -> [UInt8] {
            let list =
                [VarBind(.sysUpTime0, .timeticks(4242)), VarBind(.snmpTrapOID0, .oid(OID(trap)))] + varbinds + [seq()]
            return inform
                ? SNMPDecoder.encodeInform(community: "public", requestID: 7, varbinds: list)
                : SNMPDecoder.encodeTrap(community: "public", requestID: 7, varbinds: list)
        }
        func port(_ i: UInt32, up: Bool) -> [VarBind] {
            [
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, i]), .integer(Int64(i))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, i]), .octets(Array("GigabitEthernet0/\(i)".utf8))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 7, i]), .integer(1)),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 8, i]), .integer(up ? 1 : 2)),
            ]
        }
        let linkDown: [UInt32] = [1, 3, 6, 1, 6, 3, 1, 1, 5, 3]
        var packets: [[UInt8]] = []
        for i in UInt32(1)...48 {
            packets.append(v2(linkDown, port(i, up: false)))
            packets.append(v2(linkDown, port(i, up: false)))
            packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 4], port(i, up: true)))
        }
        for _ in 0..<12 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 1], [])) }
        for _ in 0..<6 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 2], [])) }
        for _ in 0..<12 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 5], [])) }
        for k in UInt8(1)...16 {
            let peer: [UInt32] = [10, 0, 0, UInt32(k)]
            packets.append(
                v2(
                    [1, 3, 6, 1, 2, 1, 15, 0, 2],
                    [
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 7] + peer), .ipAddress(10, 0, 0, k)),
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 14] + peer), .octets([6, 2])),
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 2] + peer), .integer(1)),
                    ]))
        }
        for k in UInt32(1)...16 {
            let sensor: [UInt32] = [1, 3, 6, 1, 4, 1, 9, 9, 13, 1, 3, 1]
            packets.append(
                v2(
                    [1, 3, 6, 1, 4, 1, 9, 9, 13, 3, 0, 3],
                    [
                        VarBind(OID(sensor + [2, k]), .octets(Array("Inlet temperature \(k)".utf8))),
                        VarBind(OID(sensor + [3, k]), .gauge32(40 + k)),
                        VarBind(OID(sensor + [6, k]), .integer(2)),
                    ]))
        }
        for k in UInt32(0)..<20 {
            let fpc: [UInt32] = [1, 3, 6, 1, 4, 1, 2636, 3, 1, 13, 1]
            packets.append(
                SNMPDecoder.encodeV1Trap(
                    community: "public", enterprise: OID([1, 3, 6, 1, 4, 1, 2636, 4, 1]), agent: (127, 0, 0, 1),
                    generic: 6, specific: 1 + Int64(k % 4), uptime: 4242,
                    varbinds: [
                        VarBind(OID(fpc + [5, k]), .octets(Array("FPC \(k)".utf8))),
                        VarBind(OID(fpc + [6, k]), .integer(2)),
                        VarBind(OID(fpc + [7, k]), .gauge32(k * 3)),
                        VarBind(OID(fpc + [8, k]), .gauge32(55)),
                        seq(),
                    ]))
        }
        for i in UInt32(1)...14 { packets.append(v2(linkDown, port(i, up: false), inform: true)) }
        return LosslessUDP.Load(
            name: "mixed_4096_sources",
            description:
                "a mixed load: \(packets.count) packets cycled (linkDown/linkUp on 48 ports 60 %, coldStart, "
                + "warmStart, authenticationFailure, BGP backward transitions, temperature notifications, "
                + "enterprise-specific SNMPv1 traps, linkDown informs answered by the receiver) from 4,096 source "
                + "addresses in 127.1/16, so up to 196,608 interface keys and a store that writes; eccd's limit on "
                + "inform Responses raised from 1,000/s to 1,000,000/s, snmptrapd resolving no names (-n)",
            packets: LosslessUDP.located(packets, "a mixed-load packet"), sources: 4096)
    }
}
