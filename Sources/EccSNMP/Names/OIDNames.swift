import EccCore

/// What names OIDs: a trap's `MODULE::name`, an object's `MODULE::name` with its instance arcs.
package protocol OIDNaming {
    func trapName(_ oid: OID) -> String?
    func object(_ oid: OID) -> (name: String, instance: ArraySlice<UInt32>)?
    /// Everything an event needs of a trap OID (a cache keeps these).
    func trapKeys(_ oid: OID) -> TrapKeys
    /// Everything an event needs of a varbind's OID (a cache keeps these).
    func objectKeys(_ oid: OID) -> ObjectKeys
}

/// A trap OID's texts: dotted, full name, short name (the event type), the summary's start.
package struct TrapKeys: Sendable {
    package var dotted: String
    package var full: String?
    package var type: String
    package var summaryPrefix: String

    init(_ oid: OID, full: String?) {
        dotted = oid.description
        self.full = full
        type = full.map(OIDNames.shortName) ?? dotted
        summaryPrefix = "SNMP \(full ?? dotted) from "
    }
}

/// A varbind OID's attribute keys: dotted, and when named the short name, its `.instance` key and the
/// instance text.
package struct ObjectKeys: Sendable {
    package var dotted: String
    package var name: String?
    package var instanceKey: String?
    package var instance: String?

    init(_ oid: OID, named: (name: String, instance: ArraySlice<UInt32>)?) {
        dotted = oid.description
        if let (full, arcs) = named {
            let short = OIDNames.shortName(full)
            name = short
            if !arcs.isEmpty {
                instanceKey = short + ".instance"
                instance = arcs.map(String.init).joined(separator: ".")
            }
        }
    }
}

extension OIDNaming {
    package func trapKeys(_ oid: OID) -> TrapKeys { TrapKeys(oid, full: trapName(oid)) }
    package func objectKeys(_ oid: OID) -> ObjectKeys { ObjectKeys(oid, named: object(oid)) }
}

/// Names for OIDs without any MIB loaded: the generic traps (RFC 3418 / RFC 2863) and the objects their
/// varbinds carry, so `coldStart`, `linkDown`… are named on a machine with no MIB files at all.
package struct OIDNames: Sendable, OIDNaming {
    /// Trap OID → `MODULE::name`.
    var traps: [OID: String]
    /// Object (column or scalar) OID → `MODULE::name`.
    var objects: [OID: String]
    let maxObjectLength: Int

    package init(traps: [OID: String], objects: [OID: String]) {
        self.traps = traps
        self.objects = objects
        maxObjectLength = objects.keys.map(\.arcs.count).max() ?? 0
    }

    package static let builtIn = OIDNames(
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

    /// `linkDown` of `IF-MIB::linkDown`.
    static func shortName(_ full: String) -> String {
        String(full[full.index(after: full.lastIndex(of: ":") ?? full.startIndex)...])
    }

    /// The trap's `MODULE::name`, if known.
    package func trapName(_ oid: OID) -> String? { traps[oid] }

    /// The object's `MODULE::name` and the instance arcs after it (`ifIndex.7` → ("IF-MIB::ifIndex", [7])).
    package func object(_ oid: OID) -> (name: String, instance: ArraySlice<UInt32>)? {
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
    package var attribute: AttributeValue {
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
    package func event(from sender: String, at time: EventTime, names: some OIDNaming = OIDNames.builtIn) -> Event {
        let host = agentAddress.map { "\($0.0).\($0.1).\($0.2).\($0.3)" } ?? sender
        let trap = names.trapKeys(trapOID)
        var e = Event(
            time: time, source: "snmp", host: host, type: trap.type, severity: .info,
            summary: trap.summaryPrefix + host)
        // The fixed keys first, appended without a search (they are distinct); varbinds' keys are set,
        // so a repeated object keeps its last value.
        e.attributes.reserveCapacity(8 + 3 * varbinds.count)
        e.attributes.appendUnchecked("snmpTrapOID", .string(trap.dotted))
        if let full = trap.full { e.attributes.appendUnchecked("trapName", .string(full)) }
        e.attributes.appendUnchecked("snmpVersion", .string(version == 0 ? "1" : version == 1 ? "2c" : "3"))
        if let uptime { e.attributes.appendUnchecked("sysUpTime", .int(Int64(uptime))) }
        if let security {
            e.attributes.appendUnchecked("snmpUser", .string(SNMPValue.text(security.user)))
            e.attributes.appendUnchecked("snmpSecurityLevel", .string(security.level.description))
            e.attributes.appendUnchecked("snmpEngineID", .string(String(Hex.text(security.engineID).dropFirst(2))))
            if !security.contextName.isEmpty {
                e.attributes.appendUnchecked("snmpContext", .string(SNMPValue.text(security.contextName)))
            }
        }
        if varbinds.count <= AttributesBuilder.linearUpTo {
            setVarbinds(in: &e.attributes, names: names)
        } else {
            // Linear in the number of varbinds: keys found through a hash set, not a scan.
            var all = AttributesBuilder(e.attributes, limit: .max)
            setVarbinds(in: &all, names: names)
            e.attributes = all.attributes
        }
        return e
    }

    private func setVarbinds(in sink: inout some AttributeSink, names: some OIDNaming) {
        for vb in varbinds where vb.oid != .sysUpTime0 && vb.oid != .snmpTrapOID0 {
            let value = vb.value.attribute
            let keys = names.objectKeys(vb.oid)
            sink.snmpAssign(keys.dotted, value)
            if let name = keys.name {
                sink.snmpAssign(name, value)
                if let key = keys.instanceKey, let instance = keys.instance { sink.snmpAssign(key, .string(instance)) }
            }
        }
    }
}
