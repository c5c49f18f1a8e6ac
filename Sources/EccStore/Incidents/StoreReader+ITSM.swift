import EccCore
import EccIncidents

extension StoreReader {
    /// Every configuration item, by name.
    package func cis() throws(StoreError) -> [ConfigurationItem] {
        try read { (c) throws(StoreError) -> [ConfigurationItem] in
            let s = try c.prepare("SELECT name, parent, attributes, updated_at FROM cis ORDER BY name")
            var out: [ConfigurationItem] = []
            while try s.step() {
                out.append(
                    ConfigurationItem(
                        name: s.text(0), parent: s.optionalText(1), attributes: ITSMRecords.attributes(s.text(2)),
                        updatedAt: EventTime(nanoseconds: s.int(3))))
            }
            return out
        }
    }

    /// The configuration items as the engine's CMDB entries.
    package func cmdbItems() throws(StoreError) -> [CMDB.Item] {
        try cis().map { CMDB.Item(name: $0.name, parent: $0.parent, attributes: $0.attributes) }
    }

    /// Changes, newest first; `state` nil for all.
    package func changes(state: ChangeState? = nil, limit: Int = 1000) throws(StoreError) -> [Change] {
        try read { (c) throws(StoreError) -> [Change] in
            let s = try c.prepare(
                "SELECT \(ITSMRecords.changeColumns) FROM changes \(state == nil ? "" : "WHERE state = ?1") "
                    + "ORDER BY id DESC LIMIT \(max(0, limit))")
            if let state { s.bind(1, state.rawValue) }
            var out: [Change] = []
            while try s.step() { out.append(ITSMRecords.readChange(s)) }
            return out
        }
    }

    /// The maintenance windows of approved changes that have not ended before `since`.
    package func changeWindows(since: EventTime) throws(StoreError) -> [MaintenanceWindow] {
        try read { (c) throws(StoreError) -> [MaintenanceWindow] in
            let s = try c.prepare(
                "SELECT \(ITSMRecords.changeColumns) FROM changes WHERE state = 'approved' AND end_at > ?1 ORDER BY id")
            s.bind(1, since.nanoseconds)
            var out: [MaintenanceWindow] = []
            while try s.step() {
                let ch = ITSMRecords.readChange(s)
                out.append(
                    MaintenanceWindow(
                        name: ch.windowName, intervals: [.init(start: ch.start, end: ch.end)], hosts: Set(ch.cis),
                        match: nil))
            }
            return out
        }
    }

    package func change(id: Int64) throws(StoreError) -> Change? {
        try read { (c) throws(StoreError) -> Change? in try ITSMRecords.change(c, id: id) }
    }

    /// Problems, newest first, with their incidents.
    package func problems(state: ProblemState? = nil, limit: Int = 1000) throws(StoreError) -> [Problem] {
        try read { (c) throws(StoreError) -> [Problem] in
            let s = try c.prepare(
                "SELECT id FROM problems \(state == nil ? "" : "WHERE state = ?1") ORDER BY id DESC LIMIT \(max(0, limit))"
            )
            if let state { s.bind(1, state.rawValue) }
            var ids: [Int64] = []
            while try s.step() { ids.append(s.int(0)) }
            var out: [Problem] = []
            for id in ids { if let p = try ITSMRecords.problem(c, id: id) { out.append(p) } }
            return out
        }
    }

    package func problem(id: Int64) throws(StoreError) -> Problem? {
        try read { (c) throws(StoreError) -> Problem? in try ITSMRecords.problem(c, id: id) }
    }

    /// Knowledge articles, newest first.
    package func knowledge() throws(StoreError) -> [KnowledgeArticle] {
        try read { (c) throws(StoreError) -> [KnowledgeArticle] in
            let s = try c.prepare(
                """
                SELECT id, title, body, match_rule, match_ci, match_text, created_by, created_at FROM knowledge
                    ORDER BY id DESC
                """)
            var out: [KnowledgeArticle] = []
            while try s.step() {
                out.append(
                    KnowledgeArticle(
                        id: s.int(0), title: s.text(1), body: s.text(2), matchRule: s.optionalText(3),
                        matchCI: s.optionalText(4), matchText: s.optionalText(5), createdBy: s.text(6),
                        createdAt: EventTime(nanoseconds: s.int(7))))
            }
            return out
        }
    }

    /// Fixes to suggest on an incident: knowledge articles and known errors (problems with a workaround)
    /// matching its alarm's rule, its CI or a text in its title — an article by its own rule and CI, a
    /// known error by those of its incidents.
    package func suggestions(for incident: Incident) throws(StoreError) -> [Suggestion] {
        try read { (c) throws(StoreError) -> [Suggestion] in
            var out: [Suggestion] = []
            let k = try c.prepare(
                """
                SELECT id, title, body, match_rule, match_ci, match_text FROM knowledge
                    WHERE match_rule = ?1 OR match_ci = ?2
                        OR (match_text IS NOT NULL AND instr(lower(?3), lower(match_text)) > 0)
                    ORDER BY id
                """)
            k.bind(1, incident.alarm.rule)
            k.bind(2, incident.ci)
            k.bind(3, incident.title)
            while try k.step() {
                let why =
                    k.optionalText(3) == incident.alarm.rule
                    ? "rule \(incident.alarm.rule)"
                    : k.optionalText(4) == incident.ci ? "ci \(incident.ci)" : "text \"\(k.optionalText(5) ?? "")\""
                out.append(
                    Suggestion(kind: .knowledge, id: k.int(0), title: k.text(1), text: k.text(2), matchedBy: why))
            }
            let p = try c.prepare(
                """
                SELECT id, title, workaround, by_rule, by_ci, match_text FROM (
                    SELECT p.id, p.title, p.workaround, p.match_text,
                        EXISTS(SELECT 1 FROM problem_incidents l JOIN incidents i ON i.id = l.incident_id
                            JOIN alarms a ON a.id = i.alarm_id WHERE l.problem_id = p.id AND a.rule = ?1) AS by_rule,
                        EXISTS(SELECT 1 FROM problem_incidents l JOIN incidents i ON i.id = l.incident_id
                            WHERE l.problem_id = p.id AND i.ci = ?2) AS by_ci
                    FROM problems p WHERE p.state = 'known_error')
                    WHERE by_rule OR by_ci OR (match_text IS NOT NULL AND instr(lower(?3), lower(match_text)) > 0)
                    ORDER BY id
                """)
            p.bind(1, incident.alarm.rule)
            p.bind(2, incident.ci)
            p.bind(3, incident.title)
            while try p.step() {
                let why =
                    p.int(3) != 0
                    ? "rule \(incident.alarm.rule)"
                    : p.int(4) != 0 ? "ci \(incident.ci)" : "text \"\(p.optionalText(5) ?? "")\""
                out.append(
                    Suggestion(kind: .knownError, id: p.int(0), title: p.text(1), text: p.text(2), matchedBy: why))
            }
            return out
        }
    }

    /// The problems an incident is linked to.
    package func problems(ofIncident id: Int64) throws(StoreError) -> [Int64] {
        try read { (c) throws(StoreError) -> [Int64] in
            let s = try c.prepare("SELECT problem_id FROM problem_incidents WHERE incident_id = ?1 ORDER BY problem_id")
            s.bind(1, id)
            var out: [Int64] = []
            while try s.step() { out.append(s.int(0)) }
            return out
        }
    }
}
