import EccCore

/// The SLA clock's decisions on one incident: a target missed or close, what that marks, and the event
/// rules and routes see (`slaBreached`, `slaNearBreach`, source `itsm`). The store's sweep selects the
/// candidates and executes these.
package enum SLAClock {
    /// The two targets every priority has.
    package enum Target: String, Sendable, CaseIterable {
        /// Time to the first acknowledgement.
        case response
        /// Time to resolution.
        case resolution
    }

    /// What the sweep finds on a target.
    package enum Finding: Sendable, Equatable {
        /// The target passed at `due` and was not yet marked missed.
        case breached(due: EventTime)
        /// ``IncidentPolicy/nearBreach`` of the target has passed, not yet announced.
        case nearBreach(due: EventTime)
    }

    package static func due(_ target: Target, of i: Incident) -> EventTime? {
        target == .response ? i.responseDue : i.resolutionDue
    }

    package static func isBreached(_ target: Target, of i: Incident) -> Bool {
        target == .response ? i.responseBreached : i.resolutionBreached
    }

    package static func isWarned(_ target: Target, of i: Incident) -> Bool {
        target == .response ? i.responseWarned : i.resolutionWarned
    }

    /// Whether the clock of `target` runs for an incident in this state: the response clock until the
    /// first acknowledgement, the resolution clock while the incident is open.
    package static func runs(_ target: Target, in state: IncidentState) -> Bool {
        target == .response ? state == .new : state.isOpen
    }

    /// The due time of `target` when an action at `now` finds it passed and not yet marked (a breach the
    /// sweep has not seen).
    package static func missed(_ target: Target, of i: Incident, at now: EventTime) -> EventTime? {
        guard let due = due(target, of: i), now > due, !isBreached(target, of: i) else { return nil }
        return due
    }

    /// What the sweep at `now` finds on `target` of `i`, if anything.
    package static func check(_ target: Target, of i: Incident, policy: IncidentPolicy, at now: EventTime) -> Finding? {
        guard runs(target, in: i.state), let due = due(target, of: i), !isBreached(target, of: i) else { return nil }
        if due <= now { return .breached(due: due) }
        guard policy.nearBreach > 0, !isWarned(target, of: i),
            policy.nearBreachPoint(priority: i.priority, opened: i.openedAt, due: due) <= now
        else { return nil }
        return .nearBreach(due: due)
    }

    /// A target an action or an alarm clear finds passed and not yet marked (the sweep had not seen it):
    /// marked, journalled, and its event queued for the next sweep. No effects when it is not missed.
    static func markIfMissed(_ i: inout Incident, _ target: Target, at now: EventTime) -> [IncidentEffect] {
        guard let due = missed(target, of: i, at: now) else { return [] }
        return markBreached(&i, target, due: due, at: now).map(IncidentEffect.journal)
            + [.queueBreachEvent(target, due: due)]
    }

    /// Marks `target` missed (its near-breach counts as announced too) and returns the journal line.
    package static func markBreached(_ i: inout Incident, _ target: Target, due: EventTime, at now: EventTime)
        -> [JournalLine]
    {
        switch target {
        case .response: (i.responseBreached, i.responseWarned) = (true, true)
        case .resolution: (i.resolutionBreached, i.resolutionWarned) = (true, true)
        }
        return [
            JournalLine(
                actor: "eccd", action: .slaBreached, field: target.rawValue, new: due.description,
                note: "\(target.rawValue) target missed: was due \(due)")
        ]
    }

    /// Marks the near-breach of `target` announced and returns the journal line.
    package static func markWarned(_ i: inout Incident, _ target: Target, due: EventTime) -> [JournalLine] {
        switch target {
        case .response: i.responseWarned = true
        case .resolution: i.resolutionWarned = true
        }
        return [
            JournalLine(
                actor: "eccd", action: .slaNearBreach, field: target.rawValue, new: due.description,
                note: "\(target.rawValue) target near: due \(due)")
        ]
    }

    /// The event for the bus: `slaBreached` (major) or `slaNearBreach` (warning), at the due time.
    package static func event(_ i: Incident, _ target: Target, due: EventTime, breached: Bool) -> Event {
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
}
