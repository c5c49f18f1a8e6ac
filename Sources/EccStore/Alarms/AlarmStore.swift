import EccCore
import EccIncidents
import Foundation

/// The write side of the store: applies alarm change batches in transactions. Confined to one thread
/// (the ``StoreWriter``'s).
package final class AlarmStore {
    /// How SQLite syncs the WAL.
    package enum Synchronous: String, Sendable {
        /// Durable against a crash of eccd (kill -9); the last transactions may be lost on power failure.
        case normal = "NORMAL"
        /// Durable against power failure too, at the cost of an fsync per transaction.
        case full = "FULL"
    }

    let connection: Connection
    /// How incidents are opened, prioritised and timed.
    package var policy: IncidentPolicy
    /// Notifying changes are queued in the outbox for the dispatcher (false when no receivers are
    /// configured: the engine still decides routes, nothing is queued).
    package var queuesNotifications: Bool
    /// Repeats are journalled at most once per alarm per this interval (processing time); the alarm row
    /// itself always carries the exact count and last-seen time.
    package var repeatJournalInterval: Int64 = 1_000_000_000
    // alarm id -> processing time of its last journalled change.
    private var lastJournalled: [UInt64: Int64] = [:]
    private let insertAlarm: Statement
    private let updateAlarm: Statement
    private let clearAlarm: Statement
    private let insertChange: Statement
    private let insertOrigin: Statement
    private let updateContext: Statement

    /// Opens (creating if needed) the database at `path`, in WAL mode, migrated to the latest schema.
    package init(
        path: String, synchronous: Synchronous = .normal, policy: IncidentPolicy = IncidentPolicy(),
        queuesNotifications: Bool = false
    ) throws(StoreError) {
        self.policy = policy
        self.queuesNotifications = queuesNotifications
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw StoreError(
                    code: -1, message: "\(error.localizedDescription)", operation: "create directory \(dir)")
            }
        }
        let c = try Connection(path: path)
        try Self.checkWritable(c)
        try Self.checkIsDatabase(c)
        try Migrations.check(c)
        let mode = try c.scalarText("PRAGMA journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(
                code: -1, message: "could not enable WAL (journal_mode is \(mode ?? "?"))", operation: "open \(path)")
        }
        // A 64 MiB page cache keeps the hot B-tree pages (active alarms, open incidents, their indexes) in
        // the process instead of re-reading them from the OS on every change (SQLite's default is 2 MiB).
        // The store writer's checkpointer copies the WAL into the database from a thread of its own; this
        // connection's automatic checkpoint is the backstop, every 8192 WAL pages (32 MiB, default 1000), and
        // then copies only what the checkpointer has not. Once the WAL starts over, its file is cut back to
        // 64 MiB.
        try c.execute(
            "PRAGMA synchronous=\(synchronous.rawValue); PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; "
                + "PRAGMA wal_autocheckpoint=8192; PRAGMA journal_size_limit=67108864")
        try Migrations.migrate(c)
        connection = c
        insertAlarm = try c.prepare(
            """
            INSERT INTO alarms(id, rule, key, state, severity, summary, source, host, type, first_seen, last_seen,
                count, cleared_at, suppressed_by, flapping, members)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
            """)
        insertOrigin = try c.prepare("INSERT OR REPLACE INTO alarm_origins(alarm_id, event, notify) VALUES(?1, ?2, ?3)")
        updateContext = try c.prepare(
            """
            UPDATE alarms SET severity = ?2, summary = ?3, last_seen = ?4, count = ?5, suppressed_by = ?6,
                flapping = ?7, members = ?8 WHERE id = ?1
            """)
        updateAlarm = try c.prepare(
            "UPDATE alarms SET severity = ?2, summary = ?3, last_seen = ?4, count = ?5 WHERE id = ?1")
        clearAlarm = try c.prepare(
            """
            UPDATE alarms SET state = 'cleared', severity = ?2, summary = ?3, last_seen = ?4, count = ?5,
                cleared_at = ?6 WHERE id = ?1
            """)
        insertChange = try c.prepare(
            "INSERT INTO alarm_changes(alarm_id, kind, at, count, severity, summary) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
    }

    // A file eccd may not write is refused at start, before anything else: running on it would accept
    // events and then retry every write forever.
    private static func checkWritable(_ c: Connection) throws(StoreError) {
        guard c.isReadOnly else { return }
        throw StoreError(
            code: 8,  // SQLITE_READONLY
            message: "the database file is read-only for eccd (user id \(getuid())); make it and its directory "
                + "writable by the user eccd runs as (e.g. chown ecc:ecc, chmod 0640), or point database.path "
                + "at a writable file — the file was not modified",
            operation: "open \(c.path)")
    }

    // A file that is not a database (or is corrupt) fails here, before anything is written to it.
    private static func checkIsDatabase(_ c: Connection) throws(StoreError) {
        do throws(StoreError) {
            _ = try c.scalarInt("SELECT count(*) FROM sqlite_master")
            let check = try c.scalarText("PRAGMA quick_check") ?? "?"
            guard check == "ok" else {
                throw StoreError(code: 11, message: "integrity check failed: \(check)", operation: "open \(c.path)")
            }
        } catch {
            throw StoreError(
                code: error.code,
                message: "\(error.message) — the file is not a usable eccd database and was not modified; "
                    + "restore it from a backup, or move it aside to start with an empty store",
                operation: "open \(c.path)")
        }
    }

    /// Writes a batch of changes in one transaction; all or nothing.
    package func apply(_ batch: ChangeBatch, positions: [ReadPosition] = []) throws(StoreError) {
        guard !batch.isEmpty || !positions.isEmpty else { return }
        try connection.transaction { () throws(StoreError) in
            for change in batch.changes {
                try write(change)
                try planNotifications(change)
            }
            if !positions.isEmpty { try write(positions) }
        }
    }

    /// Followed files' and the journal's read positions, in the transaction of the changes their records made.
    private func write(_ positions: [ReadPosition]) throws(StoreError) {
        let s = try connection.cached(
            """
            INSERT INTO read_positions(path, device, inode, offset, cursor, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(path) DO UPDATE SET device = excluded.device, inode = excluded.inode,
                offset = excluded.offset, cursor = excluded.cursor, updated_at = excluded.updated_at
            """)
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        for p in positions {
            s.bind(1, p.source)
            switch p.mark {
            case .file(let device, let inode, let offset):
                s.bind(2, Int64(bitPattern: device))
                s.bind(3, Int64(bitPattern: inode))
                s.bind(4, offset)
                s.bind(5, String?.none)
            case .cursor(let cursor):
                for i in Int32(2)...4 { s.bind(i, Int64(0)) }
                s.bind(5, cursor)
            }
            s.bind(6, now)
            try s.run()
        }
    }

    /// The read positions stored, by source.
    package func readPositions() throws(StoreError) -> [String: ReadPosition] {
        let s = try connection.prepare("SELECT path, device, inode, offset, cursor FROM read_positions")
        var out: [String: ReadPosition] = [:]
        while try s.step() {
            let source = s.text(0)
            let mark: ReadPosition.Mark =
                s.isNull(4)
                ? .file(device: UInt64(bitPattern: s.int(1)), inode: UInt64(bitPattern: s.int(2)), offset: s.int(3))
                : .cursor(s.text(4))
            out[source] = ReadPosition(source: source, mark: mark)
        }
        return out
    }

    private func write(_ change: AlarmChange) throws(StoreError) {
        let a = change.alarm
        let id = Int64(bitPattern: a.id)
        switch change.kind {
        case .raised:
            insertAlarm.bind(1, id)
            insertAlarm.bind(2, a.rule)
            insertAlarm.bind(3, a.key)
            insertAlarm.bind(4, a.state.rawValue)
            insertAlarm.bind(5, a.severity.name)
            insertAlarm.bind(6, a.summary)
            insertAlarm.bind(7, a.source)
            insertAlarm.bind(8, a.host)
            insertAlarm.bind(9, a.type)
            insertAlarm.bind(10, a.firstSeen.nanoseconds)
            insertAlarm.bind(11, a.lastSeen.nanoseconds)
            insertAlarm.bind(12, a.count)
            insertAlarm.bind(13, a.clearedAt?.nanoseconds)
            insertAlarm.bind(14, a.suppression?.description)
            insertAlarm.bind(15, Int64(a.flapping ? 1 : 0))
            insertAlarm.bind(16, AlarmQueries.membersText(a.members))
            try insertAlarm.run()
            if let origin = change.origin {
                var w = JSONWriter()
                w.write(origin)
                insertOrigin.bind(1, id)
                insertOrigin.bind(2, w.string)
                insertOrigin.bind(3, change.notify.joined(separator: ","))
                try insertOrigin.run()
            }
            // A suppressed alarm opens no incident (maintenance, symptom, inhibited) until it is released; a
            // symptom is linked to its root cause's incident (or, by policy, gets one of its own).
            if a.suppression == nil || (policy.symptomIncidents && a.suppression?.reason == .symptom) {
                try openIncident(for: a, origin: change.origin, at: change.at, isNew: true)
            } else {
                try linkSymptom(a, at: change.at)
            }
        case .updated:
            updateContext.bind(1, id)
            updateContext.bind(2, a.severity.name)
            updateContext.bind(3, a.summary)
            updateContext.bind(4, a.lastSeen.nanoseconds)
            updateContext.bind(5, a.count)
            updateContext.bind(6, a.suppression?.description)
            updateContext.bind(7, Int64(a.flapping ? 1 : 0))
            updateContext.bind(8, AlarmQueries.membersText(a.members))
            try updateContext.run()
            if a.suppression == nil {
                try openIncident(for: a, origin: nil, at: change.at)
                try updateIncidentSeverity(a, at: change.at)
            }
        case .repeated:
            bindUpdate(updateAlarm, a)
            try updateAlarm.run()
            // A repeat with its event (`record: every`) is journalled whatever the interval.
            if change.origin == nil, let last = lastJournalled[a.id],
                change.at.nanoseconds - last < repeatJournalInterval
            {
                return
            }
        case .cleared:
            bindUpdate(clearAlarm, a)
            clearAlarm.bind(6, a.clearedAt?.nanoseconds ?? a.lastSeen.nanoseconds)
            try clearAlarm.run()
            try resolveIncident(for: a, at: change.at)
        }
        if change.kind == .cleared { lastJournalled[a.id] = nil } else { lastJournalled[a.id] = change.at.nanoseconds }
        insertChange.bind(1, id)
        insertChange.bind(2, change.kind.rawValue)
        insertChange.bind(3, change.at.nanoseconds)
        insertChange.bind(4, a.count)
        insertChange.bind(5, a.severity.name)
        insertChange.bind(6, a.summary)
        try insertChange.run()
    }

    private func bindUpdate(_ s: Statement, _ a: Alarm) {
        s.bind(1, Int64(bitPattern: a.id))
        s.bind(2, a.severity.name)
        s.bind(3, a.summary)
        s.bind(4, a.lastSeen.nanoseconds)
        s.bind(5, a.count)
    }

    /// Active alarms, to restore the engine's dedup state at start.
    package func activeAlarms() throws(StoreError) -> [Alarm] {
        try AlarmQueries.alarms(connection, state: .active, limit: Int.max)
    }

    /// The highest alarm id ever written (0 for an empty store).
    package func maxAlarmID() throws(StoreError) -> UInt64 {
        UInt64(try connection.scalarInt("SELECT max(id) FROM alarms") ?? 0)
    }

    /// Checkpoints the WAL into the main file and truncates it (on shutdown); throws when another connection
    /// kept it from completing (SQLite reports that in the result row, not as an error).
    package func checkpoint() throws(StoreError) {
        let result = try connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)")
        guard try result.step() else { return }
        if result.int(0) != 0 {
            throw StoreError(
                code: 5, message: "the WAL was not checkpointed: another connection is busy with it",
                operation: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}
