import EccClient
import EccConfig
import EccCore
import EccDaemon
import Foundation
import Logging
import Synchronization
import Testing

/// A whole eccd in-process on ephemeral ports, with its own rules and database in a temp directory.
final class TestDaemon: Sendable {
    let dir: String
    let daemon: Daemon
    let task: Task<Void, any Error>
    let client: DaemonClient
    let tcpPort: Int

    static func makeDir(rules: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-daemon-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        try rules.write(toFile: dir + "/rules/test.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    /// Starts a daemon on `dir` (rules in dir/rules, database dir/var/ecc.db).
    init(
        dir: String, busCapacity: Int = 65_536, clock: (any EccCore.Clock)? = nil,
        configure: (inout DaemonConfig) throws -> Void = { _ in }
    ) async throws {
        self.dir = dir
        var config = DaemonConfig()
        config.database.path = dir + "/var/ecc.db"
        config.rulePaths = [dir + "/rules"]
        config.http.port = 0
        config.tcp.port = 0
        config.snmp.port = 0
        config.syslog.port = 0
        config.busCapacity = busCapacity
        try configure(&config)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let d =
            try clock.map { try Daemon(config: config, logger: logger, clock: $0) }
            ?? Daemon(config: config, logger: logger)
        daemon = d
        task = Task { try await d.run(handleSignals: false) }
        let deadline = ContinuousClock.now + .seconds(20)
        while d.httpPort == nil || d.tcpPort == nil {
            guard ContinuousClock.now < deadline else { throw CLIError("daemon did not start listening") }
            try await Task.sleep(for: .milliseconds(10))
        }
        client = try DaemonClient(server: "http://127.0.0.1:\(d.httpPort ?? 0)")
        tcpPort = d.tcpPort ?? 0
    }

    /// A test that fails before its `stop()` must not leave its daemon running for the rest of the suite
    /// (retrying notifications, holding ports): the daemon shuts down when the test lets go of it.
    deinit {
        let d = daemon
        Task { await d.shutdown() }
    }

    /// Graceful shutdown, as SIGTERM; returns when the daemon has exited.
    func stop() async throws {
        await daemon.shutdown()
        try await task.value
    }

    func removeFiles() { try? FileManager.default.removeItem(atPath: dir) }

    /// GET returning parsed JSON.
    func getJSON(_ path: String) async throws -> Any {
        let (status, body) = try await client.request(.GET, path)
        #expect(status == 200)
        return try JSONSerialization.jsonObject(with: Data(body))
    }

    /// POSTs events; returns status and parsed body.
    func post(_ json: String) async throws -> (Int, [String: Any]) {
        let (status, body) = try await client.request(.POST, "/v1/events", body: Array(json.utf8))
        return (status, (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:])
    }

    /// POSTs an incident action; returns status and parsed body.
    func act(_ id: Any, _ action: String, _ fields: [String: Any]) async throws -> (Int, [String: Any]) {
        let body = try JSONSerialization.data(withJSONObject: fields)
        let (status, answer) = try await client.request(.POST, "/v1/incidents/\(id)/\(action)", body: Array(body))
        return (status, (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]) ?? [:])
    }

    func incidents() async throws -> [[String: Any]] {
        (try await getJSON("/v1/incidents") as? [[String: Any]]) ?? []
    }

    func status() async throws -> [String: Any] {
        (try await getJSON("/v1/status") as? [String: Any]) ?? [:]
    }

    /// Waits until `condition` holds (polling), or fails after `seconds`.
    func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(seconds)s")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Collects live stream lines in the background.
final class StreamTap: Sendable {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }

    let lines = Lines()
    let task: Task<Void, Never>

    init(_ client: DaemonClient, query: String = "") {
        let lines = self.lines
        task = Task {
            var pending: [UInt8] = []
            _ = try? await client.stream(.GET, "/v1/stream" + query) { _, chunk in
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<nl], as: UTF8.self)
                    pending.removeSubrange(...nl)
                    if line.hasPrefix("data: ") { lines.value.withLock { $0.append(String(line.dropFirst(6))) } }
                }
            }
        }
    }

    var changes: [[String: Any]] {
        lines.value.withLock { $0 }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

/// Runs blocking work (a child process, a blocking socket read) on a thread of its own: a test that blocks
/// one of the few cooperative threads (two on a 2-core machine) starves the async work of every daemon the
/// suite runs beside it.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread { c.resume(with: Result { try body() }) }.start()
    }
}
