/// The operator actions on an incident: `POST /v1/incidents/{id}/{action}`, each with its body below;
/// the answer is the incident as it stands after the action.
public enum IncidentAction: String, CaseIterable, Sendable {
    case acknowledge = "ack"
    case assign
    case handOver = "handover"
    case note = "notes"
    case resolve
    case close
    case reopen

    /// The path of this action on incident `id`.
    public func path(_ id: Int64) -> String { "/v1/incidents/\(id)/\(rawValue)" }
}

/// `POST /v1/incidents/{id}/ack`: the first acknowledgement takes ownership.
public struct AcknowledgeRequest: ActingRequest {
    public var actor: String?
    public var note: String?
    public init(actor: String? = nil, note: String? = nil) {
        self.actor = actor
        self.note = note
    }
}

/// `POST /v1/incidents/{id}/assign`: to an assignment group (required), with a reason.
public struct AssignRequest: ActingRequest {
    public var actor: String?
    public var group: String?
    public var reason: String?
    public init(actor: String? = nil, group: String?, reason: String? = nil) {
        self.actor = actor
        self.group = group
        self.reason = reason
    }
}

/// `POST /v1/incidents/{id}/handover`: to someone else (`to`, required), with a reason; `override` takes
/// it from its owner (a supervisor's, journalled as such).
public struct HandOverRequest: ActingRequest {
    public var actor: String?
    public var to: String?
    public var reason: String?
    public var override: Bool?
    public init(actor: String? = nil, to: String?, reason: String?, override: Bool? = nil) {
        self.actor = actor
        self.to = to
        self.reason = reason
        self.override = override
    }
}

/// `POST /v1/incidents/{id}/notes`: a work note; `follow_up`: it is the follow-up a flagged CI requires.
public struct NoteRequest: ActingRequest {
    public var actor: String?
    public var text: String?
    public var followUp: Bool?
    public init(actor: String? = nil, text: String?, followUp: Bool? = nil) {
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
public struct ResolveRequest: ActingRequest {
    public var actor: String?
    public var note: String?
    public init(actor: String? = nil, note: String?) {
        self.actor = actor
        self.note = note
    }
}

/// `POST /v1/incidents/{id}/reopen`, with the reason (required).
public struct ReopenRequest: ActingRequest {
    public var actor: String?
    public var reason: String?
    public init(actor: String? = nil, reason: String?) {
        self.actor = actor
        self.reason = reason
    }
}

/// `POST /v1/incidents/{id}/close`: a resolved incident closed, with an optional note (refused while a
/// required follow-up note is missing).
public struct CloseRequest: ActingRequest {
    public var actor: String?
    public var note: String?
    public init(actor: String? = nil, note: String? = nil) {
        self.actor = actor
        self.note = note
    }
}
