import EccAPI
import EccCore

// Incidents as EccAPI's answers (the API's JSON, and the retention archive's lines): the one place where
// that shape meets the model.

extension IncidentView {
    public init(_ i: Incident) {
        self.init(
            id: i.id, state: i.state, priority: "P\(i.priority)", severity: i.severity.name, title: i.title,
            host: i.host, ci: i.ci, assignmentGroup: i.assignmentGroup, owner: i.owner,
            openedAt: i.openedAt.description, updatedAt: i.updatedAt.description,
            acknowledgedAt: i.acknowledgedAt?.description, resolvedAt: i.resolvedAt?.description,
            closedAt: i.closedAt?.description, responseDue: i.responseDue?.description,
            resolutionDue: i.resolutionDue?.description, responseBreached: i.responseBreached,
            resolutionBreached: i.resolutionBreached, reopenCount: i.reopenCount, followUpRequired: i.followUpRequired,
            followUpDone: i.followUpDone, alarm: AlarmView(i.alarm))
    }
}

extension IncidentDetailView {
    public init(_ d: IncidentDetail, suggestions: [Suggestion] = [], problems: [Int64] = []) {
        self.init(
            suggestions: suggestions.map {
                SuggestionView(kind: $0.kind, id: $0.id, title: $0.title, text: $0.text, matchedBy: $0.matchedBy)
            },
            problems: problems, incident: IncidentView(d.incident),
            journal: d.journal.map {
                JournalEntryView(
                    seq: $0.seq, at: $0.at.description, actor: $0.actor, action: $0.action, field: $0.field,
                    old: $0.old, new: $0.new, note: $0.note)
            },
            alarms: d.alarms.map { LinkedAlarm(role: $0.role, alarm: AlarmView($0.alarm)) })
    }
}
