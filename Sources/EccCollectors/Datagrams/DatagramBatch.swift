import CEccNet
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Datagrams received with `recvmmsg`, up to 64 a system call, into buffers allocated once (each `slot`
/// bytes: a longer datagram is marked truncated, not cut silently), with their senders. Shared by the SNMP
/// and syslog receivers; confined to the receive thread that owns it.
final class DatagramBatch {
    static let capacity = 64
    let slot: Int
    private let buffers: UnsafeMutableRawPointer
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private var addressLengths = [UInt32](repeating: 0, count: DatagramBatch.capacity)
    private var lengths = [Int32](repeating: 0, count: DatagramBatch.capacity)
    private var truncated = [Int32](repeating: 0, count: DatagramBatch.capacity)
    /// The last sender's address bytes and text: bursts come from few senders.
    private var lastAddress: (family: sa_family_t, high: UInt64, low: UInt64) = (0, 0, 0)
    private var lastText = ""

    init(slot: Int) {
        self.slot = slot
        buffers = .allocate(byteCount: Self.capacity * slot, alignment: 16)
        addresses = .allocate(capacity: Self.capacity)
    }

    deinit {
        buffers.deallocate()
        addresses.deallocate()
    }

    /// Waits up to `timeoutMilliseconds` for `fd` to be readable; false when nothing came.
    static func wait(_ fd: Int32, timeoutMilliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, timeoutMilliseconds) > 0
    }

    /// Receives what is waiting on `fd` without blocking: how many datagrams (0 when none).
    func receive(_ fd: Int32) -> Int {
        let n = ecc_udp_receive(
            fd, buffers, slot, Int32(Self.capacity), addresses, MemoryLayout<sockaddr_storage>.size, &addressLengths,
            &lengths, &truncated)
        return max(0, Int(n))
    }

    /// Datagram `i` of the last receive.
    func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffers + i * slot, count: Int(lengths[i]))
    }

    /// Whether datagram `i` was longer than a slot.
    func isTruncated(_ i: Int) -> Bool { truncated[i] != 0 }

    /// The sender of datagram `i` as text; the last one's is reused (the port is not part of it).
    func sender(_ i: Int) -> String {
        let a = addresses + i
        // sin_addr at offset 4 (4 bytes), sin6_addr at offset 8 (16 bytes).
        let (offset, size) = Int32(a.pointee.ss_family) == AF_INET6 ? (8, 16) : (4, 4)
        var bytes: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &bytes) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(a) + offset, count: size))
        }
        let key = (family: a.pointee.ss_family, high: bytes.0, low: bytes.1)
        if lastText.isEmpty || key != lastAddress {
            lastAddress = key
            lastText = UDPSocket.text(a)
        }
        return lastText
    }

    /// Answers the sender of datagram `i` on `fd`, without waiting.
    func reply(_ bytes: [UInt8], to i: Int, on fd: Int32) {
        _ = bytes.withUnsafeBytes { raw in
            sendto(
                fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT),
                UnsafeRawPointer(addresses + i).assumingMemoryBound(to: sockaddr.self), addressLengths[i])
        }
    }
}
