import EccCore

/// An entry of an ``EncodedOIDTable``: found by the OID's encoded content octets.
protocol EncodedOIDEntry: AnyObject {
    var hash: Int { get }
    var encoded: [UInt8] { get }
}

/// What the trap path needs of a varbind's OID, found by its encoded bytes.
final class ObjectEntry: EncodedOIDEntry {
    let hash: Int
    let encoded: [UInt8]
    let keys: ObjectKeys
    /// sysUpTime.0 or snmpTrapOID.0: not an attribute of its own.
    let isSysUpTime0: Bool
    let isSnmpTrapOID0: Bool

    init(hash: Int, encoded: [UInt8], oid: OID, keys: ObjectKeys) {
        self.hash = hash
        self.encoded = encoded
        self.keys = keys
        isSysUpTime0 = oid == .sysUpTime0
        isSnmpTrapOID0 = oid == .snmpTrapOID0
    }
}

/// What the trap path needs of a trap OID, found by its encoded bytes; with the last summary built.
final class TrapEntry: EncodedOIDEntry {
    let hash: Int
    let encoded: [UInt8]
    let keys: TrapKeys
    var lastHost = ""
    var lastSummary = ""

    init(hash: Int, encoded: [UInt8], keys: TrapKeys) {
        self.hash = hash
        self.encoded = encoded
        self.keys = keys
    }

    /// `SNMP IF-MIB::linkDown from <host>`, built again only when the host changes.
    func summary(_ host: String) -> String {
        if host != lastHost || lastSummary.isEmpty {
            lastHost = host
            lastSummary = keys.summaryPrefix + host
        }
        return lastSummary
    }
}

/// An open-addressing table of entries by encoded OID bytes (seeded hash, linear probing, at most half
/// full); it starts afresh once it holds `limit` entries, as the name cache does.
struct EncodedOIDTable<Entry: EncodedOIDEntry> {
    private var slots: [Entry?] = Array(repeating: nil, count: 64)
    private var count = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: bytes)
        return h.finalize()
    }

    func find(_ bytes: UnsafeRawBufferPointer, hash: Int) -> Entry? {
        let mask = slots.count - 1
        var i = hash & mask
        while let e = slots[i] {
            if e.hash == hash, e.encoded.count == bytes.count, e.encoded.elementsEqual(bytes) { return e }
            i = (i + 1) & mask
        }
        return nil
    }

    mutating func insert(_ entry: Entry) {
        if count >= limit {
            slots = Array(repeating: nil, count: 64)
            count = 0
        }
        if 2 * (count + 1) > slots.count {
            let old = slots
            slots = Array(repeating: nil, count: old.count * 2)
            count = 0
            for case let e? in old { place(e) }
        }
        place(entry)
    }

    private mutating func place(_ entry: Entry) {
        let mask = slots.count - 1
        var i = entry.hash & mask
        while slots[i] != nil { i = (i + 1) & mask }
        slots[i] = entry
        count += 1
    }
}

extension OIDNameCache {
    /// The keys of a varbind's OID from its content octets `bytes[s..<e]`; nil when they do not decode.
    func objectEntry(_ bytes: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> ObjectEntry? {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[s..<e])
        let h = EncodedOIDTable<ObjectEntry>.hash(raw)
        if let found = encodedObjects.find(raw, hash: h) { return found }
        guard let oid = try? BERReader.oid(bytes, s, e) else { return nil }
        let entry = ObjectEntry(hash: h, encoded: Array(raw), oid: oid, keys: objectKeys(oid))
        encodedObjects.insert(entry)
        return entry
    }

    /// The keys of a trap OID from its content octets `bytes[s..<e]`; nil when they do not decode.
    func trapEntry(_ bytes: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> TrapEntry? {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[s..<e])
        let h = EncodedOIDTable<TrapEntry>.hash(raw)
        if let found = encodedTraps.find(raw, hash: h) { return found }
        guard let oid = try? BERReader.oid(bytes, s, e) else { return nil }
        let entry = TrapEntry(hash: h, encoded: Array(raw), keys: trapKeys(oid))
        encodedTraps.insert(entry)
        return entry
    }
}

extension SNMPDecoder {
    /// The event of an SNMPv2c SNMPv2-Trap, built straight from the packet: OIDs are found in the name
    /// cache by their encoded bytes (no arc arrays, no notification in between). The event is the one
    /// ``decode(_:allowCommunity:)`` then ``SNMPNotification/event(from:at:names:)`` give.
    ///
    /// Returns nil for anything else — another version or PDU (informs need their notification to be
    /// answered), a community `allowCommunity` refuses, more than `maxVarbinds` varbinds, any irregularity — and the caller then takes the
    /// general path, which also says why a packet is rejected.
    package static func trapEvent(
        _ bytes: UnsafeRawBufferPointer, from sender: String, at time: EventTime, names: OIDNameCache,
        allowCommunity: ((ArraySlice<UInt8>) -> Bool)? = nil, maxVarbinds: Int = SNMPLimits().maxVarbinds
    ) -> Event? {
        do throws(SNMPError) {
            var top = BERReader(bytes)
            var msg = try top.sequence(0x30)
            guard top.isAtEnd, try msg.integer() == 1 else { return nil }
            let (ctag, cs, ce) = try msg.header()
            guard ctag == 0x04 else { return nil }
            if let allowCommunity,
                !allowCommunity(Array(UnsafeRawBufferPointer(rebasing: bytes[cs..<ce]))[...])
            {
                return nil
            }
            let (tag, p) = try msg.anySequence()
            guard tag == 0xA7 else { return nil }
            var pdu = p
            _ = try pdu.integer()  // request-id
            _ = try pdu.integer()  // error-status
            _ = try pdu.integer()  // error-index
            let list = try pdu.sequence(0x30)
            return try trapEvent(list, bytes: bytes, from: sender, at: time, names: names, maxVarbinds: maxVarbinds)
        } catch {
            return nil
        }
    }

    private static func trapEvent(
        _ varbinds: BERReader, bytes: UnsafeRawBufferPointer, from host: String, at time: EventTime,
        names: OIDNameCache, maxVarbinds: Int
    ) throws(SNMPError) -> Event? {
        // Count the varbinds first (headers only), for the attributes' capacity and the bound.
        var counting = varbinds
        var n = 0
        while !counting.isAtEnd {
            _ = try counting.header()
            n += 1
            guard n <= maxVarbinds else { return nil }
        }
        guard n >= 2 else { return nil }
        var list = varbinds
        // sysUpTime.0 (optional first), snmpTrapOID.0 (second, required).
        var vb0 = try list.sequence(0x30)
        let (t0, s0, e0) = try vb0.header()
        guard t0 == 0x06, let first = names.objectEntry(bytes, s0, e0) else { return nil }
        let value0 = try vb0.value()
        guard vb0.isAtEnd else { return nil }
        var vb1 = try list.sequence(0x30)
        let (t1, s1, e1) = try vb1.header()
        guard t1 == 0x06, let second = names.objectEntry(bytes, s1, e1), second.isSnmpTrapOID0 else { return nil }
        let (tv, sv, ev) = try vb1.header()
        guard tv == 0x06, vb1.isAtEnd, let trap = names.trapEntry(bytes, sv, ev) else { return nil }
        var uptime: UInt32?
        if first.isSysUpTime0, case .timeticks(let t) = value0 { uptime = t }

        var e = Event(
            time: time, source: "snmp", host: host, type: trap.keys.type, severity: .info,
            summary: trap.summary(host))
        e.attributes.reserveCapacity(n <= AttributesBuilder.linearUpTo ? 8 + 3 * n : 8)
        e.attributes.appendUnchecked("snmpTrapOID", .string(trap.keys.dotted))
        if let full = trap.keys.full { e.attributes.appendUnchecked("trapName", .string(full)) }
        e.attributes.appendUnchecked("snmpVersion", .string("2c"))
        if let uptime { e.attributes.appendUnchecked("sysUpTime", .int(Int64(uptime))) }
        if n <= AttributesBuilder.linearUpTo {
            guard try varbindAttributes(first, value0, &list, bytes, names, into: &e.attributes) else { return nil }
        } else {
            // Linear in the number of varbinds: keys found through a hash set, not a scan.
            var all = AttributesBuilder(e.attributes, limit: .max)
            guard try varbindAttributes(first, value0, &list, bytes, names, into: &all) else { return nil }
            e.attributes = all.attributes
        }
        return e
    }

    /// Sets the attributes of the first varbind (unless it is sysUpTime.0) and of those after
    /// snmpTrapOID.0; false for a varbind the trap path does not take.
    private static func varbindAttributes(
        _ first: ObjectEntry, _ value0: SNMPValue, _ list: inout BERReader, _ bytes: UnsafeRawBufferPointer,
        _ names: OIDNameCache, into sink: inout some AttributeSink
    ) throws(SNMPError) -> Bool {
        if !first.isSysUpTime0 && !first.isSnmpTrapOID0 { set(first.keys, value0.attribute, in: &sink) }
        while !list.isAtEnd {
            var vb = try list.sequence(0x30)
            let (t, s, end) = try vb.header()
            guard t == 0x06, let object = names.objectEntry(bytes, s, end) else { return false }
            let value: AttributeValue
            if vb.offset < vb.end, bytes[vb.offset] == 0x04 {
                let (_, vs, ve) = try vb.header()
                value = .string(text(bytes, vs, ve))
            } else {
                value = try vb.value().attribute
            }
            guard vb.isAtEnd else { return false }
            if !object.isSysUpTime0 && !object.isSnmpTrapOID0 { set(object.keys, value, in: &sink) }
        }
        return true
    }

    /// A varbind's attributes, as ``SNMPNotification/event(from:at:names:)`` sets them.
    @inline(__always)
    private static func set(_ keys: ObjectKeys, _ value: AttributeValue, in sink: inout some AttributeSink) {
        sink.snmpAssign(keys.dotted, value)
        if let name = keys.name {
            sink.snmpAssign(name, value)
            if let key = keys.instanceKey, let instance = keys.instance { sink.snmpAssign(key, .string(instance)) }
        }
    }

    /// ``SNMPValue/text(_:)`` of octets in place: printable ASCII is taken as it is, anything else as there.
    private static func text(_ bytes: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[s..<e])
        for b in raw where b >= 0x80 || (b < 0x20 && b != 0x0A && b != 0x0D && b != 0x09) {
            return SNMPValue.text(Array(raw))
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
