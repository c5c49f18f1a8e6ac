#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client that writes raw bytes (JSON lines) to eccd's collector; for tests and benchmarks.
package final class LineSender {
    private let fd: Int32

    /// Connects to an IPv4 `host:port`; `receiveBuffer` asks the kernel for a receive buffer that small
    /// (tests of a peer that stops reading).
    package init(host: String, port: Int, receiveBuffer: Int32? = nil) throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw CLIError("socket: errno \(errno)") }
        if var size = receiveBuffer {
            _ = setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(s)
            throw CLIError("not an IPv4 address: \(host)")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(s)
            throw CLIError("cannot connect to \(host):\(port): errno \(errno)")
        }
        fd = s
    }

    deinit { close(fd) }

    /// Writes all bytes (blocking).
    package func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CLIError("write: errno \(errno)")
                }
                offset += n
            }
        }
    }

    /// Reads what the peer sends until it closes the connection or `seconds` pass; `closed` says which.
    package func readUntilClosed(seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&p, 1, ms) > 0 else { continue }
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return (out, true) }
            out += buf[..<n]
        }
        return (out, false)
    }

    /// Closes the write side and waits until the peer closes (all data read by eccd).
    package func finish() {
        shutdown(fd, Int32(SHUT_WR))
        var buf = [UInt8](repeating: 0, count: 256)
        while read(fd, &buf, buf.count) > 0 {}
    }
}
