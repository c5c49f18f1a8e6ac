import EccCore

/// What names OIDs: a trap's `MODULE::name`, an object's `MODULE::name` with its instance arcs.
public protocol OIDNaming {
    func trapName(_ oid: OID) -> String?
    func object(_ oid: OID) -> (name: String, instance: ArraySlice<UInt32>)?
}

/// Names for OIDs without any MIB loaded: the generic traps (RFC 3418 / RFC 2863) and the objects their
/// varbinds carry, so `coldStart`, `linkDown`… are named on a machine with no MIB files at all.
public struct OIDNames: Sendable, OIDNaming {
    /// Trap OID → `MODULE::name`.
    var traps: [OID: String]
    /// Object (column or scalar) OID → `MODULE::name`.
    var objects: [OID: String]
    let maxObjectLength: Int

    public init(traps: [OID: String], objects: [OID: String]) {
        self.traps = traps
        self.objects = objects
        maxObjectLength = objects.keys.map(\.arcs.count).max() ?? 0
    }

    public static let builtIn = OIDNames(
        traps: [
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 1]): "SNMPv2-MIB::coldStart",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 2]): "SNMPv2-MIB::warmStart",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 3]): "IF-MIB::linkDown",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 4]): "IF-MIB::linkUp",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 5]): "SNMPv2-MIB::authenticationFailure",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 6]): "RFC1213-MIB::egpNeighborLoss",
        ],
        objects: [
            OID([1, 3, 6, 1, 2, 1, 1, 1]): "SNMPv2-MIB::sysDescr",
            OID([1, 3, 6, 1, 2, 1, 1, 3]): "SNMPv2-MIB::sysUpTime",
            OID([1, 3, 6, 1, 2, 1, 1, 5]): "SNMPv2-MIB::sysName",
            OID([1, 3, 6, 1, 2, 1, 1, 6]): "SNMPv2-MIB::sysLocation",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 4, 1]): "SNMPv2-MIB::snmpTrapOID",
            OID([1, 3, 6, 1, 6, 3, 1, 1, 4, 3]): "SNMPv2-MIB::snmpTrapEnterprise",
            OID([1, 3, 6, 1, 6, 3, 18, 1, 3]): "SNMP-COMMUNITY-MIB::snmpTrapAddress",
            OID([1, 3, 6, 1, 6, 3, 18, 1, 4]): "SNMP-COMMUNITY-MIB::snmpTrapCommunity",
            OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 1]): "IF-MIB::ifIndex",
            OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2]): "IF-MIB::ifDescr",
            OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 3]): "IF-MIB::ifType",
            OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 7]): "IF-MIB::ifAdminStatus",
            OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 8]): "IF-MIB::ifOperStatus",
            OID([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1]): "IF-MIB::ifName",
            OID([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18]): "IF-MIB::ifAlias",
        ])

    /// The trap's `MODULE::name`, if known.
    public func trapName(_ oid: OID) -> String? { traps[oid] }

    /// The object's `MODULE::name` and the instance arcs after it (`ifIndex.7` → ("IF-MIB::ifIndex", [7])).
    public func object(_ oid: OID) -> (name: String, instance: ArraySlice<UInt32>)? {
        var n = min(oid.arcs.count, maxObjectLength)
        while n >= 2 {
            if let name = objects[OID(Array(oid.arcs[..<n]))] { return (name, oid.arcs[n...]) }
            n -= 1
        }
        return nil
    }
}

extension SNMPValue {
    /// The value as an event attribute: numbers stay numbers; text that is valid, printable UTF-8 stays
    /// text, other octets become `0A 1B …` (as net-snmp's Hex-STRING).
    public var attribute: AttributeValue {
        switch self {
        case .integer(let i): .int(i)
        case .counter32(let x), .gauge32(let x), .timeticks(let x): .int(Int64(x))
        case .counter64(let x): x <= UInt64(Int64.max) ? .int(Int64(x)) : .string(String(x))
        case .octets(let b): .string(Self.text(b))
        case .opaque(let b): .string(Self.hex(b))
        case .oid(let o): .string(o.description)
        case .ipAddress(let a, let b, let c, let d): .string("\(a).\(b).\(c).\(d)")
        case .null: .string("null")
        case .noSuchObject: .string("noSuchObject")
        case .noSuchInstance: .string("noSuchInstance")
        case .endOfMibView: .string("endOfMibView")
        }
    }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count * 3)
        for (i, x) in b.enumerated() {
            if i > 0 { out.append(0x20) }
            out.append(digits[Int(x >> 4)])
            out.append(digits[Int(x & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func text(_ b: [UInt8]) -> String {
        guard let s = String(validating: b, as: UTF8.self) else { return hex(b) }
        for u in s.unicodeScalars where u.value < 0x20 && u != "\n" && u != "\r" && u != "\t" { return hex(b) }
        return s
    }
}

extension SNMPNotification {
    /// The event eccd puts on its bus: source `snmp`; host the v1 agent address or the sender's address;
    /// type the trap's name (`linkDown`) or its OID; attributes `snmpTrapOID`, `trapName`, `snmpVersion`,
    /// `sysUpTime`, and for every other varbind its value under the numeric OID and, when known, under
    /// the object's name (`ifIndex`) with the instance beside it (`ifIndex.instance` = `7`).
    public func event(from sender: String, at time: EventTime, names: some OIDNaming = OIDNames.builtIn) -> Event {
        let host = agentAddress.map { "\($0.0).\($0.1).\($0.2).\($0.3)" } ?? sender
        let full = names.trapName(trapOID)
        let short = full.map { String($0[$0.index(after: $0.lastIndex(of: ":") ?? $0.startIndex)...]) }
        let type = short ?? trapOID.description
        var e = Event(
            time: time, source: "snmp", host: host, type: type, severity: .info,
            summary: "SNMP \(full ?? trapOID.description) from \(host)")
        e.attributes["snmpTrapOID"] = .string(trapOID.description)
        if let full { e.attributes["trapName"] = .string(full) }
        e.attributes["snmpVersion"] = .string(version == 0 ? "1" : version == 1 ? "2c" : "3")
        if let uptime { e.attributes["sysUpTime"] = .int(Int64(uptime)) }
        if let security {
            e.attributes["snmpUser"] = .string(SNMPValue.text(security.user))
            e.attributes["snmpSecurityLevel"] = .string(security.level.description)
            e.attributes["snmpEngineID"] = .string(security.engineID.map { String(format2: $0) }.joined())
            if !security.contextName.isEmpty {
                e.attributes["snmpContext"] = .string(SNMPValue.text(security.contextName))
            }
        }
        for vb in varbinds where vb.oid != .sysUpTime0 && vb.oid != .snmpTrapOID0 {
            let value = vb.value.attribute
            e.attributes[vb.oid.description] = value
            if let (name, instance) = names.object(vb.oid) {
                let short = String(name[name.index(after: name.lastIndex(of: ":") ?? name.startIndex)...])
                e.attributes[short] = value
                if !instance.isEmpty {
                    e.attributes[short + ".instance"] = .string(instance.map(String.init).joined(separator: "."))
                }
            }
        }
        return e
    }
}

extension String {
    /// Two lower-case hex digits.
    init(format2 b: UInt8) {
        let digits = Array("0123456789abcdef".utf8)
        self = String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0x0F)]], as: UTF8.self)
    }
}
