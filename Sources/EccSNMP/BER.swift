import EccCore

/// A bounds-checked reader of BER (X.690) as SNMP uses it: definite lengths only, at most 4 length
/// octets, a nesting limit, every length checked against what is left. Hostile input is rejected with a
/// reason; nothing is allocated from a length before the bytes are known to be there.
package struct BERReader {
    let bytes: UnsafeRawBufferPointer
    package private(set) var offset: Int
    let end: Int
    let depth: Int

    /// Deepest nesting accepted (an SNMPv2 trap needs 4: message, PDU, varbind list, varbind).
    package static let maxDepth = 8

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
        self.depth = 0
    }

    init(_ bytes: UnsafeRawBufferPointer, offset: Int, end: Int, depth: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
        self.depth = depth
    }

    package var isAtEnd: Bool { offset >= end }

    /// Reads a tag and length; returns the tag and the content's range.
    @inline(__always)
    mutating func header() throws(SNMPError) -> (tag: UInt8, start: Int, end: Int) {
        guard offset + 2 <= end else { throw .truncated }
        let tag = bytes[offset]
        guard tag & 0x1F != 0x1F else { throw .malformed("multi-octet tags are not used by SNMP") }
        var length = Int(bytes[offset + 1])
        var p = offset + 2
        if length & 0x80 != 0 {
            let n = length & 0x7F
            guard n > 0 else { throw .malformed("indefinite length") }
            guard n <= 4 else { throw .tooLarge }
            guard p + n <= end else { throw .truncated }
            length = 0
            for i in 0..<n { length = length << 8 | Int(bytes[p + i]) }
            p += n
        }
        guard length <= end - p else { throw .truncated }
        offset = p + length
        return (tag, p, p + length)
    }

    /// Enters a constructed value with this tag.
    mutating func sequence(_ expected: UInt8) throws(SNMPError) -> BERReader {
        let (tag, s, e) = try header()
        guard tag == expected else { throw .unexpectedTag(tag) }
        guard depth + 1 <= Self.maxDepth else { throw .tooDeep }
        return BERReader(bytes, offset: s, end: e, depth: depth + 1)
    }

    /// Enters a constructed value of any tag (PDUs); returns the tag too.
    mutating func anySequence() throws(SNMPError) -> (UInt8, BERReader) {
        let (tag, s, e) = try header()
        guard tag & 0x20 != 0 else { throw .unexpectedTag(tag) }
        guard depth + 1 <= Self.maxDepth else { throw .tooDeep }
        return (tag, BERReader(bytes, offset: s, end: e, depth: depth + 1))
    }

    mutating func integer() throws(SNMPError) -> Int64 {
        let (tag, s, e) = try header()
        guard tag == 0x02 else { throw .unexpectedTag(tag) }
        return try Self.signed(bytes, s, e)
    }

    mutating func octets() throws(SNMPError) -> [UInt8] {
        let (tag, s, e) = try header()
        guard tag == 0x04 else { throw .unexpectedTag(tag) }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[s..<e]))
    }

    mutating func oid() throws(SNMPError) -> OID {
        let (tag, s, e) = try header()
        guard tag == 0x06 else { throw .unexpectedTag(tag) }
        return try Self.oid(bytes, s, e)
    }

    mutating func value() throws(SNMPError) -> SNMPValue {
        let (tag, s, e) = try header()
        switch tag {
        case 0x02: return .integer(try Self.signed(bytes, s, e))
        case 0x04: return .octets(Array(UnsafeRawBufferPointer(rebasing: bytes[s..<e])))
        case 0x05: return .null
        case 0x06: return .oid(try Self.oid(bytes, s, e))
        case 0x40:
            guard e - s == 4 else { throw .malformed("an IpAddress has 4 octets, not \(e - s)") }
            return .ipAddress(bytes[s], bytes[s + 1], bytes[s + 2], bytes[s + 3])
        case 0x41: return .counter32(UInt32(truncatingIfNeeded: try Self.unsigned(bytes, s, e, max: 5)))
        case 0x42: return .gauge32(UInt32(truncatingIfNeeded: try Self.unsigned(bytes, s, e, max: 5)))
        case 0x43: return .timeticks(UInt32(truncatingIfNeeded: try Self.unsigned(bytes, s, e, max: 5)))
        case 0x44: return .opaque(Array(UnsafeRawBufferPointer(rebasing: bytes[s..<e])))
        case 0x46: return .counter64(try Self.unsigned(bytes, s, e, max: 9))
        case 0x80: return .noSuchObject
        case 0x81: return .noSuchInstance
        case 0x82: return .endOfMibView
        default: throw .unexpectedTag(tag)
        }
    }

    static func signed(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) throws(SNMPError) -> Int64 {
        guard e > s else { throw .malformed("an empty integer") }
        guard e - s <= 8 else { throw .malformed("an integer longer than 64 bits") }
        var v: Int64 = b[s] & 0x80 != 0 ? -1 : 0
        for i in s..<e { v = v << 8 | Int64(b[i]) }
        return v
    }

    static func unsigned(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int, max: Int) throws(SNMPError) -> UInt64 {
        guard e > s else { throw .malformed("an empty integer") }
        guard e - s <= max else { throw .malformed("an unsigned value too long") }
        var v: UInt64 = 0
        for i in s..<e { v = v << 8 | UInt64(b[i]) }
        return v
    }

    static func oid(_ b: UnsafeRawBufferPointer, _ s: Int, _ e: Int) throws(SNMPError) -> OID {
        guard e > s else { throw .malformed("an empty OID") }
        guard e - s <= 128 * 5 else { throw .tooLarge }
        var arcs: [UInt32] = []
        arcs.reserveCapacity(e - s + 1)
        var v: UInt64 = 0
        var first = true
        for i in s..<e {
            let byte = b[i]
            v = v << 7 | UInt64(byte & 0x7F)
            guard v <= UInt64(UInt32.max) * 2 else { throw .malformed("an OID arc larger than 32 bits") }
            if byte & 0x80 == 0 {
                if first {
                    let top: UInt32 = v < 40 ? 0 : v < 80 ? 1 : 2
                    // 2.x: the second arc is what is left over 80, and must fit 32 bits too.
                    guard v - UInt64(top) * 40 <= UInt64(UInt32.max) else {
                        throw .malformed("an OID arc larger than 32 bits")
                    }
                    arcs.append(top)
                    arcs.append(UInt32(v - UInt64(top) * 40))
                    first = false
                } else {
                    guard v <= UInt64(UInt32.max) else { throw .malformed("an OID arc larger than 32 bits") }
                    arcs.append(UInt32(v))
                }
                v = 0
            }
        }
        guard b[e - 1] & 0x80 == 0 else { throw .malformed("an OID ends inside an arc") }
        guard arcs.count <= 128 else { throw .tooLarge }
        return OID(arcs)
    }
}

/// Why a packet was rejected (counted per reason).
package enum SNMPError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case tooLarge
    case tooDeep
    case unexpectedTag(UInt8)
    case malformed(String)
    case unsupportedVersion(Int64)
    case unsupportedPDU(UInt8)
    case community
    case notATrap
    /// More varbinds than ``SNMPLimits/maxVarbinds``.
    case tooManyVarbinds(Int)
    /// SNMP v1 or v2c while `snmp.v3_only` is set.
    case v3Only
    /// Rejected by the User-based Security Model (RFC 3414 §3.2), counted as usmStats… are.
    case usm(USMFailure)

    /// A short label for counters (`ecc_snmp_dropped_total{reason}`).
    package var reason: String {
        switch self {
        case .truncated: "truncated"
        case .tooLarge: "too_large"
        case .tooDeep: "too_deep"
        case .unexpectedTag: "bad_tag"
        case .malformed: "malformed"
        case .unsupportedVersion: "version"
        case .unsupportedPDU: "pdu_type"
        case .community: "community"
        case .notATrap: "not_a_trap"
        case .tooManyVarbinds: "too_many_varbinds"
        case .v3Only: "v3_only"
        case .usm(let f): f.rawValue
        }
    }

    /// The reason in `ecc_input_refused_total{collector="snmp"}` (the detail is in ``reason``).
    package var refusal: InputRefusal {
        switch self {
        case .truncated, .tooLarge, .unexpectedTag, .malformed, .unsupportedVersion, .unsupportedPDU, .notATrap:
            .syntax
        case .tooDeep: .depth
        case .tooManyVarbinds: .attributes
        case .community, .v3Only, .usm: .credentials
        }
    }

    package var description: String {
        switch self {
        case .truncated: "truncated packet (a length runs past its end)"
        case .tooLarge: "a length or OID too large"
        case .tooDeep: "nested deeper than \(BERReader.maxDepth)"
        case .unexpectedTag(let t): "unexpected tag 0x\(String(t, radix: 16))"
        case .malformed(let m): m
        case .unsupportedVersion(let v): "SNMP version \(v) is not supported"
        case .unsupportedPDU(let t): "PDU type 0x\(String(t, radix: 16)) is not a trap or inform"
        case .community: "community not allowed"
        case .notATrap: "a trap without snmpTrapOID.0"
        case .tooManyVarbinds(let n): "more than \(n) varbinds"
        case .v3Only: "SNMP v1/v2c refused (snmp.v3_only)"
        case .usm(let f): f.description
        }
    }
}

/// BER encoding, for what eccd sends (the Response to an inform).
struct BERWriter {
    var bytes: [UInt8] = []

    mutating func tlv(_ tag: UInt8, _ content: [UInt8]) {
        bytes.append(tag)
        let n = content.count
        if n < 0x80 {
            bytes.append(UInt8(n))
        } else if n <= 0xFF {
            bytes += [0x81, UInt8(n)]
        } else if n <= 0xFFFF {
            bytes += [0x82, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            bytes += [0x83, UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        }
        bytes += content
    }

    static func integer(_ v: Int64) -> [UInt8] {
        var out: [UInt8] = []
        var x = v
        repeat {
            out.insert(UInt8(truncatingIfNeeded: x), at: 0)
            x >>= 8
        } while !(x == 0 && out[0] & 0x80 == 0) && !(x == -1 && out[0] & 0x80 != 0)
        return out
    }

    static func oid(_ o: OID) -> [UInt8] {
        let a = o.arcs
        guard a.count >= 2 else { return [0] }
        var out: [UInt8] = []
        func base128(_ v: UInt64) {
            var chunk: [UInt8] = [UInt8(v & 0x7F)]
            var x = v >> 7
            while x > 0 {
                chunk.insert(UInt8(x & 0x7F) | 0x80, at: 0)
                x >>= 7
            }
            out += chunk
        }
        base128(UInt64(a[0]) * 40 + UInt64(a[1]))
        for arc in a.dropFirst(2) { base128(UInt64(arc)) }
        return out
    }

    mutating func value(_ v: SNMPValue) {
        switch v {
        case .integer(let i): tlv(0x02, Self.integer(i))
        case .octets(let b): tlv(0x04, b)
        case .null: tlv(0x05, [])
        case .oid(let o): tlv(0x06, Self.oid(o))
        case .ipAddress(let a, let b, let c, let d): tlv(0x40, [a, b, c, d])
        case .counter32(let x): tlv(0x41, Self.unsigned(UInt64(x)))
        case .gauge32(let x): tlv(0x42, Self.unsigned(UInt64(x)))
        case .timeticks(let x): tlv(0x43, Self.unsigned(UInt64(x)))
        case .opaque(let b): tlv(0x44, b)
        case .counter64(let x): tlv(0x46, Self.unsigned(x))
        case .noSuchObject: tlv(0x80, [])
        case .noSuchInstance: tlv(0x81, [])
        case .endOfMibView: tlv(0x82, [])
        }
    }

    /// A PDU's contents: request-id, error-status and error-index 0, the varbinds.
    static func pdu(requestID: Int64, varbinds: [VarBind]) -> [UInt8] {
        var pdu = BERWriter()
        pdu.tlv(0x02, integer(requestID))
        pdu.tlv(0x02, [0])
        pdu.tlv(0x02, [0])
        pdu.tlv(0x30, BERWriter.varbinds(varbinds))
        return pdu.bytes
    }

    /// A VarBindList: SEQUENCE OF SEQUENCE { name, value }.
    static func varbinds(_ list: [VarBind]) -> [UInt8] {
        var vbs = BERWriter()
        for vb in list {
            var one = BERWriter()
            one.tlv(0x06, oid(vb.oid))
            one.value(vb.value)
            vbs.tlv(0x30, one.bytes)
        }
        return vbs.bytes
    }

    static func unsigned(_ v: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var x = v
        repeat {
            out.insert(UInt8(x & 0xFF), at: 0)
            x >>= 8
        } while x > 0
        if out[0] & 0x80 != 0 { out.insert(0, at: 0) }
        return out
    }
}

/// Why the User-based Security Model rejected a message; the raw values are the counter labels.
package enum USMFailure: String, Sendable, Equatable, CustomStringConvertible {
    case unknownEngineID = "unknown_engine_id"
    case unknownUser = "unknown_user"
    case unsupportedSecurityLevel = "unsupported_security_level"
    case wrongDigest = "wrong_digest"
    case notInTimeWindow = "not_in_time_window"
    case decryptionError = "decryption_error"
    case unknownSecurityModel = "unknown_security_model"

    package var description: String {
        switch self {
        case .unknownEngineID: "SNMPv3: unknown engine ID (an inform must be sent to eccd's engine ID)"
        case .unknownUser: "SNMPv3: unknown user (not configured under snmp.users, or keys for another engine ID)"
        case .unsupportedSecurityLevel: "SNMPv3: security level not allowed for this user"
        case .wrongDigest: "SNMPv3: authentication failed (wrong key or passphrase, or a modified message)"
        case .notInTimeWindow: "SNMPv3: outside the time window (a replayed or delayed message)"
        case .decryptionError: "SNMPv3: cannot decrypt (wrong privacy key or protocol)"
        case .unknownSecurityModel: "SNMPv3: security model is not USM"
        }
    }
}
