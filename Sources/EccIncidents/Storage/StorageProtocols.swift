import EccCore

/// The read side of the store as the API and the daemon use it. SQLite implements it (`StoreReader` in
/// EccStore); another backend (PostgreSQL) implements the same narrow surface on this model.
package protocol StoreQueries: Sendable {
    func alarms(state: AlarmState?, limit: Int) throws(StoreError) -> [Alarm]
    func alarmOrigin(id: UInt64) throws(StoreError) -> (alarm: Alarm, event: String?, notify: [String])?
    func incidents(_ filter: IncidentFilter) throws(StoreError) -> [Incident]
    func incident(id: Int64) throws(StoreError) -> IncidentDetail?
    func suggestions(for incident: Incident) throws(StoreError) -> [Suggestion]
    func problems(ofIncident id: Int64) throws(StoreError) -> [Int64]
    func cis() throws(StoreError) -> [ConfigurationItem]
    func cmdbItems() throws(StoreError) -> [CMDB.Item]
    func changes(state: ChangeState?, limit: Int) throws(StoreError) -> [Change]
    func changeWindows(since: EventTime) throws(StoreError) -> [MaintenanceWindow]
    func problems(state: ProblemState?, limit: Int) throws(StoreError) -> [Problem]
    func problem(id: Int64) throws(StoreError) -> Problem?
    func knowledge() throws(StoreError) -> [KnowledgeArticle]
}

/// What people (and eccd's clocks) do to incidents, changes, problems, CIs and knowledge. SQLite
/// implements it (`IncidentDesk` in EccStore), executing ``IncidentLifecycle``'s transitions. Every action
/// is one transaction and one or more journal rows.
package protocol DeskActions: Sendable {
    func acknowledge(_ id: Int64, by actor: String, note: String?, at: EventTime) throws(IncidentRefusal)
        -> Incident
    func assign(_ id: Int64, group: String, by actor: String, reason: String?, at: EventTime)
        throws(IncidentRefusal) -> Incident
    func handOver(_ id: Int64, to newOwner: String, by actor: String, reason: String, override: Bool, at: EventTime)
        throws(IncidentRefusal) -> Incident
    func addNote(_ id: Int64, text: String, followUp: Bool, by actor: String, at: EventTime)
        throws(IncidentRefusal) -> Incident
    func resolve(_ id: Int64, by actor: String, note: String, at: EventTime) throws(IncidentRefusal) -> Incident
    func close(_ id: Int64, by actor: String, note: String?, at: EventTime) throws(IncidentRefusal) -> Incident
    func reopen(_ id: Int64, by actor: String, reason: String, at: EventTime) throws(IncidentRefusal) -> Incident
    func sweep(at now: EventTime) throws(StoreError) -> [Event]
    func importCIs(_ items: [ConfigurationItem], by actor: String, at: EventTime) throws(IncidentRefusal) -> (
        added: Int, updated: Int
    )
    func requestChange(
        title: String, description: String?, start: EventTime, end: EventTime, cis: [String], by actor: String,
        at: EventTime
    ) throws(IncidentRefusal) -> Change
    func decideChange(_ id: Int64, _ decision: ChangeState, by actor: String, note: String?, at: EventTime)
        throws(IncidentRefusal) -> Change
    func openProblem(title: String, incidents: [Int64], by actor: String, at: EventTime)
        throws(IncidentRefusal) -> Problem
    func linkIncident(_ incident: Int64, toProblem id: Int64, by actor: String, at: EventTime)
        throws(IncidentRefusal) -> Problem
    func updateProblem(
        _ id: Int64, state: ProblemState?, rootCause: String?, workaround: String?, matchText: String?,
        by actor: String, at: EventTime
    ) throws(IncidentRefusal) -> Problem
    func addArticle(
        title: String, body: String, rule: String?, ci: String?, text: String?, by actor: String, at: EventTime
    ) throws(IncidentRefusal) -> KnowledgeArticle
    func prune(_ policy: RetentionPolicy, at now: EventTime) throws(IncidentRefusal) -> Pruned
}

extension StoreQueries {
    package func changes(state: ChangeState? = nil) throws(StoreError) -> [Change] {
        try changes(state: state, limit: 1000)
    }

    package func problems() throws(StoreError) -> [Problem] { try problems(state: nil, limit: 1000) }
}
