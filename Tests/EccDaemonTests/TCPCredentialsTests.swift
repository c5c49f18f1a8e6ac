import EccAuth
import EccClient
import EccConfig
import EccDaemon
import EccIncidents
import EccTestSupport
import Foundation
import Synchronization
import Testing

/// The JSON-lines TCP collector under credentials: TLS (a certificate made by the real `openssl`, the
/// client side `openssl s_client`) and a token per connection from the API's tokens file.
@Suite(
    "TCP collector credentials",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"), .serialized)
struct TCPCredentialsTests {
    /// A rule that shows each event's sender in its alarm's summary.
    static let rules = """
        - rule: from
          when: {type: ping}
          key: "{host}"
          alarm: {severity: minor, summary: "ping from {sender}"}
        """

    func metric(_ t: TokenedDaemon, _ reason: String) async throws -> Int {
        let c = try t.client(t.tokens[.viewer])
        let text = String(decoding: try await c.request(.GET, "/metrics").body, as: UTF8.self)
        let name = #"ecc_input_refused_total{collector="tcp",reason="\#(reason)"} "#
        for l in text.split(separator: "\n") where l.hasPrefix(name) {
            return Int(Double(l.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    func summaries(_ t: TokenedDaemon) async throws -> [String: String] {
        let (_, body) = try await t.client(t.tokens[.viewer]).request(.GET, "/v1/alarms")
        let alarms = (try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]]) ?? []
        var out: [String: String] = [:]
        for a in alarms { out[a["host"] as? String ?? ""] = a["summary"] as? String }
        return out
    }

    /// One plain connection: sends `text`, returns what eccd answered and whether it closed within `wait`.
    /// Sends `text` on a new connection and reads until eccd closes it or `wait` seconds pass (off the
    /// cooperative pool: the read blocks). A refusal returns as soon as eccd closes; the wait is long so a
    /// timer late on a loaded machine (the auth timeout) is not taken for a connection left open.
    func exchange(_ port: Int, _ text: String, wait: Double = 10) async throws -> (answer: String, closed: Bool) {
        try await offPool {
            let s = try LineSender(host: "127.0.0.1", port: port)
            if !text.isEmpty { try s.send(Array(text.utf8)) }
            let (bytes, closed) = s.readUntilClosed(seconds: wait)
            return (String(decoding: bytes, as: UTF8.self), closed)
        }
    }

    @Test("off loopback the collector needs tcp.tls and http.tokens_file; the error names what is missing")
    func listenPolicy() throws {
        func problem(_ yaml: String) -> String? {
            do {
                _ = try DaemonConfig.parse(yaml, file: "c.yaml")
                return nil
            } catch { return error.description }
        }
        let bare = problem("tcp:\n  listen: 0.0.0.0:8471\n")
        #expect(bare?.hasPrefix("c.yaml:2:11: tcp.listen 0.0.0.0:8471 is off loopback") == true)
        #expect(bare?.contains("tcp.tls (cert_file, key_file) and http.tokens_file") == true)
        let tlsOnly = problem("tcp:\n  listen: 0.0.0.0:8471\n  tls: {cert_file: /c.pem, key_file: /k.pem}\n")
        #expect(tlsOnly?.contains("but http.tokens_file (eccctl token create) is not set") == true)
        let tokensOnly = problem("http: {tokens_file: /t}\ntcp:\n  listen: 0.0.0.0:8471\n")
        #expect(tokensOnly?.contains("but tcp.tls (cert_file, key_file) is not set") == true)
        let both =
            "http: {tokens_file: /t}\ntcp:\n  listen: 0.0.0.0:8471\n  tls: {cert_file: /c.pem, key_file: /k.pem}\n"
        #expect(problem(both) == nil)
        #expect(try DaemonConfig.parse(both, file: "c.yaml").tcp.tls == .init(certFile: "/c.pem", keyFile: "/k.pem"))
        // Off loopback but turned off, or on any loopback spelling: accepted without either.
        #expect(problem("tcp:\n  enabled: false\n  listen: 0.0.0.0:8471\n") == nil)
        #expect(problem("tcp:\n  listen: \"[::1]:8471\"\n") == nil)
        #expect(problem("tcp:\n  listen: 127.0.0.2:8471\n") == nil)
        #expect(problem("tcp: {auth_timeout: 0s}\n")?.contains("tcp.auth_timeout must be from 1s to 1h") == true)
        #expect(problem("tcp: {tls: {cert_file: /c.pem}}\n")?.contains("tcp.tls needs cert_file and key_file") == true)
        var config = DaemonConfig()
        config.tcp.host = "0.0.0.0"
        #expect(config.tcpListenProblem != nil)
    }

    @Test("with tokens: the first line authenticates an operator; the rest is refused, answered, counted, closed")
    func tokens() async throws {
        let t = try await TokenedDaemon(rules: Self.rules) { $0.limits.tcpAuthTimeout = .seconds(1) }
        defer { t.d.removeFiles() }
        let port = t.d.tcpPort
        let event = #"{"source":"t","host":"h1","type":"ping","attributes":{"sender":"mallory"}}"#

        // An operator: answered, and its events carry its principal as sender, whatever they claim.
        let ok = try await exchange(port, #"{"auth":"\#(t.named["alice"] ?? "")"}"# + "\n" + event + "\n", wait: 1)
        #expect(ok.answer == #"{"auth":"ok","principal":"alice"}"# + "\n")
        #expect(!ok.closed)
        try await t.d.eventually { try await summaries(t)["h1"] == "ping from alice" }

        // An event first, a viewer, an unknown token, silence, an endless first line: refused and closed, and
        // the events sent after the refusal are not read.
        let refusals: [(String, String)] = [
            (event.replacingOccurrences(of: "h1", with: "h2") + "\n", "authenticate first"),
            (
                #"{"auth":"\#(t.tokens[.viewer] ?? "")"}"# + "\n" + event.replacingOccurrences(of: "h1", with: "h3")
                    + "\n",
                "view is a viewer: sending events needs operator or admin"
            ),
            (
                #"{"auth":"not-a-token"}"# + "\n" + event.replacingOccurrences(of: "h1", with: "h4") + "\n",
                "unknown token"
            ),
            ("", "no {\\\"auth\\\":\\\"TOKEN\\\"} line within 1.0 seconds"),
            (String(repeating: "x", count: 5000), "not more than 4096 bytes"),
        ]
        for (sent, why) in refusals {
            let r = try await exchange(port, sent)
            #expect(r.closed, "\(why)")
            #expect(r.answer.hasPrefix(#"{"error":"#) && r.answer.contains(why), "\(r.answer)")
        }
        // An event as the last, unterminated line of a connection that never authenticated: refused at close.
        let last = try LineSender(host: "127.0.0.1", port: port)
        try last.send(Array(event.replacingOccurrences(of: "h1", with: "h5").utf8))
        last.finish()
        #expect(try await metric(t, "credentials") == refusals.count + 1)

        // An admin, with a blank line and CRLF before its auth line: accepted. Its event comes after every
        // refused one, so once it is an alarm the refused ones would have been too.
        let admin = "\r\n" + #"{"auth":"\#(t.named["carol"] ?? "")"}"# + "\r\n"
        let marker = try await exchange(
            port, admin + event.replacingOccurrences(of: "h1", with: "marker") + "\n", wait: 1)
        #expect(marker.answer == #"{"auth":"ok","principal":"carol"}"# + "\n")
        try await t.d.eventually { try await summaries(t)["marker"] == "ping from carol" }
        let hosts = try await summaries(t)
        #expect(["h2", "h3", "h4", "h5"].allSatisfy { hosts[$0] == nil }, "\(hosts)")

        // A token removed from the file (and SIGHUP's reload) stops new connections.
        let lines = try String(contentsOfFile: t.tokensFile, encoding: .utf8).split(separator: "\n")
        try (lines.filter { !$0.contains(" alice ") }.joined(separator: "\n") + "\n")
            .write(toFile: t.tokensFile, atomically: false, encoding: .utf8)
        #expect(t.d.daemon.reloadCredentials())
        let gone = try await exchange(port, #"{"auth":"\#(t.named["alice"] ?? "")"}"# + "\n")
        #expect(gone.closed && gone.answer.contains("unknown token"))
        try await t.d.stop()
    }

    @Test("TLS: openssl s_client authenticates and sends; plain text and a distrusting client are counted as tls")
    func tls() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        let cert = try makeCertificate(in: dir, name: "tcp", commonName: "eccd tcp")
        let other = try makeCertificate(in: dir, name: "other", commonName: "someone else")
        let t = try await TokenedDaemon(rules: Self.rules, dir: dir) {
            $0.tcp.tls = .init(certFile: cert.cert, keyFile: cert.key)
            $0.limits.tcpAuthTimeout = .seconds(1)
        }
        defer { t.d.removeFiles() }
        let port = t.d.tcpPort
        let token = t.named["bob"] ?? ""
        // A connection that never starts its handshake is closed at the auth timeout, not the idle timeout.
        let stalled = try LineSender(host: "127.0.0.1", port: port)
        #expect(stalled.readUntilClosed(seconds: 30).closed)
        #expect(try await metric(t, "credentials") == 1)
        let ok = try await sClient(
            port: port, caFile: cert.cert,
            input: #"{"auth":"\#(token)"}"# + "\n" + #"{"source":"t","host":"tls1","type":"ping"}"# + "\n")
        #expect(ok.output.contains(#"{"auth":"ok","principal":"bob"}"#))
        try await t.d.eventually { try await summaries(t)["tls1"] == "ping from bob" }

        // Plain text to the TLS port: nothing is read as an event.
        _ = try await exchange(
            port, #"{"auth":"\#(token)"}"# + "\n" + #"{"source":"t","host":"plain","type":"ping"}"# + "\n")
        // A client that trusts another certificate gives up during the handshake.
        let distrust = try await sClient(port: port, caFile: other.cert, input: #"{"auth":"\#(token)"}"# + "\n")
        #expect(!distrust.output.contains("auth"))
        #expect(distrust.status != 0)
        // A port scan (connect, close) is an ordinary close; the killed s_client above closed without
        // close_notify, an ordinary close too.
        try LineSender(host: "127.0.0.1", port: port).finish()
        try await t.d.eventually { try await metric(t, "tls") >= 2 }
        #expect(try await metric(t, "tls") == 2)
        #expect(try await summaries(t)["plain"] == nil)
        try await t.d.stop()
    }

    /// `openssl s_client` to 127.0.0.1:port verifying eccd against `caFile`: writes `input`, waits up to 3 s for
    /// eccd's answer (or for the client to give up), then ends the session.
    /// (`-quiet` implies `-ign_eof`: the end of the input file does not end the session.)
    func sClient(port: Int, caFile: String, input: String) async throws -> (output: String, status: Int32) {
        try await offPool {
            let dir = try TestServers.makeTemporaryDirectory("ecc-s-client")
            defer { try? FileManager.default.removeItem(at: dir) }
            let (inPath, outPath) = (dir.path + "/in", dir.path + "/out")
            try input.write(toFile: inPath, atomically: true, encoding: .utf8)
            let p = try ChildProcess.spawn(
                "/usr/bin/openssl",
                ["s_client", "-quiet", "-verify_return_error", "-CAfile", caFile, "-connect", "127.0.0.1:\(port)"],
                stdinPath: inPath, stdoutPath: outPath, stderrPath: "/dev/null")
            let output = { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline && !output().contains("\n") {
                if let status = p.exitStatus() { return (output(), status) }
                usleep(50_000)
            }
            p.signal(SIGKILL)
            return (output(), try p.wait(timeout: 10).status)
        }
    }
}
