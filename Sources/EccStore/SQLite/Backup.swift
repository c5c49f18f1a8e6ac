import CSQLite
import Foundation

/// Online backup through SQLite's backup API: a consistent copy of a live database, taken while eccd
/// keeps writing (pages are copied in steps; a write in between restarts the copy of what changed).
public enum Backup {
    /// What a backup file holds.
    public struct Summary: Sendable {
        public var schemaVersion: Int64
        public var alarms: Int64
        public var incidents: Int64
        public var bytes: Int
    }

    /// Copies the database at `source` into `destination` (replaced if it exists), then checks the copy.
    public static func copy(from source: String, to destination: String) throws(StoreError) -> Summary {
        try? FileManager.default.removeItem(atPath: destination)
        let src = try Connection(path: source, readOnly: true, create: false)
        let dst = try Connection(path: destination)
        guard let b = sqlite3_backup_init(dst.db, "main", src.db, "main") else {
            throw dst.error(sqlite3_errcode(dst.db), "backup \(source) to \(destination)")
        }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(b, 4096)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { usleep(10_000) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE else {
            throw StoreError(
                code: rc, message: String(cString: sqlite3_errstr(rc)), operation: "backup \(source) to \(destination)")
        }
        // The copy is a standalone file: no WAL beside it.
        try dst.execute("PRAGMA journal_mode=DELETE")
        return try check(dst)
    }

    /// Opens a backup file read-only and checks it: integrity, schema version, what it holds.
    public static func verify(_ path: String) throws(StoreError) -> Summary {
        try check(try Connection(path: path, readOnly: true, create: false))
    }

    private static func check(_ c: Connection) throws(StoreError) -> Summary {
        let result = try c.scalarText("PRAGMA integrity_check") ?? "?"
        guard result == "ok" else {
            throw StoreError(code: 11, message: "integrity check failed: \(result)", operation: "check \(c.path)")
        }
        let version = try c.scalarInt("PRAGMA user_version") ?? 0
        let attrs = try? FileManager.default.attributesOfItem(atPath: c.path)
        return Summary(
            schemaVersion: version, alarms: try c.scalarInt("SELECT count(*) FROM alarms") ?? 0,
            incidents: try c.scalarInt("SELECT count(*) FROM incidents") ?? 0, bytes: (attrs?[.size] as? Int) ?? 0)
    }
}
