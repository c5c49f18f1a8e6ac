import Foundation
import Synchronization

/// A real HTTP server for webhook tests: `Tests/servers/webhook_server.py` (Python's ThreadingHTTPServer, run
/// by /usr/bin/python3) on 127.0.0.1. It records every request as one JSON file in ``outputDirectory`` and
/// answers the first `failCount` requests with `failStatus`, the rest with `status`.
///
/// ``stop()`` ends it (SIGTERM by pid, SIGKILL after a grace period) and ``start()`` runs it again on the same
/// port with the same output folder. The answer counter starts again from zero on every start. Deinitialising
/// stops it and removes its temporary folder.
package final class WebhookTestServer: Sendable {
    /// The status of requests after the first `failCount`.
    package let status: Int
    /// How many requests (counted from each start) get `failStatus`.
    package let failCount: Int
    /// The status of the first `failCount` requests (503 answers carry `Retry-After: 1`).
    package let failStatus: Int
    /// The response body.
    package let body: String
    /// The TCP port on 127.0.0.1, the same across ``stop()`` and ``start()``.
    package let port: Int
    /// Where the requests are kept, one JSON file each.
    package let outputDirectory: URL
    /// The server's temporary folder (logs and the output folder).
    package let directory: URL

    private let child = Mutex<ChildProcess?>(nil)
    private var stdoutPath: String { directory.appendingPathComponent("webhook.stdout").path }
    /// The server's log (one line per request, and any traceback).
    package var logPath: String { directory.appendingPathComponent("webhook.log").path }

    /// `http://127.0.0.1:PORT` followed by `path`.
    package func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    private init(status: Int, failCount: Int, failStatus: Int, body: String, port: Int, directory: URL) {
        self.status = status
        self.failCount = failCount
        self.failStatus = failStatus
        self.body = body
        self.port = port
        self.directory = directory
        self.outputDirectory = directory.appendingPathComponent("requests", isDirectory: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether this machine can run the server (/usr/bin/python3).
    package static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: TestServers.python) }

    /// Starts a server and waits until it accepts connections.
    /// - Parameters:
    ///   - status: the answer to requests (after the first `failCount`).
    ///   - failCount: how many requests first get `failStatus`.
    ///   - failStatus: e.g. 503 or 500.
    ///   - body: the response body.
    ///   - port: the port on 127.0.0.1; nil: a free one.
    ///   - timeout: how long to wait for it to come up.
    package static func start(
        status: Int = 200, failCount: Int = 0, failStatus: Int = 503, body: String = "ok", port: Int? = nil,
        timeout: TimeInterval = 60
    ) throws -> WebhookTestServer {
        var attempt = 0
        while true {
            attempt += 1
            let chosen = try port ?? TestServers.freePort()
            let server = WebhookTestServer(
                status: status, failCount: failCount, failStatus: failStatus, body: body, port: chosen,
                directory: try TestServers.makeTemporaryDirectory("ecc-webhook"))
            do {
                try FileManager.default.createDirectory(at: server.outputDirectory, withIntermediateDirectories: true)
                try server.start(timeout: timeout)
                return server
            } catch {
                if port != nil || attempt >= 3 { throw error }
            }
        }
    }

    /// Whether the server process is running.
    package var isRunning: Bool { child.withLock { $0.map { !$0.hasExited() } ?? false } }

    /// Starts the server again (after ``stop()``) on the same port with the same output folder; does nothing
    /// when it runs. Waits until it accepts connections, or throws with the tail of its log.
    package func start(timeout: TimeInterval = 60) throws {
        try child.withLock { current in
            if let c = current, !c.hasExited() { return }
            current = nil
            let args = [
                TestServers.scriptsDirectory.appendingPathComponent("webhook_server.py").path,
                "--port", String(port), "--out", outputDirectory.path, "--status", String(status),
                "--fail-count", String(failCount), "--fail-status", String(failStatus), "--body", body,
            ]
            try? FileManager.default.removeItem(atPath: stdoutPath)
            let c = try ChildProcess.spawn(
                TestServers.python, args, stdoutPath: stdoutPath, stderrPath: logPath,
                environment: ["PYTHONUNBUFFERED": "1"])
            var exited = false
            let ready = TestServers.poll(timeout: timeout) {
                if c.hasExited() {
                    exited = true
                    return true
                }
                return TestServers.read(stdoutPath).contains("ready \(port)")
                    && TestServers.acceptsConnections(port: port)
            }
            guard ready, !exited else {
                c.stop(grace: 2)
                let why = exited ? "exited" : "did not accept connections within \(timeout) s"
                throw TestServerError(
                    "the webhook test server (port \(port)) \(why); its log ends:\n" + TestServers.tail(logPath))
            }
            current = c
        }
    }

    /// Stops the server: SIGTERM by pid, SIGKILL after `grace` seconds. Recorded requests stay.
    package func stop(grace: TimeInterval = 10) {
        child.withLock { current in
            current?.stop(grace: grace)
            current = nil
        }
    }

    /// The requests received so far (across restarts), in order of arrival.
    package func requests() -> [ReceivedRequest] {
        TestServers.decodeAll(ReceivedRequest.self, in: outputDirectory)
    }

    /// Waits until at least `count` requests arrived (polling), and returns all of them; returns what there is
    /// when `timeout` seconds pass first.
    package func waitForRequests(count: Int, timeout: TimeInterval = 30) -> [ReceivedRequest] {
        TestServers.waitFor(count: count, timeout: timeout) { requests() }
    }
}

/// A request the webhook test server received, as `webhook_server.py` recorded it.
package struct ReceivedRequest: Decodable, Sendable, Hashable {
    /// The request's number since the server (re)started, from 1.
    package let seq: Int
    /// When it arrived (nanoseconds since the epoch).
    package let receivedAtNanoseconds: Int64
    /// `POST`, `GET`, ...
    package let method: String
    /// The request target: path and query, e.g. `/hook?x=1`.
    package let path: String
    /// The headers in the order sent, names as sent.
    package let headerList: [[String]]
    /// The body as UTF-8 text; nil when it is not valid UTF-8 (see ``bodyData``).
    package let body: String?
    /// The body, base64.
    package let bodyBase64: String
    /// The status the server answered with.
    package let status: Int

    /// The body's bytes.
    package var bodyData: Data { Data(base64Encoded: bodyBase64) ?? Data() }

    /// The first value of a header, its name compared case-insensitively.
    package func header(_ name: String) -> String? {
        headerList.first { $0.first?.lowercased() == name.lowercased() }.flatMap { $0.count > 1 ? $0[1] : nil }
    }

    enum CodingKeys: String, CodingKey {
        case seq, method, path, body, status
        case receivedAtNanoseconds = "received_at_ns"
        case headerList = "headers"
        case bodyBase64 = "body_base64"
    }
}
