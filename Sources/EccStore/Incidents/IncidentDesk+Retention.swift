import EccAPI
import EccCore
import EccIncidents
import Foundation

extension IncidentDesk {
    /// Prunes (and archives) what the policy no longer keeps, in chunks of a few thousand rows, each its own
    /// short transaction so the alarm writer is never held up for long.
    package func prune(_ policy: RetentionPolicy, at now: EventTime) throws(IncidentRefusal) -> Pruned {
        var out = Pruned()
        let chunk = 2000
        if let keep = policy.closedIncidents {
            let cutoff = now.nanoseconds &- keep
            while true {
                let n = try write(actor: "eccd") { (c) throws(IncidentRefusal) -> Int in
                    try store { () throws(StoreError) -> Int in
                        let s = try c.prepare(
                            "SELECT id FROM incidents WHERE state = 'closed' AND closed_at < ?1 ORDER BY id LIMIT \(chunk)"
                        )
                        s.bind(1, cutoff)
                        var ids: [Int64] = []
                        while try s.step() { ids.append(s.int(0)) }
                        guard !ids.isEmpty else { return 0 }
                        if let dir = policy.archiveDirectory { try archive(c, ids, to: dir, at: now) }
                        let list = ids.map(String.init).joined(separator: ",")
                        for table in ["incident_journal", "incident_alarms", "problem_incidents"] {
                            try c.execute("DELETE FROM \(table) WHERE incident_id IN (\(list))")
                        }
                        try c.execute("DELETE FROM incidents WHERE id IN (\(list))")
                        return ids.count
                    }
                }
                out.incidents += n
                if n < chunk { break }
            }
        }
        if let keep = policy.clearedAlarms {
            let cutoff = now.nanoseconds &- keep
            while true {
                let n = try write(actor: "eccd") { (c) throws(IncidentRefusal) -> Int in
                    try store { () throws(StoreError) -> Int in
                        let s = try c.prepare(
                            """
                            SELECT id FROM alarms WHERE state = 'cleared' AND cleared_at < ?1
                                AND id NOT IN (SELECT alarm_id FROM incident_alarms)
                                AND id NOT IN (SELECT alarm_id FROM incidents) ORDER BY id LIMIT \(chunk)
                            """)
                        s.bind(1, cutoff)
                        var ids: [Int64] = []
                        while try s.step() { ids.append(s.int(0)) }
                        guard !ids.isEmpty else { return 0 }
                        let list = ids.map(String.init).joined(separator: ",")
                        for table in ["alarm_changes", "alarm_origins"] {
                            try c.execute("DELETE FROM \(table) WHERE alarm_id IN (\(list))")
                        }
                        try c.execute("DELETE FROM alarms WHERE id IN (\(list))")
                        return ids.count
                    }
                }
                out.alarms += n
                if n < chunk { break }
            }
        }
        if let keep = policy.alarmChanges {
            let cutoff = now.nanoseconds &- keep
            while true {
                let n = try write(actor: "eccd") { (c) throws(IncidentRefusal) -> Int in
                    try store { () throws(StoreError) -> Int in
                        let s = try c.prepare(
                            """
                            DELETE FROM alarm_changes WHERE seq IN
                                (SELECT seq FROM alarm_changes WHERE at < ?1 ORDER BY seq LIMIT \(chunk * 5))
                            """)
                        s.bind(1, cutoff)
                        try s.run()
                        return c.changes
                    }
                }
                out.alarmChanges += n
                if n < chunk * 5 { break }
            }
        }
        if let keep = policy.notifications {
            let cutoff = now.nanoseconds &- keep
            while true {
                let n = try write(actor: "eccd") { (c) throws(IncidentRefusal) -> Int in
                    try store { () throws(StoreError) -> Int in
                        let s = try c.prepare(
                            """
                            SELECT id FROM notifications WHERE created_at < ?1
                                AND state IN ('sent', 'failed', 'digested', 'skipped') ORDER BY id LIMIT \(chunk)
                            """)
                        s.bind(1, cutoff)
                        var ids: [Int64] = []
                        while try s.step() { ids.append(s.int(0)) }
                        guard !ids.isEmpty else { return 0 }
                        let list = ids.map(String.init).joined(separator: ",")
                        try c.execute("DELETE FROM notification_attempts WHERE notification_id IN (\(list))")
                        try c.execute("DELETE FROM notifications WHERE id IN (\(list))")
                        return ids.count
                    }
                }
                out.notifications += n
                if n < chunk { break }
            }
            _ = try write(actor: "eccd") { (c) throws(IncidentRefusal) -> Int in
                try store { () throws(StoreError) -> Int in
                    let s = try c.prepare("DELETE FROM escalations WHERE next_at IS NULL AND stopped_at < ?1")
                    s.bind(1, cutoff)
                    try s.run()
                    return c.changes
                }
            }
        }
        return out
    }

    /// Appends incidents with their journal and alarm links to the day's archive file.
    private func archive(_ c: Connection, _ ids: [Int64], to dir: String, at now: EventTime) throws(StoreError) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw StoreError(code: -1, message: "\(error.localizedDescription)", operation: "create \(dir)")
        }
        let path = dir + "/incidents-\(now.description.prefix(10)).jsonl"
        var text = ""
        let encoder = APIJSON.encoder()
        for id in ids {
            guard let i = try IncidentRecords.load(c, id: id) else { continue }
            let journal = try IncidentRecords.journal(c, incident: id)
            let line = IncidentDetailView(IncidentDetail(incident: i, journal: journal, alarms: []))
            // An incident that cannot be archived is not deleted either: the whole run stops here.
            guard let data = try? encoder.encode(line) else {
                throw StoreError(code: -1, message: "incident \(id) cannot be encoded", operation: "archive")
            }
            text += String(decoding: data, as: UTF8.self) + "\n"
        }
        guard
            let handle = FileHandle(forWritingAtPath: path)
                ?? {
                    FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
        else { throw StoreError(code: -1, message: "cannot write", operation: "archive to \(path)") }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
        } catch {
            throw StoreError(code: -1, message: "\(error.localizedDescription)", operation: "archive to \(path)")
        }
    }
}
