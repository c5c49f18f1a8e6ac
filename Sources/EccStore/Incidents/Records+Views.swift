import EccAPI
import EccCore
import EccIncidents

// Incidents and ITSM records as EccAPI's answers (the API's JSON, the retention archive's lines): the
// one place where that shape meets the model.

extension IncidentView {
    package init(_ i: Incident) {
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
    package init(_ d: IncidentDetail, suggestions: [Suggestion] = [], problems: [Int64] = []) {
        self.init(
            suggestions: suggestions.map {
                SuggestionView(kind: $0.kind, id: $0.id, title: $0.title, text: $0.text, matchedBy: $0.matchedBy)
            },
            problems: problems, incident: IncidentView(d.incident),
            journal: d.journal.map {
                JournalEntryView(
                    seq: $0.seq, at: $0.at.description, actor: $0.actor, action: $0.actionText, field: $0.field,
                    old: $0.old, new: $0.new, note: $0.note)
            },
            alarms: d.alarms.map { LinkedAlarm(role: $0.role, alarm: AlarmView($0.alarm)) })
    }
}

extension CIView {
    package init(_ ci: ConfigurationItem) {
        self.init(name: ci.name, parent: ci.parent, attributes: ci.attributes, updatedAt: ci.updatedAt.description)
    }
}

extension ChangeView {
    package init(_ c: Change) {
        self.init(
            id: c.id, title: c.title, description: c.description, state: c.state, start: c.start.description,
            end: c.end.description, cis: c.cis, requestedBy: c.requestedBy, approvedBy: c.approvedBy,
            maintenanceWindow: c.windowName, createdAt: c.createdAt.description, updatedAt: c.updatedAt.description)
    }
}

extension ProblemView {
    package init(_ p: Problem) {
        self.init(
            id: p.id, title: p.title, state: p.state, rootCause: p.rootCause, workaround: p.workaround,
            matchText: p.matchText, createdBy: p.createdBy, createdAt: p.createdAt.description,
            updatedAt: p.updatedAt.description, incidents: p.incidents)
    }
}

extension KnowledgeView {
    package init(_ k: KnowledgeArticle) {
        self.init(
            id: k.id, title: k.title, body: k.body, rule: k.matchRule, ci: k.matchCI, text: k.matchText,
            createdBy: k.createdBy, createdAt: k.createdAt.description)
    }
}
