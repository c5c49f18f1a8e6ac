import EccCore

/// What an operator does to an incident (`POST /v1/incidents/{id}/…`, `eccctl incidents …`).
package enum IncidentCommand: Sendable, Equatable {
    /// A new incident becomes acknowledged and, if nobody owns it, owned by the actor.
    case acknowledge(note: String?)
    /// To an assignment group (its owner stays until a hand-over).
    case assign(group: String, reason: String?)
    /// Ownership to someone else, with a reason: by the owner, or by anyone with `override`.
    case handOver(to: String, reason: String, override: Bool)
    /// A work note; `followUp` records the follow-up a flagged CI or customer requires.
    case note(text: String, followUp: Bool)
    /// An open incident, with a resolution note.
    case resolve(note: String)
    /// A resolved incident; refused while a required follow-up note is missing.
    case close(note: String?)
    /// A resolved or closed incident, with a reason; its owner (if any) keeps it, in progress.
    case reopen(reason: String)
}

/// One line for an incident's journal: who (the transition's actor, or `eccd`), what, old → new, why.
package struct JournalLine: Sendable, Hashable {
    package var actor: String
    package var action: JournalAction
    package var field: String?
    package var old: String?
    package var new: String?
    package var note: String?

    package init(
        actor: String, action: JournalAction, field: String? = nil, old: String? = nil, new: String? = nil,
        note: String? = nil
    ) {
        self.actor = actor
        self.action = action
        self.field = field
        self.old = old
        self.new = new
        self.note = note
    }
}

/// What a transition asks of the store besides the incident's new fields, in the order given, in the same
/// transaction.
package enum IncidentEffect: Sendable, Equatable {
    /// Append to the incident's journal.
    case journal(JournalLine)
    /// End the escalations running for the incident (someone answered).
    case stopEscalations(reason: String)
    /// A target found missed by this action (the SLA sweep had not yet): its event goes on the bus at the
    /// next sweep.
    case queueBreachEvent(SLAClock.Target, due: EventTime)
}

/// An incident after a command, and what the store must do besides writing its changed fields.
package struct IncidentTransition: Sendable, Equatable {
    package var incident: Incident
    package var effects: [IncidentEffect]

    package init(incident: Incident, effects: [IncidentEffect]) {
        self.incident = incident
        self.effects = effects
    }

    /// The journal lines among the effects, in order.
    package var journal: [JournalLine] {
        effects.compactMap { if case .journal(let line) = $0 { line } else { nil } }
    }
}

/// The incident lifecycle: which commands an incident in a given state and ownership accepts, what they
/// change and what they cause. Pure: no clock but the time given, no storage; the store loads the
/// incident, applies the transition and executes its effects in one transaction.
///
/// ```
///  new ──ack──▶ acknowledged ──owner's note──▶ in_progress
///   │               │                               │
///   └──────────── resolve (or the alarm clears) ────┴──▶ resolved ──close──▶ closed
///                                                         ▲   │                │
///                                      reopen (owner kept) └───┴──── reopen ────┘
/// ```
package enum IncidentLifecycle {
    /// Refuses a command that is incomplete in itself, before any incident is looked at (HTTP 400).
    package static func validate(_ command: IncidentCommand, actor: String) throws(IncidentRefusal) {
        switch command {
        case .assign(let group, _):
            guard !group.isEmpty else { throw .invalid("give the assignment group") }
        case .handOver(let to, let reason, _):
            guard !to.isEmpty else { throw .invalid("give who takes the incident over (to)") }
            guard !reason.trimmed.isEmpty else { throw .invalid("a hand-over needs a reason") }
        case .note(let text, _):
            guard !text.trimmed.isEmpty else { throw .invalid("the note is empty") }
        case .resolve(let note):
            guard !note.trimmed.isEmpty else { throw .invalid("resolving needs a resolution note") }
        case .reopen(let reason):
            guard !reason.trimmed.isEmpty else { throw .invalid("reopening needs a reason") }
        case .acknowledge, .close:
            break
        }
        try requireActor(actor)
    }

    /// Every action names who does it (the journal's actor), incidents and ITSM records alike.
    package static func requireActor(_ actor: String) throws(IncidentRefusal) {
        guard !actor.trimmed.isEmpty else { throw .invalid("say who you are (actor)") }
    }

    /// `command` by `actor` at `now` on `incident`: the incident after (its `updatedAt` is `now` even when
    /// nothing else changes) and the effects, or why it is refused (nothing changes then).
    package static func apply(_ command: IncidentCommand, to incident: Incident, by actor: String, at now: EventTime)
        throws(IncidentRefusal) -> IncidentTransition
    {
        try validate(command, actor: actor)
        var i = incident
        var effects: [IncidentEffect] = []
        let id = i.id
        func journal(_ action: JournalAction, _ field: String?, _ old: String?, _ new: String?, _ note: String?) {
            effects.append(
                .journal(JournalLine(actor: actor, action: action, field: field, old: old, new: new, note: note)))
        }
        func state(_ new: IncidentState, _ action: JournalAction, _ note: String?) {
            journal(action, "state", i.state.rawValue, new.rawValue, note)
            i.state = new
        }
        func breach(_ target: SLAClock.Target) { effects += SLAClock.markIfMissed(&i, target, at: now) }
        let reopenFirst = IncidentRefusal.conflict("incident \(id) is \(i.state); reopen it first")

        switch command {
        case .acknowledge(let note):
            if let owner = i.owner, owner != actor {
                throw .conflict(
                    "incident \(id) is owned by \(owner); ask them to hand it over "
                        + "(eccctl incidents handover \(id) --to \(actor) --reason ...)")
            }
            guard i.state == .new else {
                guard i.state == .acknowledged || i.state == .inProgress else { throw reopenFirst }
                // Already acknowledged by its owner: nothing changes, but an escalation started since (an SLA
                // breach, a re-raise) is answered by this acknowledgement.
                effects.append(.stopEscalations(reason: "incident \(id) acknowledged again by \(actor)"))
                break
            }
            state(.acknowledged, .acknowledged, note)
            i.acknowledgedAt = now
            effects.append(.stopEscalations(reason: "incident \(id) acknowledged by \(actor)"))
            if i.owner == nil {
                i.owner = actor
                journal(.owner, "owner", nil, actor, "first acknowledgement takes ownership")
            }
            breach(.response)

        case .assign(let group, let reason):
            guard i.state.isOpen else { throw reopenFirst }
            guard i.assignmentGroup != group else { break }
            journal(.assigned, "assignment_group", i.assignmentGroup, group, reason)
            i.assignmentGroup = group

        case .handOver(let newOwner, let reason, let override):
            guard i.state.isOpen else { throw reopenFirst }
            guard let owner = i.owner else {
                throw .conflict("incident \(id) has no owner yet: acknowledging it takes ownership")
            }
            guard owner == actor || override else {
                throw .conflict(
                    "incident \(id) is owned by \(owner); only they hand it over (or a supervisor with override)")
            }
            guard owner != newOwner else { throw .conflict("incident \(id) is already owned by \(newOwner)") }
            i.owner = newOwner
            journal(override ? .handedOverByOverride : .handedOver, "owner", owner, newOwner, reason)

        case .note(let text, let followUp):
            journal(followUp ? .followUp : .note, nil, nil, nil, text)
            if followUp { i.followUpDone = true }
            // The owner's first note on an acknowledged incident starts the work.
            if i.state == .acknowledged, i.owner == actor { state(.inProgress, .inProgress, "work started") }

        case .resolve(let note):
            guard i.state.isOpen else { throw .conflict("incident \(id) is already \(i.state)") }
            breach(.resolution)
            state(.resolved, .resolved, note)
            i.resolvedAt = now
            effects.append(.stopEscalations(reason: "incident \(id) resolved by \(actor)"))

        case .close(let note):
            guard i.state == .resolved else {
                throw .conflict("incident \(id) is \(i.state); only a resolved incident can be closed")
            }
            if i.followUpRequired && !i.followUpDone {
                throw .conflict(
                    "incident \(id) needs a follow-up note before it can be closed "
                        + "(eccctl incidents note \(id) --follow-up \"...\")")
            }
            state(.closed, .closed, note)
            i.closedAt = now

        case .reopen(let reason):
            guard !i.state.isOpen else { throw .conflict("incident \(id) is open (\(i.state))") }
            state(i.owner == nil ? .new : .inProgress, .reopened, reason)
            i.resolvedAt = nil
            i.closedAt = nil
            i.reopenCount += 1
        }
        i.updatedAt = now
        return IncidentTransition(incident: i, effects: effects)
    }
}

extension String {
    /// Without leading blanks: a note of only spaces is empty.
    var trimmed: String { String(self.drop { $0 == " " || $0 == "\n" || $0 == "\t" }) }
}
