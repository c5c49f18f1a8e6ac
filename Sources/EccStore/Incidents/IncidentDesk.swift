import EccCore
import EccIncidents
import Synchronization

/// What operators do to incidents, and the SLA clock that watches them.
///
/// Every action runs in one transaction on the desk's own connection (SQLite serialises it with the
/// alarm writer's transactions; WAL keeps readers going) and is journalled: who, when, old → new, why.
/// Ownership follows first contact: whoever acknowledges an incident first owns it until it is resolved
/// or explicitly handed over.
package final class IncidentDesk: Sendable {
    private let connection: Mutex<Connection>
    private let policy: IncidentPolicy

    /// Opens a read-write connection to an existing store (the alarm writer creates and migrates it).
    package init(path: String, policy: IncidentPolicy = IncidentPolicy()) throws(StoreError) {
        let c = try Connection(path: path, create: false)
        try c.execute("PRAGMA foreign_keys=ON")
        connection = Mutex(c)
        self.policy = policy
    }

    // MARK: Actions

    /// Acknowledges: a new incident becomes acknowledged and, if nobody owns it, owned by `actor`.
    package func acknowledge(_ id: Int64, by actor: String, note: String? = nil, at: EventTime)
        throws(IncidentRefusal) -> Incident
    {
        try perform(.acknowledge(note: note), on: id, by: actor, at: at)
    }

    /// Assigns the incident to a group (its owner stays until a hand-over).
    package func assign(_ id: Int64, group: String, by actor: String, reason: String? = nil, at: EventTime)
        throws(IncidentRefusal) -> Incident
    {
        try perform(.assign(group: group, reason: reason), on: id, by: actor, at: at)
    }

    /// Hands ownership over, with a reason. Only the owner hands over, unless `override` (a supervisor
    /// taking it back), which the journal says.
    package func handOver(
        _ id: Int64, to newOwner: String, by actor: String, reason: String, override: Bool = false, at: EventTime
    ) throws(IncidentRefusal) -> Incident {
        try perform(.handOver(to: newOwner, reason: reason, override: override), on: id, by: actor, at: at)
    }

    /// Adds a work note; `followUp` records the follow-up a flagged CI or customer requires. The owner's
    /// first note on an acknowledged incident starts the work (in progress).
    package func addNote(_ id: Int64, text: String, followUp: Bool = false, by actor: String, at: EventTime)
        throws(IncidentRefusal) -> Incident
    {
        try perform(.note(text: text, followUp: followUp), on: id, by: actor, at: at)
    }

    /// Resolves an open incident with a resolution note.
    package func resolve(_ id: Int64, by actor: String, note: String, at: EventTime) throws(IncidentRefusal)
        -> Incident
    {
        try perform(.resolve(note: note), on: id, by: actor, at: at)
    }

    /// Closes a resolved incident; refused while a required follow-up note is missing.
    package func close(_ id: Int64, by actor: String, note: String? = nil, at: EventTime) throws(IncidentRefusal)
        -> Incident
    {
        try perform(.close(note: note), on: id, by: actor, at: at)
    }

    /// Reopens a resolved or closed incident, with a reason. Its owner (if any) keeps it, in progress.
    package func reopen(_ id: Int64, by actor: String, reason: String, at: EventTime) throws(IncidentRefusal)
        -> Incident
    {
        try perform(.reopen(reason: reason), on: id, by: actor, at: at)
    }

    /// Runs `command` through ``IncidentLifecycle`` in one transaction: loads the incident, writes the
    /// fields the transition changed, executes its effects in order, and returns the incident after.
    package func perform(_ command: IncidentCommand, on id: Int64, by actor: String, at: EventTime)
        throws(IncidentRefusal) -> Incident
    {
        try IncidentLifecycle.validate(command, actor: actor)
        return try connection.withLock { (c: inout Connection) throws(IncidentRefusal) -> Incident in
            try c.transactionRefusing { () throws(IncidentRefusal) -> Incident in
                guard let before = try store({ () throws(StoreError) in try IncidentRecords.load(c, id: id) })
                else { throw .notFound("no incident \(id)") }
                let t = try IncidentLifecycle.apply(command, to: before, by: actor, at: at)
                try store { () throws(StoreError) in
                    try IncidentRecords.apply(c, before: before, t, at: at)
                }
                return t.incident
            }
        }
    }

    // MARK: SLA clock

    /// Marks every SLA target that passed (breach) or is close (near-breach, ``IncidentPolicy/nearBreach``)
    /// at `now`, once each, and returns the events to put on the bus (`slaBreached`, `slaNearBreach`) so
    /// rules and routes can act on them — with the events of breaches found since the last sweep by an
    /// acknowledgement, a resolution or an alarm clear (queued in `sla_outbox`). Each breach and each
    /// near-breach is returned by exactly one sweep. The decisions are ``SLAClock``'s; the SQL only
    /// narrows the candidates.
    package func sweep(at now: EventTime) throws(StoreError) -> [Event] {
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
                for target in SLAClock.Target.allCases {
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
                    var candidates: [Incident] = []
                    while try s.step() { candidates.append(IncidentRecords.read(s)) }
                    for before in candidates {
                        var after = before
                        let lines: [JournalLine]
                        switch SLAClock.check(target, of: before, policy: policy, at: now) {
                        case nil: continue
                        case .breached(let due):
                            lines = SLAClock.markBreached(&after, target, due: due, at: now)
                            out.append(SLAClock.event(before, target, due: due, breached: true))
                        case .nearBreach(let due):
                            lines = SLAClock.markWarned(&after, target, due: due)
                            out.append(SLAClock.event(before, target, due: due, breached: false))
                        }
                        let t = IncidentTransition(incident: after, effects: lines.map(IncidentEffect.journal))
                        try IncidentRecords.apply(c, before: before, t, at: now)
                    }
                }
                return out
            }
        }
    }

    /// The events queued for the bus since the last sweep (breaches found outside it); the queue is emptied.
    private func queuedEvents(_ c: Connection) throws(StoreError) -> [Event] {
        let s = try c.prepare("SELECT seq, incident_id, target, breached, due FROM sla_outbox ORDER BY seq")
        var queued: [(seq: Int64, incident: Int64, target: SLAClock.Target?, breached: Bool, due: EventTime)] = []
        while try s.step() {
            queued.append(
                (
                    s.int(0), s.int(1), SLAClock.Target(rawValue: s.text(2)), s.int(3) != 0,
                    EventTime(nanoseconds: s.int(4))
                ))
        }
        guard let last = queued.last?.seq else { return [] }
        var out: [Event] = []
        for q in queued {
            // An incident pruned meanwhile has nobody left to tell.
            guard let target = q.target, let i = try IncidentRecords.load(c, id: q.incident) else { continue }
            out.append(SLAClock.event(i, target, due: q.due, breached: q.breached))
        }
        let d = try c.cached("DELETE FROM sla_outbox WHERE seq <= ?1")
        d.bind(1, last)
        try d.run()
        return out
    }

    // MARK: Plumbing

    /// Runs `body` in one transaction on the desk's connection, for `actor`.
    func write<R: Sendable>(actor: String, _ body: (Connection) throws(IncidentRefusal) -> R) throws(IncidentRefusal)
        -> R
    {
        try IncidentLifecycle.requireActor(actor)
        return try connection.withLock { (c: inout Connection) throws(IncidentRefusal) -> R in
            try c.transactionRefusing { () throws(IncidentRefusal) -> R in try body(c) }
        }
    }

    func store<R>(_ body: () throws(StoreError) -> R) throws(IncidentRefusal) -> R {
        do { return try body() } catch { throw .store(error) }
    }
}

extension Connection {
    /// ``transaction(_:)`` for bodies that refuse with ``IncidentDesk/IncidentRefusal``: a refusal rolls back.
    func transactionRefusing<R>(_ body: () throws(IncidentRefusal) -> R) throws(IncidentRefusal) -> R {
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

extension IncidentDesk: DeskActions {}
