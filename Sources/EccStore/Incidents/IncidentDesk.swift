import EccCore
import Synchronization

/// What operators do to incidents, and the SLA clock that watches them.
///
/// Every action runs in one transaction on the desk's own connection (SQLite serialises it with the
/// alarm writer's transactions; WAL keeps readers going) and is journalled: who, when, old → new, why.
/// Ownership follows first contact: whoever acknowledges an incident first owns it until it is resolved
/// or explicitly handed over.
public final class IncidentDesk: Sendable {
    private let connection: Mutex<Connection>
    private let policy: IncidentPolicy

    /// Why an action was refused.
    public enum Refusal: Error, CustomStringConvertible, Sendable {
        /// No such incident.
        case notFound(String)
        /// The incident's state or ownership does not allow it (HTTP 409).
        case conflict(String)
        /// The request itself is incomplete (HTTP 400).
        case invalid(String)
        /// The database failed (HTTP 503).
        case store(StoreError)

        public var description: String {
            switch self {
            case .notFound(let m), .conflict(let m), .invalid(let m): m
            case .store(let e): "\(e)"
            }
        }
    }

    /// Opens a read-write connection to an existing store (the alarm writer creates and migrates it).
    public init(path: String, policy: IncidentPolicy = IncidentPolicy()) throws(StoreError) {
        let c = try Connection(path: path, create: false)
        try c.execute("PRAGMA foreign_keys=ON")
        connection = Mutex(c)
        self.policy = policy
    }

    // MARK: Actions

    /// Acknowledges: a new incident becomes acknowledged and, if nobody owns it, owned by `actor`.
    public func acknowledge(_ id: Int64, by actor: String, note: String? = nil, at: EventTime) throws(Refusal)
        -> Incident
    {
        try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            if let owner = i.owner, owner != actor {
                throw .conflict(
                    "incident \(id) is owned by \(owner); ask them to hand it over "
                        + "(eccctl incidents handover \(id) --to \(actor) --reason ...)")
            }
            guard i.state == .new else {
                if i.state == .acknowledged || i.state == .inProgress {
                    // Already acknowledged by its owner: nothing changes, but an escalation started since
                    // (an SLA breach, a re-raise) is answered by this acknowledgement.
                    try store { () throws(StoreError) in
                        try OutboxRecords.stopEscalations(
                            c, alarm: nil, incident: id, reason: "incident \(id) acknowledged again by \(actor)", at: at
                        )
                    }
                    return
                }
                throw .conflict("incident \(id) is \(i.state); reopen it first")
            }
            try put(c, id, "state = 'acknowledged', acknowledged_at = ?2", at.nanoseconds)
            try record(
                c, id, at, actor, "acknowledged", "state", i.state.rawValue, IncidentState.acknowledged.rawValue, note)
            try store { () throws(StoreError) in
                try OutboxRecords.stopEscalations(
                    c, alarm: nil, incident: id, reason: "incident \(id) acknowledged by \(actor)", at: at)
            }
            if i.owner == nil {
                try put(c, id, "owner = ?2", actor)
                try record(c, id, at, actor, "owner", "owner", nil, actor, "first acknowledgement takes ownership")
            }
            if let due = i.responseDue, at > due, !i.responseBreached {
                try markBreach(c, i, .response, at: at)
            }
        }
    }

    /// Assigns the incident to a group (its owner stays until a hand-over).
    public func assign(_ id: Int64, group: String, by actor: String, reason: String? = nil, at: EventTime)
        throws(Refusal) -> Incident
    {
        guard !group.isEmpty else { throw .invalid("give the assignment group") }
        return try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            guard Self.isOpen(i) else { throw .conflict("incident \(id) is \(i.state); reopen it first") }
            guard i.assignmentGroup != group else { return }
            try put(c, id, "assignment_group = ?2", group)
            try record(c, id, at, actor, "assigned", "assignment_group", i.assignmentGroup, group, reason)
        }
    }

    /// Hands ownership over, with a reason. Only the owner hands over, unless `override` (a supervisor
    /// taking it back), which the journal says.
    public func handOver(
        _ id: Int64, to newOwner: String, by actor: String, reason: String, override: Bool = false, at: EventTime
    ) throws(Refusal) -> Incident {
        guard !newOwner.isEmpty else { throw .invalid("give who takes the incident over (to)") }
        guard !reason.trimmed.isEmpty else { throw .invalid("a hand-over needs a reason") }
        return try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            guard Self.isOpen(i) else { throw .conflict("incident \(id) is \(i.state); reopen it first") }
            guard let owner = i.owner else {
                throw .conflict("incident \(id) has no owner yet: acknowledging it takes ownership")
            }
            guard owner == actor || override else {
                throw .conflict(
                    "incident \(id) is owned by \(owner); only they hand it over (or a supervisor with override)")
            }
            guard owner != newOwner else { throw .conflict("incident \(id) is already owned by \(newOwner)") }
            try put(c, id, "owner = ?2", newOwner)
            try record(
                c, id, at, actor, override ? "handed_over (override)" : "handed_over", "owner", owner, newOwner, reason)
        }
    }

    /// Adds a work note; `followUp` records the follow-up a flagged CI or customer requires. The owner's
    /// first note on an acknowledged incident starts the work (in progress).
    public func addNote(_ id: Int64, text: String, followUp: Bool = false, by actor: String, at: EventTime)
        throws(Refusal) -> Incident
    {
        guard !text.trimmed.isEmpty else { throw .invalid("the note is empty") }
        return try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            try record(c, id, at, actor, followUp ? "follow_up" : "note", nil, nil, nil, text)
            if followUp, !i.followUpDone { try put(c, id, "follow_up_done = 1") }
            if i.state == .acknowledged, i.owner == actor {
                try put(c, id, "state = 'in_progress'")
                try record(
                    c, id, at, actor, "in_progress", "state", i.state.rawValue, IncidentState.inProgress.rawValue,
                    "work started")
            }
        }
    }

    /// Resolves an open incident with a resolution note.
    public func resolve(_ id: Int64, by actor: String, note: String, at: EventTime) throws(Refusal) -> Incident {
        guard !note.trimmed.isEmpty else { throw .invalid("resolving needs a resolution note") }
        return try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            guard Self.isOpen(i) else { throw .conflict("incident \(id) is already \(i.state)") }
            if let due = i.resolutionDue, at > due, !i.resolutionBreached { try markBreach(c, i, .resolution, at: at) }
            try put(c, id, "state = 'resolved', resolved_at = ?2", at.nanoseconds)
            try record(c, id, at, actor, "resolved", "state", i.state.rawValue, IncidentState.resolved.rawValue, note)
            try store { () throws(StoreError) in
                try OutboxRecords.stopEscalations(
                    c, alarm: nil, incident: id, reason: "incident \(id) resolved by \(actor)", at: at)
            }
        }
    }

    /// Closes a resolved incident; refused while a required follow-up note is missing.
    public func close(_ id: Int64, by actor: String, note: String? = nil, at: EventTime) throws(Refusal) -> Incident {
        try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            guard i.state == .resolved else {
                throw .conflict("incident \(id) is \(i.state); only a resolved incident can be closed")
            }
            if i.followUpRequired && !i.followUpDone {
                throw .conflict(
                    "incident \(id) needs a follow-up note before it can be closed "
                        + "(eccctl incidents note \(id) --follow-up \"...\")")
            }
            try put(c, id, "state = 'closed', closed_at = ?2", at.nanoseconds)
            try record(c, id, at, actor, "closed", "state", i.state.rawValue, IncidentState.closed.rawValue, note)
        }
    }

    /// Reopens a resolved or closed incident, with a reason. Its owner (if any) keeps it, in progress.
    public func reopen(_ id: Int64, by actor: String, reason: String, at: EventTime) throws(Refusal) -> Incident {
        guard !reason.trimmed.isEmpty else { throw .invalid("reopening needs a reason") }
        return try act(id, actor: actor, at: at) { (c, i) throws(Refusal) in
            guard !Self.isOpen(i) else { throw .conflict("incident \(id) is open (\(i.state))") }
            let state: IncidentState = i.owner == nil ? .new : .inProgress
            try put(
                c, id, "state = ?2, resolved_at = NULL, closed_at = NULL, reopen_count = reopen_count + 1",
                state.rawValue)
            try record(c, id, at, actor, "reopened", "state", i.state.rawValue, state.rawValue, reason)
        }
    }

    // MARK: SLA clock

    enum Target: String {
        case response
        case resolution
    }

    /// Marks every SLA target that passed (breach) or is close (near-breach, ``IncidentPolicy/nearBreach``)
    /// at `now`, once each, and returns the events to put on the bus (`slaBreached`, `slaNearBreach`) so
    /// rules and routes can act on them — with the events of breaches found since the last sweep by an
    /// acknowledgement, a resolution or an alarm clear (queued in `sla_outbox`). Each breach and each
    /// near-breach is returned by exactly one sweep.
    public func sweep(at now: EventTime) throws(StoreError) -> [Event] {
        try connection.withLock { (c: inout Connection) throws(StoreError) -> [Event] in
            try c.transaction { () throws(StoreError) -> [Event] in
                var out = try queuedEvents(c)
                let warns = policy.nearBreach > 0
                let fraction = warns ? min(1, policy.nearBreach) : 1
                // Near-breach in clock time is found by SQL; in business time it is computed per incident,
                // so open incidents of business-hour priorities not yet warned are all looked at.
                let business = warns ? policy.sla.keys.filter { policy.countsBusinessHours(priority: $0) } : []
                let priorities = business.sorted().map(String.init).joined(separator: ", ")
                let inBusiness = business.isEmpty ? "0" : "i.priority IN (\(priorities))"
                for target in [Target.response, .resolution] {
                    let due = "i.\(target.rawValue)_due"
                    let states = target == .response ? "('new')" : "('new', 'acknowledged', 'in_progress')"
                    let s = try c.prepare(
                        IncidentRecords.select(
                            where: """
                                i.state IN \(states) AND \(due) IS NOT NULL AND i.\(target.rawValue)_breached = 0
                                AND (\(due) <= ?1 OR (i.\(target.rawValue)_warned = 0 AND (\(inBusiness)
                                    OR i.opened_at + CAST((\(due) - i.opened_at) * ?2 AS INTEGER) <= ?1)))
                                """))
                    s.bind(1, now.nanoseconds)
                    s.bind(2, fraction)
                    var due_: [Incident] = []
                    while try s.step() { due_.append(IncidentRecords.read(s)) }
                    for i in due_ {
                        let deadline = target == .response ? i.responseDue : i.resolutionDue
                        guard let deadline else { continue }
                        if deadline <= now {
                            out.append(try breach(c, i, target, at: now))
                        } else if warns, !(target == .response ? i.responseWarned : i.resolutionWarned),
                            policy.nearBreachPoint(priority: i.priority, opened: i.openedAt, due: deadline) <= now
                        {
                            try set(c, i.id, "\(target.rawValue)_warned = 1")
                            try journal(
                                c, i.id, now, "eccd", "sla_near_breach", target.rawValue, nil, deadline.description,
                                "\(target.rawValue) target near: due \(deadline)")
                            out.append(slaEvent(i, target, due: deadline, breached: false))
                        }
                    }
                }
                return out
            }
        }
    }

    private func breach(_ c: Connection, _ i: Incident, _ target: Target, at: EventTime) throws(StoreError) -> Event {
        let deadline = (target == .response ? i.responseDue : i.resolutionDue) ?? at
        try IncidentRecords.markBreached(c, incident: i.id, target: target.rawValue, due: deadline, at: at)
        return slaEvent(i, target, due: deadline, breached: true)
    }

    /// The events queued for the bus since the last sweep (breaches found outside it); the queue is emptied.
    private func queuedEvents(_ c: Connection) throws(StoreError) -> [Event] {
        let s = try c.prepare("SELECT seq, incident_id, target, breached, due FROM sla_outbox ORDER BY seq")
        var queued: [(seq: Int64, incident: Int64, target: Target?, breached: Bool, due: EventTime)] = []
        while try s.step() {
            queued.append(
                (s.int(0), s.int(1), Target(rawValue: s.text(2)), s.int(3) != 0, EventTime(nanoseconds: s.int(4))))
        }
        guard let last = queued.last?.seq else { return [] }
        var out: [Event] = []
        for q in queued {
            // An incident pruned meanwhile has nobody left to tell.
            guard let target = q.target, let i = try IncidentRecords.load(c, id: q.incident) else { continue }
            out.append(slaEvent(i, target, due: q.due, breached: q.breached))
        }
        let d = try c.cached("DELETE FROM sla_outbox WHERE seq <= ?1")
        d.bind(1, last)
        try d.run()
        return out
    }

    private func slaEvent(_ i: Incident, _ target: Target, due: EventTime, breached: Bool) -> Event {
        var e = Event(
            time: due, source: "itsm", host: i.host, type: breached ? "slaBreached" : "slaNearBreach",
            severity: breached ? .major : .warning,
            summary: "P\(i.priority) incident \(i.id) \(breached ? "missed" : "is close to") its \(target.rawValue) "
                + "target (due \(due)): \(i.title)")
        e.attributes["incident"] = .int(i.id)
        e.attributes["priority"] = .string("P\(i.priority)")
        e.attributes["sla"] = .string(target.rawValue)
        e.attributes["ci"] = .string(i.ci)
        if let o = i.owner { e.attributes["owner"] = .string(o) }
        if let g = i.assignmentGroup { e.attributes["assignment_group"] = .string(g) }
        return e
    }

    // MARK: Plumbing

    private static func isOpen(_ i: Incident) -> Bool { i.state.isOpen }

    /// Loads the incident, runs `body` in a transaction, stamps `updated_at` and returns the incident after.
    private func act(
        _ id: Int64, actor: String, at: EventTime, _ body: (Connection, Incident) throws(Refusal) -> Void
    ) throws(Refusal) -> Incident {
        guard !actor.trimmed.isEmpty else { throw .invalid("say who you are (actor)") }
        do {
            return try connection.withLock { (c: inout Connection) throws(Refusal) -> Incident in
                try c.transactionRefusing { () throws(Refusal) -> Incident in
                    guard let before = try store({ () throws(StoreError) in try IncidentRecords.load(c, id: id) })
                    else { throw .notFound("no incident \(id)") }
                    try body(c, before)
                    try store { () throws(StoreError) in try set(c, id, "updated_at = ?2", at.nanoseconds) }
                    guard let after = try store({ () throws(StoreError) in try IncidentRecords.load(c, id: id) })
                    else { throw .notFound("no incident \(id)") }
                    return after
                }
            }
        }
    }

    /// Runs `body` in one transaction on the desk's connection, for `actor`.
    func write<R: Sendable>(actor: String, _ body: (Connection) throws(Refusal) -> R) throws(Refusal) -> R {
        guard !actor.trimmed.isEmpty else { throw .invalid("say who you are (actor)") }
        return try connection.withLock { (c: inout Connection) throws(Refusal) -> R in
            try c.transactionRefusing { () throws(Refusal) -> R in try body(c) }
        }
    }

    func store<R>(_ body: () throws(StoreError) -> R) throws(Refusal) -> R {
        do { return try body() } catch { throw .store(error) }
    }

    private func put(_ c: Connection, _ id: Int64, _ assignments: String, _ value: Int64) throws(Refusal) {
        try store { () throws(StoreError) in try set(c, id, assignments, value) }
    }

    private func put(_ c: Connection, _ id: Int64, _ assignments: String, _ value: String) throws(Refusal) {
        try store { () throws(StoreError) in
            let s = try c.cached("UPDATE incidents SET \(assignments) WHERE id = ?1")
            s.bind(1, id)
            s.bind(2, value)
            try s.run()
        }
    }

    private func put(_ c: Connection, _ id: Int64, _ assignments: String) throws(Refusal) {
        try store { () throws(StoreError) in try set(c, id, assignments) }
    }

    private func set(_ c: Connection, _ id: Int64, _ assignments: String, _ value: Int64) throws(StoreError) {
        let s = try c.cached("UPDATE incidents SET \(assignments) WHERE id = ?1")
        s.bind(1, id)
        s.bind(2, value)
        try s.run()
    }

    private func set(_ c: Connection, _ id: Int64, _ assignments: String) throws(StoreError) {
        let s = try c.cached("UPDATE incidents SET \(assignments) WHERE id = ?1")
        s.bind(1, id)
        try s.run()
    }

    /// A breach an action found (the sweep had not yet): marked, journalled, and its event queued for the
    /// next sweep to put on the bus.
    private func markBreach(_ c: Connection, _ i: Incident, _ target: Target, at: EventTime) throws(Refusal) {
        try store { () throws(StoreError) in
            let due = (target == .response ? i.responseDue : i.resolutionDue) ?? at
            try IncidentRecords.markBreached(c, incident: i.id, target: target.rawValue, due: due, at: at)
            try IncidentRecords.queueSLAEvent(c, incident: i.id, target: target.rawValue, breached: true, due: due)
        }
    }

    private func record(
        _ c: Connection, _ id: Int64, _ at: EventTime, _ actor: String, _ action: String, _ field: String?,
        _ old: String?, _ new: String?, _ note: String?
    ) throws(Refusal) {
        try store { () throws(StoreError) in
            try IncidentRecords.journal(
                c, incident: id, at: at, actor: actor, action: action, field: field, old: old, new: new, note: note)
        }
    }

    private func journal(
        _ c: Connection, _ id: Int64, _ at: EventTime, _ actor: String, _ action: String, _ field: String?,
        _ old: String?, _ new: String?, _ note: String?
    ) throws(StoreError) {
        try IncidentRecords.journal(
            c, incident: id, at: at, actor: actor, action: action, field: field, old: old, new: new, note: note)
    }
}

extension String {
    fileprivate var trimmed: String { String(self.drop { $0 == " " || $0 == "\n" || $0 == "\t" }) }
}

extension Connection {
    /// ``transaction(_:)`` for bodies that refuse with ``IncidentDesk/Refusal``: a refusal rolls back.
    func transactionRefusing<R>(_ body: () throws(IncidentDesk.Refusal) -> R) throws(IncidentDesk.Refusal) -> R {
        do { try execute("BEGIN IMMEDIATE") } catch { throw .store(error) }
        let r: R
        do { r = try body() } catch {
            try? execute("ROLLBACK")
            throw error
        }
        do { try execute("COMMIT") } catch {
            try? execute("ROLLBACK")
            throw .store(error)
        }
        return r
    }
}
