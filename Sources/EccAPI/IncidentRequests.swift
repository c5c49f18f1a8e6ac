/// The operator actions on an incident: `POST /v1/incidents/{id}/{action}`, each with its body below;
/// the answer is the incident as it stands after the action.
package enum IncidentAction: String, CaseIterable, Sendable {
    case acknowledge = "ack"
    case assign
    case handOver = "handover"
    case note = "notes"
    case resolve
    case close
    case reopen

    /// The path of this action on incident `id`.
    package func path(_ id: Int64) -> String { "/v1/incidents/\(id)/\(rawValue)" }
}

/// `POST /v1/incidents/{id}/ack`: the first acknowledgement takes ownership.
package struct AcknowledgeRequest: ActingRequest {
    package var actor: String?
    package var note: String?
    package init(actor: String? = nil, note: String? = nil) {
        self.actor = actor
        self.note = note
    }
}

/// `POST /v1/incidents/{id}/assign`: to an assignment group (required), with a reason.
package struct AssignRequest: ActingRequest {
    package var actor: String?
    package var group: String?
    package var reason: String?
    package init(actor: String? = nil, group: String?, reason: String? = nil) {
        self.actor = actor
        self.group = group
        self.reason = reason
    }
}

/// `POST /v1/incidents/{id}/handover`: to someone else (`to`, required), with a reason; `override` takes
/// it from its owner (a supervisor's, journalled as such).
package struct HandOverRequest: ActingRequest {
    package var actor: String?
    package var to: String?
    package var reason: String?
    package var override: Bool?
    package init(actor: String? = nil, to: String?, reason: String?, override: Bool? = nil) {
        self.actor = actor
        self.to = to
        self.reason = reason
        self.override = override
    }
}

/// `POST /v1/incidents/{id}/notes`: a work note; `follow_up`: it is the follow-up a flagged CI requires.
package struct NoteRequest: ActingRequest {
    package var actor: String?
    package var text: String?
    package var followUp: Bool?
    package init(actor: String? = nil, text: String?, followUp: Bool? = nil) {
        self.actor = actor
        self.text = text
        self.followUp = followUp
    }
    enum CodingKeys: String, CodingKey {
        case actor, text
        case followUp = "follow_up"
    }
}

/// `POST /v1/incidents/{id}/resolve`, with what fixed it (`note`, required).
package struct ResolveRequest: ActingRequest {
    package var actor: String?
    package var note: String?
    package init(actor: String? = nil, note: String?) {
        self.actor = actor
        self.note = note
    }
}

/// `POST /v1/incidents/{id}/reopen`, with the reason (required).
package struct ReopenRequest: ActingRequest {
    package var actor: String?
    package var reason: String?
    package init(actor: String? = nil, reason: String?) {
        self.actor = actor
        self.reason = reason
    }
}

/// `POST /v1/incidents/{id}/close`: a resolved incident closed, with an optional note (refused while a
/// required follow-up note is missing).
package struct CloseRequest: ActingRequest {
    package var actor: String?
    package var note: String?
    package init(actor: String? = nil, note: String? = nil) {
        self.actor = actor
        self.note = note
    }
}
