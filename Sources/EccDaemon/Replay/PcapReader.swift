import EccCore
import EccSNMP

#if canImport(Glibc)
    import Glibc
#endif

/// SNMP traps from a pcap capture (`tcpdump -w traps.pcap udp port 162`): each UDP datagram over IPv4 or
/// IPv6 is decoded as the SNMP receiver decodes it (v1 and v2c; SNMPv3 is refused: a capture's USM time
/// window has passed), with the sender's address and the capture's timestamp.
///
/// Written by hand: the classic pcap format is a 24-byte header and 16-byte record headers (no library in
/// the mirror reads it, and libpcap would be a C dependency for these few lines). pcapng is refused with
/// a message saying how to convert it (`editcap -F pcap`).
enum PcapReader {
    /// Link types taken: Ethernet, Linux cooked (v1, v2), BSD loopback, raw IP.
    enum Link: UInt32 {
        case null = 0
        case ethernet = 1
        case raw = 101
        case linuxCooked = 113
        case ipv4 = 228
        case ipv6 = 229
        case linuxCooked2 = 276
    }

    /// Longest record taken (tcpdump's largest snapshot length); a longer one means a corrupt file, and the
    /// rest of it is not read.
    static let maxRecordBytes = 262_144

    static func isPcap(_ head: ArraySlice<UInt8>) -> Bool {
        let h = Array(head)
        return h == [0xD4, 0xC3, 0xB2, 0xA1] || h == [0xA1, 0xB2, 0xC3, 0xD4] || h == [0x4D, 0x3C, 0xB2, 0xA1]
            || h == [0xA1, 0xB2, 0x3C, 0x4D] || h == [0x0A, 0x0D, 0x0D, 0x0A]
    }

    static func read(
        _ reader: inout ChunkReader, names: OIDNameCache, event: (Event) -> Void,
        refused: (ReplayInput.Refusal) -> Void
    ) {
        func refuse(_ n: Int, _ message: String) {
            refused(ReplayInput.Refusal(position: n, format: .pcap, message: message))
        }
        guard let header = reader.take(24).map(Array.init) else { return refuse(0, "truncated pcap header") }
        if header[0] == 0x0A {
            return refuse(0, "a pcapng capture: convert it with `editcap -F pcap in.pcapng out.pcap`")
        }
        let little = header[0] == 0xD4 || header[0] == 0x4D
        let nanos = header[0] == 0x4D || header[3] == 0x4D
        func u32(_ b: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
            let i = b.startIndex + at
            let v = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
            return little ? v : v.byteSwapped
        }
        guard let link = Link(rawValue: u32(header[...], 20) & 0x0FFF_FFFF) else {
            return refuse(0, "link type \(u32(header[...], 20)) is not read (Ethernet, Linux cooked, raw IP are)")
        }
        var number = 0
        while let record = reader.take(16) {
            number += 1
            let length = Int(u32(record, 8))
            guard length <= maxRecordBytes, let packet = reader.take(length) else {
                return refuse(number, "truncated or corrupt record (\(length) bytes)")
            }
            let seconds = Int64(u32(record, 0))
            let fraction = Int64(u32(record, 4))
            let time = EventTime(nanoseconds: seconds * 1_000_000_000 + (nanos ? fraction : fraction * 1000))
            switch udpPayload(packet, link: link) {
            case .failure(let why): refuse(number, why.message)
            case .success(let (sender, payload)):
                let e: Event? = payload.withUnsafeBytes { bytes in
                    if let e = SNMPDecoder.trapEvent(bytes, from: sender, at: time, names: names) { return e }
                    do throws(SNMPError) {
                        return try SNMPDecoder.decode(bytes).event(from: sender, at: time, names: names)
                    } catch {
                        refuse(number, "SNMP from \(sender): \(error)")
                        return nil
                    }
                }
                if let e { event(e) }
            }
        }
    }

    struct Skip: Error {
        var message: String
    }

    /// The sender's address and the UDP payload of one captured frame.
    static func udpPayload(_ frame: ArraySlice<UInt8>, link: Link) -> Result<(String, ArraySlice<UInt8>), Skip> {
        let b = Array(frame)
        var at = 0
        var ethertype: Int?
        switch link {
        case .ethernet:
            guard b.count >= 14 else { return .failure(Skip(message: "short Ethernet frame")) }
            ethertype = Int(b[12]) << 8 | Int(b[13])
            at = 14
            while ethertype == 0x8100 || ethertype == 0x88A8, b.count >= at + 4 {  // VLAN tags
                ethertype = Int(b[at + 2]) << 8 | Int(b[at + 3])
                at += 4
            }
        case .linuxCooked:
            guard b.count >= 16 else { return .failure(Skip(message: "short Linux cooked header")) }
            ethertype = Int(b[14]) << 8 | Int(b[15])
            at = 16
        case .linuxCooked2:
            guard b.count >= 20 else { return .failure(Skip(message: "short Linux cooked v2 header")) }
            ethertype = Int(b[0]) << 8 | Int(b[1])
            at = 20
        case .null:
            at = 4
        case .raw, .ipv4, .ipv6:
            at = 0
        }
        if let ethertype, ethertype != 0x0800 && ethertype != 0x86DD {
            return .failure(Skip(message: "not IP (ethertype 0x\(String(ethertype, radix: 16)))"))
        }
        guard b.count > at else { return .failure(Skip(message: "empty packet")) }
        var sender = ""
        switch b[at] >> 4 {
        case 4:
            let ihl = Int(b[at] & 0x0F) * 4
            guard ihl >= 20, b.count >= at + ihl else { return .failure(Skip(message: "short IPv4 header")) }
            guard b[at + 9] == 17 else { return .failure(Skip(message: "not UDP (IP protocol \(b[at + 9]))")) }
            let fragment = (Int(b[at + 6]) << 8 | Int(b[at + 7]))
            if fragment & 0x3FFF != 0 {
                return .failure(Skip(message: "an IP fragment (reassembly is not done; capture with a larger MTU)"))
            }
            sender = "\(b[at + 12]).\(b[at + 13]).\(b[at + 14]).\(b[at + 15])"
            at += ihl
        case 6:
            guard b.count >= at + 40 else { return .failure(Skip(message: "short IPv6 header")) }
            guard b[at + 6] == 17 else {
                return .failure(
                    Skip(message: "not UDP (IPv6 next header \(b[at + 6]); extension headers are not read)"))
            }
            var addr = in6_addr()
            withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: b[(at + 8)..<(at + 24)]) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
            sender = String(cString: text)
            if sender.hasPrefix("::ffff:") && sender.contains(".") { sender = String(sender.dropFirst(7)) }
            at += 40
        default:
            return .failure(Skip(message: "not IPv4 or IPv6"))
        }
        guard b.count >= at + 8 else { return .failure(Skip(message: "short UDP header")) }
        let length = Int(b[at + 4]) << 8 | Int(b[at + 5])
        guard length >= 8, b.count >= at + length else {
            return .failure(Skip(message: "truncated UDP datagram (capture with -s 0)"))
        }
        return .success((sender, frame[(frame.startIndex + at + 8)..<(frame.startIndex + at + length)]))
    }
}
