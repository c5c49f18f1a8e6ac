import CSQLite
import EccIncidents
import Foundation

/// Online backup through SQLite's backup API: a consistent copy of a live database, taken while eccd
/// keeps writing.
///
/// The copy is read from one snapshot: the source connection holds a read transaction for the whole
/// copy (WAL mode lets the store writer go on committing meanwhile) and copies every page in one
/// `sqlite3_backup_step(-1)`. Stepping a few pages at a time without that snapshot would restart the
/// copy at every commit by another connection — and the store writer commits continually, so a large,
/// busy database would never finish.
package enum Backup {
    /// What a backup file holds.
    package struct Summary: Sendable {
        package var schemaVersion: Int64
        package var alarms: Int64
        package var incidents: Int64
        package var bytes: Int
    }

    /// Copies the database at `source` into `destination` (replaced if it exists), then checks the copy.
    package static func copy(from source: String, to destination: String) throws(StoreError) -> Summary {
        let operation = "back up \(source) to \(destination)"
        try? FileManager.default.removeItem(atPath: destination)
        let src = try Connection(path: source, readOnly: true, create: false)
        // The snapshot the copy is read from: writers keep committing to the WAL, the copy does not see
        // (and is not restarted by) what they commit after this point.
        try src.execute("BEGIN")
        defer { try? src.execute("COMMIT") }
        _ = try src.scalarInt("SELECT count(*) FROM sqlite_master")
        let dst = try Connection(path: destination)
        guard let b = sqlite3_backup_init(dst.db, "main", src.db, "main") else {
            throw dst.error(sqlite3_errcode(dst.db), operation)
        }
        var rc: Int32
        var busy = 0
        repeat {
            rc = sqlite3_backup_step(b, -1)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED {
                busy += 1
                usleep(10_000)
            }
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && busy < 500
        sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE else {
            let why =
                busy >= 500
                ? "the database stayed locked for 5 s (\(String(cString: sqlite3_errstr(rc)))); try again"
                : String(cString: sqlite3_errstr(rc))
            throw StoreError(code: rc, message: why, operation: operation)
        }
        // The copy is a standalone file: no WAL beside it.
        try dst.execute("PRAGMA journal_mode=DELETE")
        return try check(dst)
    }

    /// Opens a backup file read-only and checks it: integrity, schema version, what it holds.
    package static func verify(_ path: String) throws(StoreError) -> Summary {
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
