import EccIncidents

/// The schema, as an ordered list of migrations. `PRAGMA user_version` records how many were applied.
///
/// Never edit a released migration; append a new one. A database with a higher version than this build
/// knows is refused, never touched.
enum Migrations {
    static let all: [String] = [
        // 1: alarms, their state changes, and one incident per alarm.
        """
        CREATE TABLE alarms(
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            severity TEXT NOT NULL,
            summary TEXT NOT NULL,
            source TEXT NOT NULL,
            host TEXT NOT NULL,
            type TEXT NOT NULL,
            first_seen INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            count INTEGER NOT NULL,
            cleared_at INTEGER
        );
        CREATE INDEX alarms_by_state ON alarms(state, id);
        CREATE TABLE alarm_changes(
            seq INTEGER PRIMARY KEY,
            alarm_id INTEGER NOT NULL REFERENCES alarms(id),
            kind TEXT NOT NULL,
            at INTEGER NOT NULL,
            count INTEGER NOT NULL,
            severity TEXT NOT NULL,
            summary TEXT NOT NULL
        );
        CREATE INDEX alarm_changes_by_alarm ON alarm_changes(alarm_id, seq);
        CREATE TABLE incidents(
            id INTEGER PRIMARY KEY,
            alarm_id INTEGER NOT NULL UNIQUE REFERENCES alarms(id),
            state TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            host TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            resolved_at INTEGER
        );
        CREATE INDEX incidents_by_state ON incidents(state, id);
        """,
        // 2: the engine's not-yet-alarm state (held, counting, windows, heartbeats), replaced on each snapshot.
        """
        CREATE TABLE engine_state(
            seq INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            times TEXT NOT NULL,
            deadline INTEGER NOT NULL,
            severity TEXT,
            summary TEXT,
            source TEXT,
            host TEXT,
            type TEXT,
            first_seen INTEGER,
            last_seen INTEGER,
            count INTEGER
        );
        CREATE TABLE engine_meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """,
        // 3: suppression (maintenance, symptom of a root cause, inhibited), flapping, group members; the
        // raising event of each alarm (for `eccctl alarms why`); group members in the engine snapshot.
        """
        ALTER TABLE alarms ADD COLUMN suppressed_by TEXT;
        ALTER TABLE alarms ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alarms ADD COLUMN members TEXT;
        CREATE INDEX alarms_by_cause ON alarms(suppressed_by) WHERE suppressed_by IS NOT NULL;
        CREATE TABLE alarm_origins(
            alarm_id INTEGER PRIMARY KEY REFERENCES alarms(id),
            event TEXT NOT NULL,
            notify TEXT NOT NULL
        );
        ALTER TABLE engine_state ADD COLUMN members TEXT;
        """,
        // 4: the incident lifecycle: priority, CI, ownership, SLA clocks, follow-up, reopen; the incident's
        // alarms (the current one, earlier ones it was reopened for, symptoms of its root cause); the
        // append-only journal of every change and work note.
        """
        ALTER TABLE incidents ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
        ALTER TABLE incidents ADD COLUMN ci TEXT NOT NULL DEFAULT '';
        ALTER TABLE incidents ADD COLUMN assignment_group TEXT;
        ALTER TABLE incidents ADD COLUMN owner TEXT;
        ALTER TABLE incidents ADD COLUMN acknowledged_at INTEGER;
        ALTER TABLE incidents ADD COLUMN closed_at INTEGER;
        ALTER TABLE incidents ADD COLUMN response_due INTEGER;
        ALTER TABLE incidents ADD COLUMN resolution_due INTEGER;
        ALTER TABLE incidents ADD COLUMN response_warned INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN resolution_warned INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN response_breached INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN resolution_breached INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN follow_up_required INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN follow_up_done INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN rule TEXT NOT NULL DEFAULT '';
        ALTER TABLE incidents ADD COLUMN alarm_key TEXT NOT NULL DEFAULT '';
        UPDATE incidents SET rule = coalesce((SELECT rule FROM alarms WHERE alarms.id = incidents.alarm_id), ''),
            alarm_key = coalesce((SELECT key FROM alarms WHERE alarms.id = incidents.alarm_id), '');
        CREATE INDEX incidents_resolved_by_key ON incidents(rule, alarm_key, resolved_at) WHERE state = 'resolved';
        CREATE INDEX incidents_by_owner ON incidents(owner, state);
        CREATE INDEX incidents_by_group ON incidents(assignment_group, state);
        CREATE INDEX incidents_by_ci ON incidents(ci, state);
        CREATE INDEX incidents_open ON incidents(id) WHERE state IN ('new', 'acknowledged', 'in_progress');
        CREATE INDEX incidents_open_response ON incidents(response_due) WHERE state = 'new';
        CREATE INDEX incidents_open_resolution ON incidents(resolution_due)
            WHERE state IN ('new', 'acknowledged', 'in_progress');
        CREATE TABLE incident_alarms(
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            alarm_id INTEGER NOT NULL UNIQUE REFERENCES alarms(id),
            role TEXT NOT NULL,
            PRIMARY KEY(incident_id, alarm_id)
        );
        INSERT INTO incident_alarms(incident_id, alarm_id, role) SELECT id, alarm_id, 'alarm' FROM incidents;
        CREATE TABLE incident_journal(
            seq INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            field TEXT,
            old TEXT,
            new TEXT,
            note TEXT
        );
        CREATE INDEX incident_journal_by_incident ON incident_journal(incident_id, seq);
        CREATE TRIGGER incident_journal_append_only BEFORE UPDATE ON incident_journal
            BEGIN SELECT RAISE(ABORT, 'the incident journal is append-only'); END;
        INSERT INTO incident_journal(incident_id, at, actor, action, field, new)
            SELECT id, opened_at, 'eccd', 'opened', 'state', state FROM incidents;
        """,
        // 5: the rest of ITSM: configuration items (the CMDB the engine's topology reads beside the rule
        // files), changes (approved windows become maintenance windows), problems linking incidents (known
        // errors with workarounds), knowledge articles; one append-only journal for all of them.
        """
        CREATE TABLE cis(
            name TEXT PRIMARY KEY,
            parent TEXT,
            type TEXT,
            criticality TEXT,
            follow_up INTEGER NOT NULL DEFAULT 0,
            attributes TEXT NOT NULL DEFAULT '{}',
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE changes(
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            description TEXT,
            state TEXT NOT NULL,
            start_at INTEGER NOT NULL,
            end_at INTEGER NOT NULL,
            cis TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            approved_by TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX changes_by_state ON changes(state, end_at);
        CREATE TABLE problems(
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            state TEXT NOT NULL,
            root_cause TEXT,
            workaround TEXT,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE problem_incidents(
            problem_id INTEGER NOT NULL REFERENCES problems(id),
            incident_id INTEGER NOT NULL REFERENCES incidents(id),
            PRIMARY KEY(problem_id, incident_id)
        );
        CREATE INDEX problem_incidents_by_incident ON problem_incidents(incident_id);
        CREATE TABLE knowledge(
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            match_rule TEXT,
            match_ci TEXT,
            match_text TEXT,
            created_by TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE itsm_journal(
            seq INTEGER PRIMARY KEY,
            object TEXT NOT NULL,
            object_id TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX itsm_journal_by_object ON itsm_journal(object, object_id, seq);
        CREATE TRIGGER itsm_journal_append_only BEFORE UPDATE ON itsm_journal
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
        """,
        // 6: SLA events found outside the SLA sweep (a late acknowledgement or resolution, an alarm that
        // clears after the resolution deadline) wait here, committed with the breach itself, until the next
        // sweep puts them on the bus: each breach is announced exactly once, even across a restart. A known
        // error's text to find in incident titles, as knowledge articles have.
        """
        CREATE TABLE sla_outbox(
            seq INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL,
            target TEXT NOT NULL,
            breached INTEGER NOT NULL,
            due INTEGER NOT NULL
        );
        ALTER TABLE problems ADD COLUMN match_text TEXT;
        """,
        // 7: the notification outbox. Alarm changes put their alarms into notification groups (one per
        // route and group_by values) and start escalations in the change's own transaction; the dispatcher
        // turns due groups, repeats and escalation steps into messages (one row per receiver), sends them,
        // and records every attempt. A message's stable id is `ecc-<store_id>-<id>.<salt>`: ids are never
        // reused (AUTOINCREMENT), and the salt keeps them unique across a restored backup. `progress` holds
        // the pieces (SMS parts per number) accepted by earlier attempts, which a retry skips.
        """
        CREATE TABLE store_meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO store_meta(name, value) VALUES('store_id', lower(hex(randomblob(4))));
        CREATE TABLE notify_groups(
            id INTEGER PRIMARY KEY,
            route TEXT NOT NULL,
            group_key TEXT NOT NULL,
            labels TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            flush_at INTEGER,
            last_flush INTEGER,
            repeat_at INTEGER,
            UNIQUE(route, group_key)
        );
        CREATE INDEX notify_groups_flush ON notify_groups(flush_at) WHERE flush_at IS NOT NULL;
        CREATE INDEX notify_groups_repeat ON notify_groups(repeat_at) WHERE repeat_at IS NOT NULL;
        CREATE TABLE notify_group_alarms(
            group_id INTEGER NOT NULL REFERENCES notify_groups(id) ON DELETE CASCADE,
            alarm_id INTEGER NOT NULL,
            state TEXT NOT NULL,
            pending INTEGER NOT NULL,
            notified INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(group_id, alarm_id)
        );
        CREATE INDEX notify_group_alarms_by_alarm ON notify_group_alarms(alarm_id);
        CREATE TABLE escalations(
            id INTEGER PRIMARY KEY,
            alarm_id INTEGER NOT NULL,
            incident_id INTEGER,
            policy TEXT NOT NULL,
            route TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            step INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER,
            stopped_at INTEGER,
            stop_reason TEXT
        );
        CREATE INDEX escalations_due ON escalations(next_at) WHERE next_at IS NOT NULL;
        CREATE INDEX escalations_by_alarm ON escalations(alarm_id);
        CREATE INDEX escalations_by_incident ON escalations(incident_id) WHERE incident_id IS NOT NULL;
        CREATE TABLE notifications(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            salt TEXT NOT NULL DEFAULT (lower(hex(randomblob(3)))),
            receiver TEXT NOT NULL,
            kind TEXT NOT NULL,
            route TEXT NOT NULL,
            alarm_ids TEXT NOT NULL,
            content TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            next_attempt INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            sent_at INTEGER,
            digest_id INTEGER,
            reason TEXT,
            progress TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX notifications_due ON notifications(next_attempt) WHERE state IN ('pending', 'retrying');
        CREATE INDEX notifications_due_by_receiver ON notifications(receiver, next_attempt)
            WHERE state IN ('pending', 'retrying');
        CREATE INDEX notifications_held ON notifications(receiver, id) WHERE state = 'held';
        CREATE INDEX notifications_by_state ON notifications(state, id);
        CREATE TABLE notification_attempts(
            seq INTEGER PRIMARY KEY,
            notification_id INTEGER NOT NULL REFERENCES notifications(id),
            at INTEGER NOT NULL,
            result TEXT NOT NULL,
            detail TEXT NOT NULL,
            duration_ms INTEGER NOT NULL
        );
        CREATE INDEX notification_attempts_by_notification ON notification_attempts(notification_id, seq);
        """,
        // 8: a notification group keeps the interval and send_resolved its route decided when alarms joined
        // it, so a clear is planned without reading the rules. Groups made before take the defaults (5 min,
        // resolved sent) until the dispatcher starts and gives every group its route's values.
        """
        ALTER TABLE notify_groups ADD COLUMN group_interval INTEGER NOT NULL DEFAULT 300000000000;
        ALTER TABLE notify_groups ADD COLUMN send_resolved INTEGER NOT NULL DEFAULT 1;
        """,
        // 9: how far each followed file has been read, committed with the changes of the lines before it.
        """
        CREATE TABLE read_positions (
            path TEXT PRIMARY KEY,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """,
        // 10: the journal's position is a cursor (path is then `journal:` and its directory; device, inode and
        // offset 0).
        """
        ALTER TABLE read_positions ADD COLUMN cursor TEXT;
        """,
    ]

    /// The schema version this build writes.
    static var latest: Int64 { Int64(all.count) }

    /// Refuses, before anything is written, a database this build must not touch: a newer schema, or a
    /// SQLite file that holds other tables but no eccd schema version (someone else's database).
    static func check(_ c: Connection) throws(StoreError) {
        let version = try c.scalarInt("PRAGMA user_version") ?? 0
        if version == 0 {
            let tables =
                try c.scalarInt(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            if tables > 0 {
                throw StoreError(
                    code: -1,
                    message: "the file is an SQLite database but not an eccd one (it has \(tables) tables and no eccd "
                        + "schema version); point database.path elsewhere — the file was not modified",
                    operation: "open \(c.path)")
            }
        }
        if version > latest {
            throw StoreError(
                code: -1,
                message: "database schema version \(version) is newer than this eccd understands (\(latest)); "
                    + "upgrade eccd or restore a backup — the file was not modified",
                operation: "open \(c.path)")
        }
    }

    /// Brings the database up to ``latest``, each step in its own transaction.
    static func migrate(_ c: Connection) throws(StoreError) {
        try check(c)
        let version = try c.scalarInt("PRAGMA user_version") ?? 0
        for v in Int(version)..<all.count {
            try c.transaction { () throws(StoreError) in
                do throws(StoreError) { try c.execute(all[v]) } catch {
                    throw StoreError(
                        code: error.code, message: error.message, operation: "migrate to schema version \(v + 1)")
                }
                try c.execute("PRAGMA user_version = \(v + 1)")
            }
        }
    }
}
