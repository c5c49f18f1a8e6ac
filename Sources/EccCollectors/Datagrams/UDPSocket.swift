import EccBus
import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A bound UDP socket for a datagram receiver (SNMP, syslog; IPv4 or IPv6), with the receive buffer asked of
/// the kernel.
struct UDPSocket: Sendable {
    let fd: Int32
    let port: Int
    /// What the kernel granted for SO_RCVBUF (Linux reports twice the usable size).
    let receiveBuffer: Int

    /// Errors name `collector` (`snmp`, `syslog`).
    static func bind(collector: String, host: String, port: Int, receiveBuffer: Int) throws(CollectorError)
        -> UDPSocket
    {
        func error(_ message: String) -> CollectorError { CollectorError(collector: collector, message: message) }
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        if host.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { throw error("'\(host)' is not an IPv6 address") }
            withUnsafeBytes(of: a) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            let name = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, name, &a.sin_addr) == 1 else { throw error("'\(host)' is not an IPv4 address") }
            withUnsafeBytes(of: a) { src in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw error("cannot create a UDP socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var size = Int32(clamping: receiveBuffer)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw error("cannot listen on udp \(host):\(port): \(reason)")
        }
        var granted: Int32 = 0
        var grantedLength = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &grantedLength)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let actual = withUnsafeBytes(of: storage) { raw -> Int in
            // sin_port and sin6_port sit at the same offset, in network order.
            Int(UInt16(raw[2]) << 8 | UInt16(raw[3]))
        }
        return UDPSocket(fd: fd, port: actual, receiveBuffer: Int(granted))
    }

    /// Datagrams the kernel dropped on the UDP sockets bound to `port` (their receive buffers were full),
    /// from /proc/net/udp{,6}; nil when there is none to read (not Linux).
    static func kernelDrops(port: Int) -> Int? {
        let hexPort = String(format: "%04X", port)
        var total: Int?
        for file in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 13, f[1].hasSuffix(":" + hexPort), let d = Int(f[f.count - 1]) else { continue }
                total = (total ?? 0) + d
            }
        }
        return total
    }

    /// The sender's address as text (`192.0.2.1`, `2001:db8::1`), from a received sockaddr.
    static func text(_ address: UnsafePointer<sockaddr_storage>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch Int32(address.pointee.ss_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var addr = a.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
                return String(cString: buffer)
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                var addr = a.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
                let text = String(cString: buffer)
                // An IPv4 sender on a dual-stack socket: show it as IPv4.
                return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
            }
        default:
            return "unknown"
        }
    }
}

extension UDPSocket {
    /// Runs a receiver's `loop` on its own thread until shutdown (``serveOnThread(_:stop:_:)``), then closes
    /// the socket.
    func serve(thread name: String, stop: Box<Atomic<Bool>>, _ loop: @escaping @Sendable () -> Void) async {
        await serveOnThread(name, stop: stop, loop)
        close(fd)
    }
}
