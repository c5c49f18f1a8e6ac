import EccCore
import EccIncidents

/// Configuration items, changes, problems and knowledge: the rest of the service desk. Each action is one
/// transaction with a row in the append-only `itsm_journal`.
extension IncidentDesk {
    // MARK: CMDB

    /// Adds or replaces configuration items. Parents must be known (imported now or before), and the
    /// parent relation must stay free of cycles. Returns how many were added and updated.
    package func importCIs(_ items: [ConfigurationItem], by actor: String, at: EventTime) throws(IncidentRefusal) -> (
        added: Int, updated: Int
    ) {
        guard !items.isEmpty else { throw .invalid("no configuration items to import") }
        return try write(actor: actor) { (c) throws(IncidentRefusal) -> (Int, Int) in
            var parents: [String: String?] = [:]
            let all = try store { () throws(StoreError) in try c.prepare("SELECT name, parent FROM cis") }
            while try store({ () throws(StoreError) in try all.step() }) { parents[all.text(0)] = all.optionalText(1) }
            let existing = Set(parents.keys)
            for i in items {
                guard !i.name.isEmpty else { throw .invalid("a configuration item without a name") }
                if i.parent == i.name { throw .invalid("'\(i.name)' cannot be its own parent") }
                parents[i.name] = i.parent
            }
            for i in items {
                if let p = i.parent, parents[p] == nil {
                    throw .invalid("'\(i.name)': unknown parent '\(p)' (import the parent too)")
                }
                var seen: Set<String> = [i.name]
                var cur = i.parent
                while let p = cur {
                    guard seen.insert(p).inserted else {
                        throw .invalid(
                            "'\(i.name)': its parents form a cycle (\(seen.sorted().joined(separator: " → ")))")
                    }
                    cur = parents[p] ?? nil
                }
            }
            var added = 0
            try store { () throws(StoreError) in
                let s = try c.cached(
                    """
                    INSERT INTO cis(name, parent, type, criticality, follow_up, attributes, updated_at)
                        VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                        ON CONFLICT(name) DO UPDATE SET parent = excluded.parent, type = excluded.type,
                        criticality = excluded.criticality, follow_up = excluded.follow_up,
                        attributes = excluded.attributes, updated_at = excluded.updated_at
                    """)
                for i in items {
                    s.bind(1, i.name)
                    s.bind(2, i.parent)
                    s.bind(3, i.attributes["type"])
                    s.bind(4, i.attributes["criticality"])
                    s.bind(
                        5, Int64(["true", "yes", "1"].contains(i.attributes["follow_up"]?.lowercased() ?? "") ? 1 : 0))
                    s.bind(6, ITSMRecords.attributesJSON(i.attributes))
                    s.bind(7, at.nanoseconds)
                    try s.run()
                    if !existing.contains(i.name) { added += 1 }
                }
                try ITSMRecords.journal(
                    c, "ci", "*", at: at, actor: actor, action: "imported",
                    note: "\(added) added, \(items.count - added) updated: "
                        + items.prefix(20).map(\.name).joined(separator: ", ") + (items.count > 20 ? ", ..." : ""))
            }
            return (added, items.count - added)
        }
    }

    // MARK: Changes

    /// Requests a change: a planned window (with an end) over configuration items.
    package func requestChange(
        title: String, description: String? = nil, start: EventTime, end: EventTime, cis: [String], by actor: String,
        at: EventTime
    ) throws(IncidentRefusal) -> Change {
        guard !title.isEmpty else { throw .invalid("a change needs a title") }
        guard end > start else { throw .invalid("the change window must end after it starts") }
        guard end.nanoseconds - start.nanoseconds <= 31 * 86_400_000_000_000 else {
            throw .invalid("a change window may last at most 31 days")
        }
        let names = cis.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw .invalid("name the configuration items the change touches (cis)") }
        guard !names.contains(where: { $0.contains(",") }) else { throw .invalid("CI names cannot contain commas") }
        return try write(actor: actor) { (c) throws(IncidentRefusal) -> Change in
            try store { () throws(StoreError) -> Change in
                let s = try c.cached(
                    """
                    INSERT INTO changes(title, description, state, start_at, end_at, cis, requested_by, created_at,
                        updated_at) VALUES(?1, ?2, 'requested', ?3, ?4, ?5, ?6, ?7, ?7)
                    """)
                s.bind(1, title)
                s.bind(2, description)
                s.bind(3, start.nanoseconds)
                s.bind(4, end.nanoseconds)
                s.bind(5, names.joined(separator: ","))
                s.bind(6, actor)
                s.bind(7, at.nanoseconds)
                try s.run()
                let id = c.lastInsertRowID
                try ITSMRecords.journal(
                    c, "change", String(id), at: at, actor: actor, action: "requested",
                    note: "\(start) – \(end) on \(names.joined(separator: ", "))")
                guard let change = try ITSMRecords.change(c, id: id) else {
                    throw StoreError(code: -1, message: "change \(id) vanished", operation: "request change")
                }
                return change
            }
        }
    }

    /// Approves (requested → approved; not by its requester), rejects, or cancels a change. An approved
    /// change's window becomes a maintenance window once the rules are reloaded.
    package func decideChange(
        _ id: Int64, _ decision: ChangeState, by actor: String, note: String? = nil, at: EventTime
    )
        throws(IncidentRefusal) -> Change
    {
        try write(actor: actor) { (c) throws(IncidentRefusal) -> Change in
            guard let ch = try store({ () throws(StoreError) in try ITSMRecords.change(c, id: id) }) else {
                throw .notFound("no change \(id)")
            }
            switch decision {
            case .approved, .rejected:
                guard ch.state == .requested else {
                    throw .conflict("change \(id) is \(ch.state.rawValue), not requested")
                }
                if decision == .approved && ch.requestedBy == actor {
                    throw .conflict("change \(id) was requested by \(actor); someone else approves it (four eyes)")
                }
            case .cancelled:
                guard ch.state == .requested || ch.state == .approved else {
                    throw .conflict("change \(id) is \(ch.state.rawValue)")
                }
            case .requested:
                throw .invalid("a change is decided: approved, rejected or cancelled")
            }
            return try store { () throws(StoreError) -> Change in
                let s = try c.cached(
                    "UPDATE changes SET state = ?2, approved_by = coalesce(?3, approved_by), updated_at = ?4 WHERE id = ?1"
                )
                s.bind(1, id)
                s.bind(2, decision.rawValue)
                s.bind(3, decision == .approved ? actor : nil)
                s.bind(4, at.nanoseconds)
                try s.run()
                try ITSMRecords.journal(
                    c, "change", String(id), at: at, actor: actor, action: decision.rawValue, note: note)
                guard let after = try ITSMRecords.change(c, id: id) else {
                    throw StoreError(code: -1, message: "change \(id) vanished", operation: "decide change")
                }
                return after
            }
        }
    }

    // MARK: Problems

    /// Opens a problem linking incidents with a common cause.
    package func openProblem(title: String, incidents: [Int64], by actor: String, at: EventTime) throws(IncidentRefusal)
        -> Problem
    {
        guard !title.isEmpty else { throw .invalid("a problem needs a title") }
        return try write(actor: actor) { (c) throws(IncidentRefusal) -> Problem in
            let id = try store { () throws(StoreError) -> Int64 in
                let s = try c.cached(
                    """
                    INSERT INTO problems(title, state, created_by, created_at, updated_at)
                        VALUES(?1, 'open', ?2, ?3, ?3)
                    """)
                s.bind(1, title)
                s.bind(2, actor)
                s.bind(3, at.nanoseconds)
                try s.run()
                let id = c.lastInsertRowID
                try ITSMRecords.journal(c, "problem", String(id), at: at, actor: actor, action: "opened", note: title)
                return id
            }
            for i in incidents { try link(c, problem: id, incident: i, actor: actor, at: at) }
            return try loadProblem(c, id)
        }
    }

    /// Links an incident to a problem.
    package func linkIncident(_ incident: Int64, toProblem id: Int64, by actor: String, at: EventTime)
        throws(IncidentRefusal)
        -> Problem
    {
        try write(actor: actor) { (c) throws(IncidentRefusal) -> Problem in
            _ = try loadProblem(c, id)
            try link(c, problem: id, incident: incident, actor: actor, at: at)
            return try loadProblem(c, id)
        }
    }

    /// Records a problem's root cause, workaround, state and match text (nil keeps each, an empty match
    /// text removes it). A known error needs a workaround: it is what incidents of the same rule or CI, or
    /// whose title contains the match text, are offered as a suggested fix.
    package func updateProblem(
        _ id: Int64, state: ProblemState?, rootCause: String?, workaround: String?, matchText: String? = nil,
        by actor: String, at: EventTime
    ) throws(IncidentRefusal) -> Problem {
        try write(actor: actor) { (c) throws(IncidentRefusal) -> Problem in
            let p = try loadProblem(c, id)
            let newWorkaround = workaround ?? p.workaround
            if state == .knownError, (newWorkaround ?? "").isEmpty {
                throw .invalid("a known error needs its workaround (workaround)")
            }
            if p.state == .closed, state != nil, state != .closed { throw .conflict("problem \(id) is closed") }
            try store { () throws(StoreError) in
                let s = try c.cached(
                    """
                    UPDATE problems SET state = ?2, root_cause = ?3, workaround = ?4, updated_at = ?5, match_text = ?6
                        WHERE id = ?1
                    """)
                s.bind(1, id)
                s.bind(2, (state ?? p.state).rawValue)
                s.bind(3, rootCause ?? p.rootCause)
                s.bind(4, newWorkaround)
                s.bind(5, at.nanoseconds)
                s.bind(6, matchText.map { $0.isEmpty ? nil : $0 } ?? p.matchText)
                try s.run()
                var what: [String] = []
                if let state, state != p.state { what.append("state \(p.state.rawValue) → \(state.rawValue)") }
                if let rootCause { what.append("root cause: \(rootCause)") }
                if let workaround { what.append("workaround: \(workaround)") }
                if let matchText { what.append(matchText.isEmpty ? "match text removed" : "match text: \(matchText)") }
                try ITSMRecords.journal(
                    c, "problem", String(id), at: at, actor: actor, action: "updated",
                    note: what.joined(separator: "; "))
            }
            return try loadProblem(c, id)
        }
    }

    private func loadProblem(_ c: Connection, _ id: Int64) throws(IncidentRefusal) -> Problem {
        guard let p = try store({ () throws(StoreError) in try ITSMRecords.problem(c, id: id) }) else {
            throw .notFound("no problem \(id)")
        }
        return p
    }

    private func link(_ c: Connection, problem: Int64, incident: Int64, actor: String, at: EventTime)
        throws(IncidentRefusal)
    {
        guard try store({ () throws(StoreError) in try IncidentRecords.load(c, id: incident) }) != nil else {
            throw .notFound("no incident \(incident)")
        }
        try store { () throws(StoreError) in
            let s = try c.cached("INSERT OR IGNORE INTO problem_incidents(problem_id, incident_id) VALUES(?1, ?2)")
            s.bind(1, problem)
            s.bind(2, incident)
            try s.run()
            guard c.changes > 0 else { return }
            try ITSMRecords.journal(
                c, "problem", String(problem), at: at, actor: actor, action: "linked", note: "incident \(incident)")
            try IncidentRecords.journal(
                c, incident: incident, at: at, actor: actor, action: .problemLinked, note: "problem \(problem)")
        }
    }

    // MARK: Knowledge

    /// Adds a knowledge article, matched to incidents by rule, CI or text in the title (at least one).
    package func addArticle(
        title: String, body: String, rule: String?, ci: String?, text: String?, by actor: String, at: EventTime
    ) throws(IncidentRefusal) -> KnowledgeArticle {
        guard !title.isEmpty, !body.isEmpty else { throw .invalid("an article needs a title and a body") }
        let rule = rule.flatMap { $0.isEmpty ? nil : $0 }
        let ci = ci.flatMap { $0.isEmpty ? nil : $0 }
        let text = text.flatMap { $0.isEmpty ? nil : $0 }
        guard rule != nil || ci != nil || text != nil else {
            throw .invalid("say which incidents it helps: a rule, a CI or a text in their title")
        }
        return try write(actor: actor) { (c) throws(IncidentRefusal) -> KnowledgeArticle in
            try store { () throws(StoreError) -> KnowledgeArticle in
                let s = try c.cached(
                    """
                    INSERT INTO knowledge(title, body, match_rule, match_ci, match_text, created_by, created_at)
                        VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """)
                s.bind(1, title)
                s.bind(2, body)
                s.bind(3, rule)
                s.bind(4, ci)
                s.bind(5, text)
                s.bind(6, actor)
                s.bind(7, at.nanoseconds)
                try s.run()
                let id = c.lastInsertRowID
                try ITSMRecords.journal(c, "knowledge", String(id), at: at, actor: actor, action: "added", note: title)
                return KnowledgeArticle(
                    id: id, title: title, body: body, matchRule: rule, matchCI: ci, matchText: text, createdBy: actor,
                    createdAt: at)
            }
        }
    }
}
