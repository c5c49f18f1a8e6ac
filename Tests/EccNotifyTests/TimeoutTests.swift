import Foundation
import Testing

@testable import EccNotify

/// A server that accepts TCP connections (the kernel's backlog) but never says anything: timeouts.
@Suite("Timeouts against a silent server")
struct TimeoutTests {
    func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { try Test.cancel("no socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { try Test.cancel("cannot listen") }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    @Test("a server that never answers times out as temporary; no recipients or a non-SMTP URL is permanent")
    func silentServersTimeOutAsTemporary() throws {
        let (fd, port) = try silentListener()
        defer { close(fd) }
        let smtp = SMTPTransport(
            url: "smtp://127.0.0.1:\(port)", tls: .none, connectTimeout: 1_000_000_000, timeout: 1_000_000_000)
        let r = smtp.send(from: "a@b.c", recipients: ["x@y.z"], message: Array("Subject: x\r\n\r\nx\r\n".utf8))
        guard case .temporary(let why) = r else {
            Issue.record("\(r)")
            return
        }
        #expect(why.contains("curl error 28"), "\(why)")
        let http = HTTPTransport(connectTimeout: 1_000_000_000, timeout: 1_000_000_000)
        let h = HTTPTransport.classify(http.request(method: "POST", url: "http://127.0.0.1:\(port)/", body: [1]))
        guard case .temporary(let hw) = h else {
            Issue.record("\(h)")
            return
        }
        #expect(hw.contains("curl error 28"), "\(hw)")
        let bad = smtp.send(from: "a@b.c", recipients: [], message: [])
        guard case .permanent = bad else {
            Issue.record("\(bad)")
            return
        }
        let malformed = SMTPTransport(url: "http://127.0.0.1:\(port)").send(
            from: "a@b.c", recipients: ["x@y"], message: [])
        guard case .permanent = malformed else {
            Issue.record("\(malformed)")
            return
        }
    }
}
