import EccClient
import EccDaemon
import EccStore
import Foundation
import Testing

/// eccd refusing a database it must not run on: a clear error at start, the file left as it was.
@Suite("Start on a bad database", .serialized)
struct StartupTests {
    /// A real eccd database in `dir/var/ecc.db`, written by a daemon that then stopped (everything
    /// checkpointed into the main file).
    static func makeDatabase(_ dir: String) async throws -> String {
        let d = try await TestDaemon(dir: dir)
        for i in 0..<20 {
            _ = try await d.post(#"{"source":"t","host":"sw\#(i)","type":"linkDown","attributes":{"ifIndex":1}}"#)
        }
        try await d.eventually { try await d.incidents().count == 20 }
        try await d.stop()
        return dir + "/var/ecc.db"
    }

    /// The message eccd refuses to start with, or nil (and a recorded issue) when it started.
    static func startupError(_ dir: String) async throws -> String? {
        do {
            let d = try await TestDaemon(dir: dir)
            Issue.record("eccd started")
            try await d.stop()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("an eccd database that fails quick_check is refused with a clear error and not overwritten")
    func corruptDatabase() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try await Self.makeDatabase(dir)
        // Garbage over the alarms table's root page: the schema still reads, the table does not.
        let (root, pageSize): (Int64, Int64) = try {
            let c = try Connection(path: path)
            return (
                try #require(try c.scalarInt("SELECT rootpage FROM sqlite_master WHERE name = 'alarms'")),
                try #require(try c.scalarInt("PRAGMA page_size"))
            )
        }()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let file = try #require(FileHandle(forWritingAtPath: path))
        try file.seek(toOffset: UInt64((root - 1) * pageSize))
        file.write(Data(repeating: 0xFF, count: Int(pageSize)))
        try file.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let message = try #require(try await Self.startupError(dir))
        #expect(message.hasPrefix("store: open \(path): integrity check failed"), "\(message)")
        #expect(message.contains("not a usable eccd database and was not modified"), "\(message)")
        #expect(message.contains("restore it from a backup"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test(
        "a read-only database file is refused at start with a clear error",
        .enabled(if: getuid() != 0, "root writes read-only files anyway; run the tests as another user"))
    func readOnlyDatabase() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try await Self.makeDatabase(dir)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let message = try #require(try await Self.startupError(dir))
        #expect(message.hasPrefix("store: open \(path): the database file is read-only for eccd"), "\(message)")
        #expect(message.contains("writable by the user eccd runs as"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
