/// An object identifier.
package struct OID: Hashable, Sendable, CustomStringConvertible, Comparable {
    package var arcs: [UInt32]

    package init(_ arcs: [UInt32]) { self.arcs = arcs }

    package init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: true)
        var arcs: [UInt32] = []
        for p in parts {
            guard let v = UInt32(p) else { return nil }
            arcs.append(v)
        }
        guard arcs.count >= 2 else { return nil }
        self.arcs = arcs
    }

    /// `1.3.6.1.2.1.1.3.0` (no leading dot).
    package var description: String { arcs.map(String.init).joined(separator: ".") }

    package func hasPrefix(_ p: OID) -> Bool { arcs.count >= p.arcs.count && arcs.starts(with: p.arcs) }

    package func appending(_ more: [UInt32]) -> OID { OID(arcs + more) }

    package static func < (a: OID, b: OID) -> Bool { a.arcs.lexicographicallyPrecedes(b.arcs) }

    package static let sysUpTime0 = OID([1, 3, 6, 1, 2, 1, 1, 3, 0])
    package static let snmpTrapOID0 = OID([1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0])
    package static let snmpTrapEnterprise0 = OID([1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0])
    package static let snmpTrapAddress0 = OID([1, 3, 6, 1, 6, 3, 18, 1, 3, 0])
    package static let snmpTrapCommunity0 = OID([1, 3, 6, 1, 6, 3, 18, 1, 4, 0])
    /// snmpTraps: the generic traps live under it (coldStart = .1 … enterpriseSpecific has none).
    package static let snmpTraps = OID([1, 3, 6, 1, 6, 3, 1, 1, 5])
}

/// A varbind's value, typed as on the wire.
package enum SNMPValue: Hashable, Sendable {
    case integer(Int64)
    case octets([UInt8])
    case null
    case oid(OID)
    case ipAddress(UInt8, UInt8, UInt8, UInt8)
    case counter32(UInt32)
    case gauge32(UInt32)
    case timeticks(UInt32)
    case opaque([UInt8])
    case counter64(UInt64)
    case noSuchObject
    case noSuchInstance
    case endOfMibView
}

package struct VarBind: Hashable, Sendable {
    package var oid: OID
    package var value: SNMPValue

    package init(_ oid: OID, _ value: SNMPValue) {
        self.oid = oid
        self.value = value
    }
}

/// A notification as eccd takes it in: always in the SNMPv2 form (a v1 Trap-PDU is converted per
/// RFC 3584 §3.1), with where it came from.
package struct SNMPNotification: Sendable, Equatable {
    /// 0 (v1), 1 (v2c), 3 (v3).
    package var version: Int64
    package var community: [UInt8]
    /// An InformRequest (answered with a Response) rather than a trap.
    package var isInform: Bool
    package var requestID: Int64
    /// snmpTrapOID.0.
    package var trapOID: OID
    /// sysUpTime.0, in hundredths of a second.
    package var uptime: UInt32?
    /// v1: the agent-addr field.
    package var agentAddress: (UInt8, UInt8, UInt8, UInt8)?
    /// Every varbind, in order, sysUpTime.0 and snmpTrapOID.0 first.
    package var varbinds: [VarBind]
    /// v3: who sent it and how it was protected.
    package var security: Security?

    /// What the User-based Security Model established about a v3 notification.
    package struct Security: Sendable, Equatable {
        package var user: [UInt8]
        package var level: SecurityLevel
        /// The authoritative engine: the sender's for a trap, eccd's for an inform.
        package var engineID: [UInt8]
        package var contextName: [UInt8]
    }

    package init(
        version: Int64, community: [UInt8], isInform: Bool, requestID: Int64, trapOID: OID, uptime: UInt32?,
        agentAddress: (UInt8, UInt8, UInt8, UInt8)?, varbinds: [VarBind], security: Security?
    ) {
        self.version = version
        self.community = community
        self.isInform = isInform
        self.requestID = requestID
        self.trapOID = trapOID
        self.uptime = uptime
        self.agentAddress = agentAddress
        self.varbinds = varbinds
        self.security = security
    }

    package static func == (a: SNMPNotification, b: SNMPNotification) -> Bool {
        a.version == b.version && a.community == b.community && a.isInform == b.isInform && a.security == b.security
            && a.requestID == b.requestID && a.trapOID == b.trapOID && a.uptime == b.uptime
            && a.varbinds == b.varbinds
            && a.agentAddress.map { [$0.0, $0.1, $0.2, $0.3] }
                == b.agentAddress.map { [$0.0, $0.1, $0.2, $0.3] }
    }
}

/// Decoding of SNMP messages carrying notifications (v1 Trap, v2c SNMPv2-Trap and InformRequest).
package enum SNMPDecoder {
    /// The message's msgVersion (0 = v1, 1 = v2c, 3 = v3), read without decoding the rest.
    package static func version(of bytes: UnsafeRawBufferPointer) -> Int64? {
        var top = BERReader(bytes)
        guard var msg = try? top.sequence(0x30) else { return nil }
        return try? msg.integer()
    }

    /// Decodes one UDP payload. `allowCommunity` (nil: any) is checked before the PDU is decoded; a
    /// notification with more than `maxVarbinds` varbinds is refused (``SNMPError/tooManyVarbinds(_:)``).
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, allowCommunity: ((ArraySlice<UInt8>) -> Bool)? = nil,
        maxVarbinds: Int = SNMPLimits().maxVarbinds
    ) throws(SNMPError) -> SNMPNotification {
        var top = BERReader(bytes)
        var msg = try top.sequence(0x30)
        guard top.isAtEnd else { throw .malformed("bytes after the message") }
        let version = try msg.integer()
        guard version == 0 || version == 1 else { throw .unsupportedVersion(version) }
        let community = try msg.octets()
        if let allowCommunity, !allowCommunity(community[...]) { throw .community }
        let (tag, pdu) = try msg.anySequence()
        switch tag {
        case 0xA4:
            guard version == 0 else { throw .malformed("a v1 Trap-PDU in a v2c message") }
            return try v1Trap(pdu, community: community, maxVarbinds: maxVarbinds)
        case 0xA7, 0xA6:
            guard version == 1 else { throw .malformed("a v2 notification in a v1 message") }
            return try v2(pdu, version: version, community: community, inform: tag == 0xA6, maxVarbinds: maxVarbinds)
        default:
            throw .unsupportedPDU(tag)
        }
    }

    package static func decode(_ bytes: [UInt8], maxVarbinds: Int = SNMPLimits().maxVarbinds) throws(SNMPError)
        -> SNMPNotification
    {
        let result: Result<SNMPNotification, SNMPError> = bytes.withUnsafeBytes { raw in
            do throws(SNMPError) { return .success(try decode(raw, maxVarbinds: maxVarbinds)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The varbinds of a PDU; more than `max` are refused before any is decoded (counted by headers).
    static func varbindList(_ r: inout BERReader, max: Int) throws(SNMPError) -> [VarBind] {
        var list = try r.sequence(0x30)
        var counting = list
        var n = 0
        while !counting.isAtEnd {
            _ = try counting.header()
            n += 1
            guard n <= max else { throw .tooManyVarbinds(max) }
        }
        var out: [VarBind] = []
        out.reserveCapacity(n)
        while !list.isAtEnd {
            var vb = try list.sequence(0x30)
            let oid = try vb.oid()
            let value = try vb.value()
            guard vb.isAtEnd else { throw .malformed("a varbind with more than a name and a value") }
            out.append(VarBind(oid, value))
        }
        return out
    }

    static func v2(_ p: BERReader, version: Int64, community: [UInt8], inform: Bool, maxVarbinds: Int)
        throws(SNMPError) -> SNMPNotification
    {
        var pdu = p
        let requestID = try pdu.integer()
        _ = try pdu.integer()  // error-status
        _ = try pdu.integer()  // error-index
        let varbinds = try varbindList(&pdu, max: maxVarbinds)
        // RFC 3416 §4.2.6/§4.2.7: sysUpTime.0 first, snmpTrapOID.0 second.
        guard varbinds.count >= 2, varbinds[1].oid == .snmpTrapOID0, case .oid(let trapOID) = varbinds[1].value else {
            throw .notATrap
        }
        var uptime: UInt32?
        if varbinds[0].oid == .sysUpTime0, case .timeticks(let t) = varbinds[0].value { uptime = t }
        return SNMPNotification(
            version: version, community: community, isInform: inform, requestID: requestID, trapOID: trapOID,
            uptime: uptime, agentAddress: nil, varbinds: varbinds, security: nil)
    }

    /// RFC 3584 §3.1: a v1 Trap-PDU in its SNMPv2 form.
    static func v1Trap(_ p: BERReader, community: [UInt8], maxVarbinds: Int) throws(SNMPError) -> SNMPNotification {
        var pdu = p
        let enterprise = try pdu.oid()
        let agent = try pdu.value()
        guard case .ipAddress(let a, let b, let c, let d) = agent else {
            throw .malformed("agent-addr is not an IpAddress")
        }
        let generic = try pdu.integer()
        let specific = try pdu.integer()
        let stamp = try pdu.value()
        guard case .timeticks(let ticks) = stamp else { throw .malformed("time-stamp is not TimeTicks") }
        let original = try varbindList(&pdu, max: maxVarbinds)
        guard (0...6).contains(generic) else { throw .malformed("generic-trap \(generic) is not 0…6") }
        let trapOID: OID =
            generic == 6
            ? enterprise.appending([0, UInt32(truncatingIfNeeded: specific)])
            : OID.snmpTraps.appending([UInt32(generic + 1)])
        var varbinds = [VarBind(.sysUpTime0, .timeticks(ticks)), VarBind(.snmpTrapOID0, .oid(trapOID))]
        varbinds += original
        varbinds.append(VarBind(.snmpTrapAddress0, .ipAddress(a, b, c, d)))
        varbinds.append(VarBind(.snmpTrapCommunity0, .octets(community)))
        varbinds.append(VarBind(.snmpTrapEnterprise0, .oid(enterprise)))
        return SNMPNotification(
            version: 0, community: community, isInform: false, requestID: 0, trapOID: trapOID, uptime: ticks,
            agentAddress: (a, b, c, d), varbinds: varbinds, security: nil)
    }

    /// An SNMPv2c SNMPv2-Trap message (for load generators and tests).
    package static func encodeTrap(community: String, requestID: Int64, varbinds: [VarBind]) -> [UInt8] {
        message(version: 1, community: Array(community.utf8), pduTag: 0xA7, requestID: requestID, varbinds: varbinds)
    }

    /// An SNMPv2c InformRequest (for load generators and tests); a receiver answers it with a Response.
    package static func encodeInform(community: String, requestID: Int64, varbinds: [VarBind]) -> [UInt8] {
        message(version: 1, community: Array(community.utf8), pduTag: 0xA6, requestID: requestID, varbinds: varbinds)
    }

    /// An SNMPv1 Trap-PDU (RFC 1157 §4.1.6; for load generators and tests): `generic` 0…6, `specific` for 6.
    package static func encodeV1Trap(
        community: String, enterprise: OID, agent: (UInt8, UInt8, UInt8, UInt8), generic: Int64, specific: Int64,
        uptime: UInt32, varbinds: [VarBind]
    ) -> [UInt8] {
        var pdu = BERWriter()
        pdu.tlv(0x06, BERWriter.oid(enterprise))
        pdu.value(.ipAddress(agent.0, agent.1, agent.2, agent.3))
        pdu.tlv(0x02, BERWriter.integer(generic))
        pdu.tlv(0x02, BERWriter.integer(specific))
        pdu.value(.timeticks(uptime))
        pdu.tlv(0x30, BERWriter.varbinds(varbinds))
        return message(version: 0, community: Array(community.utf8), pduTag: 0xA4, pdu: pdu.bytes)
    }

    static func message(version: Int64, community: [UInt8], pduTag: UInt8, requestID: Int64, varbinds: [VarBind])
        -> [UInt8]
    {
        message(
            version: version, community: community, pduTag: pduTag,
            pdu: BERWriter.pdu(requestID: requestID, varbinds: varbinds))
    }

    /// A community-based message: version, community, then the PDU's contents under its tag.
    static func message(version: Int64, community: [UInt8], pduTag: UInt8, pdu: [UInt8]) -> [UInt8] {
        var msg = BERWriter()
        msg.tlv(0x02, BERWriter.integer(version))
        msg.tlv(0x04, community)
        msg.tlv(pduTag, pdu)
        var out = BERWriter()
        out.tlv(0x30, msg.bytes)
        return out.bytes
    }

    /// The Response to an InformRequest (RFC 3416 §4.2.7): same request-id, the same varbinds.
    package static func informResponse(to n: SNMPNotification) -> [UInt8] {
        message(version: n.version, community: n.community, pduTag: 0xA2, requestID: n.requestID, varbinds: n.varbinds)
    }

}
