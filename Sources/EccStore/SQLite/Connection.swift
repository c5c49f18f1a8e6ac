import CSQLite
import EccIncidents

/// SQL text composed once and kept for the life of the process (a `static let`): ``Connection/cached(_:)``
/// finds its statement by the object's identity.
package final class SQL: Sendable {
    package let text: String
    package init(_ text: String) { self.text = text }
}

/// A SQLite connection through the system libsqlite3. Confined to one thread at a time.
package final class Connection {
    let db: OpaquePointer
    /// The file this connection opened.
    package let path: String

    /// Bytes of heap SQLite holds in this process, every connection together (page caches, statements):
    /// bounded by the connections' `cache_size`.
    package static var memoryUsed: Int64 { sqlite3_memory_used() }

    /// Opens (and with `create`, creates) a database file.
    package init(path: String, readOnly: Bool = false, create: Bool = true) throws(StoreError) {
        var handle: OpaquePointer?
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        flags |= SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw StoreError(code: rc, message: msg, operation: "open \(path)")
        }
        db = handle
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        sqlite3_close_v2(db)
    }

    func error(_ rc: Int32, _ operation: String) -> StoreError {
        StoreError(
            code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), operation: operation)
    }

    /// Runs one or more statements without results.
    package func execute(_ sql: String) throws(StoreError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(err)
            throw StoreError(code: rc, message: msg, operation: "execute \(sql.prefix(60))")
        }
    }

    /// Prepares a statement for repeated use.
    package func prepare(_ sql: String) throws(StoreError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare \(sql.prefix(60))") }
        return Statement(stmt, connection: self)
    }

    // Three caches by what identifies the SQL cheaply. The store writer asks for five to ten statements per
    // alarm change; keyed by text, each ask hashed and compared the whole text (hundreds of bytes for the
    // incident queries), which was measurable in the store bench. A literal is found by its address, a
    // composed ``SQL`` by its identity, and only text made per call is hashed.
    private var literals: [UnsafeRawPointer: Statement] = [:]
    // The SQL is kept with its statement: an identifier is only unique while its object lives.
    private var composed: [ObjectIdentifier: (SQL, Statement)] = [:]
    private var texts: [String: Statement] = [:]

    /// A prepared statement kept for reuse, reset and ready for new bindings. (Not for two uses of the same
    /// SQL at once: finish stepping one before asking again.)
    package func cached(_ sql: StaticString) throws(StoreError) -> Statement {
        guard sql.hasPointerRepresentation else { return try cached(text: sql.description) }
        let key = UnsafeRawPointer(sql.utf8Start)
        if let s = literals[key] {
            s.reset()
            return s
        }
        let s = try prepare(sql.description)
        literals[key] = s
        return s
    }

    /// The statement of SQL composed once (from column lists, say) and kept in a `static let`.
    package func cached(_ sql: SQL) throws(StoreError) -> Statement {
        let key = ObjectIdentifier(sql)
        if let (_, s) = composed[key] {
            s.reset()
            return s
        }
        let s = try prepare(sql.text)
        composed[key] = (sql, s)
        return s
    }

    /// The statement of SQL text made at the call (found by hashing the text: not for hot paths).
    package func cached(text sql: String) throws(StoreError) -> Statement {
        if let s = texts[sql] {
            s.reset()
            return s
        }
        let s = try prepare(sql)
        texts[sql] = s
        return s
    }

    /// True when SQLite could open the file for reading only (its permissions or its file system do
    /// not let this process write it), whatever was asked for.
    package var isReadOnly: Bool { sqlite3_db_readonly(db, "main") == 1 }

    /// The rowid of the last row inserted on this connection.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { Int(sqlite3_changes(db)) }

    /// Reads a single integer (e.g. a PRAGMA or `SELECT count(*)`).
    package func scalarInt(_ sql: String) throws(StoreError) -> Int64? {
        let s = try prepare(sql)
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int(0)
    }

    /// Reads a single text value.
    package func scalarText(_ sql: String) throws(StoreError) -> String? {
        let s = try prepare(sql)
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.text(0)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    package func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement; positional parameters start at 1, columns at 0.
package final class Statement {
    let stmt: OpaquePointer
    unowned let connection: Connection

    init(_ stmt: OpaquePointer, connection: Connection) {
        self.stmt = stmt
        self.connection = connection
    }

    deinit { sqlite3_finalize(stmt) }

    // SQLITE_TRANSIENT: SQLite copies the bytes before bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    package func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    package func bind(_ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(stmt, i, v) } else { sqlite3_bind_null(stmt, i) }
    }
    package func bind(_ i: Int32, _ v: Double) { sqlite3_bind_double(stmt, i, v) }
    package func bind(_ i: Int32, _ v: String) {
        sqlite3_bind_text(stmt, i, v, -1, Self.transient)
    }
    /// Binds an enum as its raw value.
    package func bind<T: RawRepresentable>(_ i: Int32, _ v: T) where T.RawValue == String { bind(i, v.rawValue) }
    package func bind(_ i: Int32, _ v: String?) {
        if let v { bind(i, v) } else { sqlite3_bind_null(stmt, i) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    package func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let e = connection.error(rc, "step \(String(cString: sqlite3_sql(stmt)).prefix(60))")
            sqlite3_reset(stmt)
            throw e
        }
    }

    /// Runs to completion and resets for reuse.
    package func run() throws(StoreError) {
        defer { reset() }
        while try step() {}
    }

    package func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    package func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    package func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    package func optionalText(_ col: Int32) -> String? { isNull(col) ? nil : text(col) }
    /// Column `col` as an enum stored as its raw value (the SQL edge of ECC's states and kinds); `unknown`
    /// for a value this version does not know, such as one a newer eccd wrote.
    package func value<T: RawRepresentable>(_ col: Int32, unknown: T) -> T where T.RawValue == String {
        T(rawValue: text(col)) ?? unknown
    }
    /// ``value(_:unknown:)``, nil for NULL.
    package func optionalValue<T: RawRepresentable>(_ col: Int32, unknown: T) -> T? where T.RawValue == String {
        isNull(col) ? nil : value(col, unknown: unknown)
    }
    package func optionalInt(_ col: Int32) -> Int64? { isNull(col) ? nil : int(col) }
    package func text(_ col: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, col) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, col))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
}
