/// An SNMPv3 message as read off the wire (RFC 3412 §6, RFC 3414 §2.4): the header, the USM security
/// parameters and where its parts lie in the packet (the MAC is computed over the whole packet with
/// msgAuthenticationParameters zeroed).
struct V3Message {
    var msgID: Int64
    var maxSize: Int64
    var flags: UInt8
    var securityModel: Int64
    var engineID: [UInt8]
    var boots: Int64
    var time: Int64
    var userName: [UInt8]
    var authParams: [UInt8]
    /// Byte range of msgAuthenticationParameters' contents in the packet.
    var authRange: Range<Int>
    var privParams: [UInt8]
    /// msgData: a plaintext ScopedPDU (tag 0x30) or an encrypted one (tag 0x04), with its content range.
    var dataTag: UInt8
    var dataRange: Range<Int>
    /// The whole of msgData including its tag and length (a plaintext ScopedPDU is parsed from it).
    var dataTLV: Range<Int>

    static let flagAuth: UInt8 = 1
    static let flagPriv: UInt8 = 2
    static let flagReportable: UInt8 = 4

    var level: SecurityLevel? {
        switch flags & 3 {
        case 0: .noAuthNoPriv
        case 1: .authNoPriv
        case 3: .authPriv
        default: nil  // privacy without authentication is invalid (RFC 3412 §7.2 step 5)
        }
    }

    /// Parses the message around its PDU; `bytes` holds the whole UDP payload.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(SNMPError) -> V3Message {
        var top = BERReader(bytes)
        var msg = try top.sequence(0x30)
        guard top.isAtEnd else { throw .malformed("bytes after the message") }
        let version = try msg.integer()
        guard version == 3 else { throw .unsupportedVersion(version) }
        var header = try msg.sequence(0x30)
        let msgID = try header.integer()
        let maxSize = try header.integer()
        let flags = try header.octets()
        let model = try header.integer()
        guard flags.count == 1, msgID >= 0, maxSize >= 484 else { throw .malformed("a bad SNMPv3 header") }
        let (secTag, secStart, secEnd) = try msg.header()
        guard secTag == 0x04 else { throw .unexpectedTag(secTag) }
        var sec = BERReader(bytes, offset: secStart, end: secEnd, depth: msg.depth + 1)
        var usm = try sec.sequence(0x30)
        guard sec.isAtEnd else { throw .malformed("bytes after the USM parameters") }
        let engineID = try usm.octets()
        let boots = try usm.integer()
        let time = try usm.integer()
        let user = try usm.octets()
        let (authTag, authStart, authEnd) = try usm.header()
        guard authTag == 0x04 else { throw .unexpectedTag(authTag) }
        let privParams = try usm.octets()
        guard usm.isAtEnd else { throw .malformed("bytes after the USM parameters") }
        guard engineID.count <= 32, user.count <= 32, boots >= 0, time >= 0, boots <= Int64(Int32.max),
            time <= Int64(Int32.max)
        else { throw .malformed("USM parameters out of range") }
        let dataStart = msg.offset
        let (dataTag, s, e) = try msg.header()
        guard dataTag == 0x30 || dataTag == 0x04 else { throw .unexpectedTag(dataTag) }
        guard msg.isAtEnd else { throw .malformed("bytes after msgData") }
        return V3Message(
            msgID: msgID, maxSize: maxSize, flags: flags[0], securityModel: model, engineID: engineID, boots: boots,
            time: time, userName: user,
            authParams: Array(UnsafeRawBufferPointer(rebasing: bytes[authStart..<authEnd])),
            authRange: authStart..<authEnd, privParams: privParams, dataTag: dataTag, dataRange: s..<e,
            dataTLV: dataStart..<e)
    }

    /// A ScopedPDU: contextEngineID, contextName and the PDU (its tag and reader).
    static func scopedPDU(_ bytes: UnsafeRawBufferPointer) throws(SNMPError) -> (
        contextEngineID: [UInt8], contextName: [UInt8], tag: UInt8, pdu: BERReader
    ) {
        var top = BERReader(bytes)
        var scoped = try top.sequence(0x30)
        // An encrypted ScopedPDU may carry cipher padding after it (DES pads to 8 bytes).
        let engine = try scoped.octets()
        let name = try scoped.octets()
        let (tag, pdu) = try scoped.anySequence()
        return (engine, name, tag, pdu)
    }

    /// Encodes a message with `mac` zeroed; the caller fills the MAC in at the returned range.
    static func encode(
        msgID: Int64, flags: UInt8, engineID: [UInt8], boots: UInt32, time: UInt32, userName: [UInt8],
        macLength: Int, privParams: [UInt8], data: [UInt8], dataIsEncrypted: Bool
    ) -> [UInt8] {
        var header = BERWriter()
        header.tlv(0x02, BERWriter.integer(msgID))
        header.tlv(0x02, BERWriter.integer(65_507))
        header.tlv(0x04, [flags])
        header.tlv(0x02, BERWriter.integer(3))
        var usm = BERWriter()
        usm.tlv(0x04, engineID)
        usm.tlv(0x02, BERWriter.integer(Int64(boots)))
        usm.tlv(0x02, BERWriter.integer(Int64(time)))
        usm.tlv(0x04, userName)
        usm.tlv(0x04, [UInt8](repeating: 0, count: macLength))
        usm.tlv(0x04, privParams)
        var usmSeq = BERWriter()
        usmSeq.tlv(0x30, usm.bytes)
        var msg = BERWriter()
        msg.tlv(0x02, BERWriter.integer(3))
        msg.tlv(0x30, header.bytes)
        msg.tlv(0x04, usmSeq.bytes)
        if dataIsEncrypted { msg.tlv(0x04, data) } else { msg.bytes += data }
        var out = BERWriter()
        out.tlv(0x30, msg.bytes)
        return out.bytes
    }

    /// A ScopedPDU with a PDU of `tag` (a Response or a Report).
    static func encodeScopedPDU(
        contextEngineID: [UInt8], contextName: [UInt8], tag: UInt8, requestID: Int64,
        varbinds: [VarBind]
    ) -> [UInt8] {
        var scoped = BERWriter()
        scoped.tlv(0x04, contextEngineID)
        scoped.tlv(0x04, contextName)
        scoped.tlv(tag, BERWriter.pdu(requestID: requestID, varbinds: varbinds))
        var out = BERWriter()
        out.tlv(0x30, scoped.bytes)
        return out.bytes
    }
}
