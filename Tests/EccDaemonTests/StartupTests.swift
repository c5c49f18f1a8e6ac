import EccClient
import EccCore
import EccDaemon
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

/// eccd refusing a database it must not run on: a clear error at start, the file left as it was.
@Suite("Start on a bad database", .serialized)
struct StartupTests {
    /// A real eccd database in `dir/var/ecc.db`: the store eccd opens, with 20 alarms and their incidents,
    /// every connection to it closed. (Not written by an in-process daemon: connections it may keep open
    /// after stopping would let SQLite reuse their file descriptors, which hides a changed file mode.)
    static func makeDatabase(_ dir: String) throws -> String {
        let path = dir + "/var/ecc.db"
        let store = try AlarmStore(path: path)
        var batch = ChangeBatch()
        for i in 1...20 {
            let a = Alarm(
                id: UInt64(i), rule: "interface-down", key: "sw\(i)/1", severity: .major,
                summary: "Interface 1 down on sw\(i)", source: "t", host: "sw\(i)", type: "linkDown",
                firstSeen: testEpoch, lastSeen: testEpoch)
            batch.append(AlarmChange(kind: .raised, alarm: a, at: testEpoch))
        }
        try store.apply(batch)
        try store.checkpoint()
        return path
    }

    /// The size of the database's WAL file (0 when there is none).
    static func walBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
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
        let path = try Self.makeDatabase(dir)
        // Garbage over the alarms table's root page: the schema still reads, the table does not.
        let (root, pageSize): (Int64, Int64) = try {
            let c = try Connection(path: path)
            return (
                try #require(try c.scalarInt("SELECT rootpage FROM sqlite_master WHERE name = 'alarms'")),
                try #require(try c.scalarInt("PRAGMA page_size"))
            )
        }()
        #expect(Self.walBytes(path) == 0)
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
        #expect(Self.walBytes(path) == 0, "nothing waits in a WAL to be written to the file either")
    }

    @Test(
        "a read-only database file is refused at start with a clear error",
        .enabled(if: getuid() != 0, "root writes read-only files anyway; run the tests as another user"))
    func readOnlyDatabase() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.makeDatabase(dir)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let message = try #require(try await Self.startupError(dir))
        #expect(message.hasPrefix("store: open \(path): the database file is read-only for eccd"), "\(message)")
        #expect(message.contains("writable by the user eccd runs as"), "\(message)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}

@Suite("One eccd per database", .serialized)
struct DatabaseLockTests {
    @Test("a second eccd on the same database is refused at once, naming the first one's pid; after a stop it may")
    func secondDaemonRefused() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await TestDaemon(dir: dir)
        do {
            _ = try await TestDaemon(dir: dir)
            Issue.record("a second eccd started on the same database")
        } catch {
            #expect("\(error)".contains("is in use by another eccd (pid \(getpid())"), "\(error)")
        }
        try await first.stop()
        let again = try await TestDaemon(dir: dir)
        try await again.stop()
    }
}
