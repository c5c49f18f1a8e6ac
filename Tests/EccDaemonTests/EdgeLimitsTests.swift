import EccClient
import EccConfig
import EccDaemon
import EccRules
import EccYAML
import Foundation
import Testing

/// Everything a stranger controls has a limit that is counted and leaves eccd serving: each test exceeds
/// one limit against a whole daemon and checks the refusal, its metric, and that eccd still answers.
@Suite("Limits at the edge", .serialized)
struct EdgeLimitsTests {
    func metric(_ d: TestDaemon, _ line: String) async throws -> Int {
        let text = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        for l in text.split(separator: "\n") where l.hasPrefix(line + " ") {
            return Int(Double(l.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    func refused(_ collector: String, _ reason: String) -> String {
        #"ecc_input_refused_total{collector="\#(collector)",reason="\#(reason)"}"#
    }

    @Test("the review's crash inputs are 400s with the reason, counted, and eccd keeps serving")
    func crashInputs() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let attrs = (0..<60_000).map { #""a\#($0)":1"# }.joined(separator: ",")
        let cases: [(String, String)] = [
            (#"{"source":"a","host":"b","type":"c","time":1e10}"#, "time_range"),
            (#"{"source":"a","host":"b","type":"c","time":1795600800123.456e9}"#, "time_range"),
            (#"{"source":"a","host":"b","type":"c","time":"9999-12-31T00:00:00Z"}"#, "time_range"),
            (#"{"source":"a","host":"b","type":"c","time":"2026-02-31T00:00:00Z"}"#, "time_range"),
            (#"{"source":"a","host":"b","type":"c","receivedAt":\#(deep)}"#, "json_depth"),
            (#"{"source":"a","host":"b","type":"c","attributes":{\#(attrs)}}"#, "attributes"),
        ]
        for (body, reason) in cases {
            let (status, answer) = try await d.post(body)
            #expect(status == 400, "\(reason)")
            #expect((answer["error"] as? String)?.isEmpty == false)
            #expect(try await metric(d, refused("http", reason)) >= 1, "\(reason)")
        }
        // Python's time.time()*1000 is milliseconds, recognised.
        #expect(try await d.post(#"{"source":"a","host":"b","type":"flood","time":1795600800123.456}"#).0 == 202)
        #expect(try await d.status()["version"] != nil)
        try await d.stop()
    }

    @Test("a change window ending 9999-12-31 is a 400 naming the range, not a crash")
    func changeEndOutOfRange() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let body = try JSONSerialization.data(withJSONObject: [
            "actor": "alice", "title": "forever", "start": "2026-12-01T00:00:00Z", "end": "9999-12-31T00:00:00Z",
            "cis": ["sw1"],
        ])
        let (status, answer) = try await d.client.request(.POST, "/v1/changes", body: Array(body))
        #expect(status == 400)
        #expect(String(decoding: answer, as: UTF8.self).contains("outside the times eccd represents"))
        #expect(try await d.status()["version"] != nil)
        try await d.stop()
    }

    @Test("a declared body over the limit gets 413 before any of it is sent")
    func earlyContentTooLarge() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.http.maxBodyBytes = 1024 }
        let port = d.daemon.httpPort ?? 0
        let (answer, closed) = try await offPool {
            let c = try LineSender(host: "127.0.0.1", port: port)
            try c.send(Array("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n".utf8))
            return c.readUntilClosed(seconds: 10)
        }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 413"))
        #expect(closed)
        #expect(try await metric(d, refused("http", "body_size")) == 1)
        try await d.stop()
    }

    @Test("a body that does not arrive whole within the body timeout is cut off, even a trickle")
    func slowBody() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.limits.httpBodyTimeout = .seconds(1) }
        let c = try LineSender(host: "127.0.0.1", port: d.daemon.httpPort ?? 0)
        try c.send(Array("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"source\"".utf8))
        // A byte every 300 ms: never idle, never whole.
        var closed = false
        for _ in 0..<40 where !closed {
            try? c.send([0x20])
            closed = c.readUntilClosed(seconds: 0.3).closed
        }
        #expect(closed)
        #expect(try await metric(d, refused("http", "idle_timeout")) >= 1)
        #expect(try await d.post(#"{"source":"a","type":"flood"}"#).0 == 202)
        try await d.stop()
    }

    @Test("HTTP: a half-sent request head is closed after the idle timeout")
    func httpIdle() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.limits.httpIdleTimeout = .seconds(1) }
        let slow = try LineSender(host: "127.0.0.1", port: d.daemon.httpPort ?? 0)
        try slow.send(Array("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        #expect(slow.readUntilClosed(seconds: 30).closed)
        #expect(try await metric(d, refused("http", "idle_timeout")) >= 1)
        try await d.stop()
    }

    @Test("HTTP: connections past the cap are refused, and taken again once one closes")
    func httpCap() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.limits.httpMaxConnections = 3 }
        let port = d.daemon.httpPort ?? 0
        var held = try (0..<3).map { _ in try LineSender(host: "127.0.0.1", port: port) }
        // The three are admitted (answered) before the fourth comes.
        for c in held {
            try c.send(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            var answer: [UInt8] = []
            while !String(decoding: answer, as: UTF8.self).contains("ok") {
                let (bytes, closed) = c.readUntilClosed(seconds: 0.2)
                answer += bytes
                if closed { break }
            }
        }
        let over = try LineSender(host: "127.0.0.1", port: port)
        try? over.send(Array("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(over.readUntilClosed(seconds: 30) == ([], true))
        held.removeAll()  // the client closes them
        try await d.eventually(30) { (try? await d.client.request(.GET, "/v1/status").0) == 200 }
        #expect(try await metric(d, refused("http", "connections")) >= 1)
        try await d.stop()
    }

    @Test("the live stream: subscribers past the cap get 503; one that falls behind is ended and counted")
    func streamCapAndOverrun() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            $0.limits.streamMaxSubscribers = 1
            $0.limits.streamBacklog = 16
        }
        // A subscriber that never reads: the kernel's buffers fill, then its backlog.
        let stuck = try LineSender(host: "127.0.0.1", port: d.daemon.httpPort ?? 0, receiveBuffer: 4096)
        try stuck.send(Array("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        try await d.eventually { d.daemon.streamSubscribers == 1 }
        let (status, _) = try await d.client.request(.GET, "/v1/stream")
        #expect(status == 503)
        #expect(try await metric(d, refused("http", "subscribers")) == 1)
        // About 10 MB of alarm changes (long host names are in the key, the host and the summary): more than
        // the kernel's socket buffers hold, and then more than 16 unread when the next transaction comes.
        let long = String(repeating: "x", count: 300)
        for batch in 0..<20 {
            let events = (0..<500).map { #"{"source":"t","host":"h\#(batch)-\#($0)-\#(long)","type":"flood"}"# }
            #expect(try await d.post("[" + events.joined(separator: ",") + "]").0 == 202)
        }
        // A client that keeps up gets a transaction whole however large, so the overrun comes with a later
        // transaction: one more change at a time until it does.
        var more = 0
        try await d.eventually(30) {
            more += 1
            _ = try await d.post(#"{"source":"t","host":"more-\#(more)","type":"flood"}"#)
            return try await metric(d, "ecc_stream_overruns_total") >= 1
        }
        try await d.eventually { d.daemon.streamSubscribers == 0 }
        // Counted when it happened, although the handler is still blocked writing to the stuck client.
        #expect(try await metric(d, refused("http", "slow_subscriber")) >= 1)
        withExtendedLifetime(stuck) {}
        try await d.stop()
    }

    @Test("a stream client that stops reading is cut off after the idle timeout, its memory freed")
    func stalledStreamReader() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) {
            // Long enough that a loaded machine's own gaps between connecting and sending are not idle.
            $0.limits.httpIdleTimeout = .seconds(3)
            $0.limits.streamBacklog = 100_000  // no overrun: the socket must fill
        }
        let stuck = try LineSender(host: "127.0.0.1", port: d.daemon.httpPort ?? 0, receiveBuffer: 4096)
        try stuck.send(Array("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        try await d.eventually { d.daemon.streamSubscribers == 1 }
        // About 15 MB of alarm changes: more than the kernel's socket buffers hold.
        for batch in 0..<30 {
            let events = (0..<1000).map {
                #"{"source":"t","host":"h\#(batch)-\#($0)","type":"flood","summary":"\#(String(repeating: "x", count: 200))"}"#
            }
            let client = try DaemonClient(server: "http://127.0.0.1:\(d.daemon.httpPort ?? 0)")
            let body = Array(("[" + events.joined(separator: ",") + "]").utf8)
            #expect(try await client.request(.POST, "/v1/events", body: body).0 == 202)
        }
        try await d.eventually(60) { try await metric(d, refused("http", "idle_timeout")) >= 1 }
        try await d.eventually(30) { d.daemon.streamSubscribers == 0 }
        withExtendedLifetime(stuck) {}
        try await d.stop()
    }

    @Test("TCP: connections past the cap are closed and counted; room again once one goes")
    func tcpCap() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.limits.tcpMaxConnections = 2 }
        var held = [
            try LineSender(host: "127.0.0.1", port: d.tcpPort), try LineSender(host: "127.0.0.1", port: d.tcpPort),
        ]
        for (i, c) in held.enumerated() {
            try c.send(Array(#"{"source":"t","host":"held\#(i)","type":"flood"}"#.utf8) + [0x0A])
        }
        try await d.eventually(30) { try await accepted(d) == 2 }  // both admitted
        let over = try LineSender(host: "127.0.0.1", port: d.tcpPort)
        #expect(over.readUntilClosed(seconds: 30).closed)
        #expect(try await metric(d, refused("tcp", "connections")) >= 1)
        held.removeAll()
        try await d.eventually(30) {
            guard let c = try? LineSender(host: "127.0.0.1", port: d.tcpPort) else { return false }
            try c.send(Array(#"{"source":"t","host":"again","type":"flood"}"#.utf8) + [0x0A])
            c.finish()
            return try await accepted(d) >= 3
        }
        try await d.stop()
    }

    @Test("TCP: a silent connection is closed after the idle timeout; the lines it sent before are kept")
    func tcpIdle() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir) { $0.limits.tcpIdleTimeout = .seconds(1) }
        let a = try LineSender(host: "127.0.0.1", port: d.tcpPort)
        try a.send(Array(#"{"source":"t","host":"idle","type":"flood"}"#.utf8) + [0x0A] + Array(#"{"sou"#.utf8))
        #expect(a.readUntilClosed(seconds: 30).closed)
        #expect(try await metric(d, refused("tcp", "idle_timeout")) >= 1)
        try await d.eventually(30) { try await accepted(d) == 1 }
        try await d.stop()
    }

    func accepted(_ d: TestDaemon) async throws -> Int {
        ((try await d.status()["collectors"] as? [String: Any])?["tcp"] as? [String: Any])?["accepted"] as? Int ?? 0
    }
}
