/// How long history is kept. Nil keeps it forever.
public struct RetentionPolicy: Sendable, Equatable {
    /// Closed incidents (by closing time), with their journal and alarm links.
    public var closedIncidents: Int64?
    /// Cleared alarms no kept incident refers to, with their changes and raising events.
    public var clearedAlarms: Int64?
    /// Rows of the alarm change journal (`alarm_changes`), whatever their alarm.
    public var alarmChanges: Int64?
    /// Pruned incidents are first appended here as JSON lines (`incidents-YYYY-MM-DD.jsonl`).
    public var archiveDirectory: String?
    /// Finished notifications (sent, failed, digested, skipped) with their attempts, and ended escalations,
    /// by when they were made.
    public var notifications: Int64?

    public init(
        closedIncidents: Int64? = nil, clearedAlarms: Int64? = nil, alarmChanges: Int64? = nil,
        archiveDirectory: String? = nil, notifications: Int64? = nil
    ) {
        self.notifications = notifications
        self.closedIncidents = closedIncidents
        self.clearedAlarms = clearedAlarms
        self.alarmChanges = alarmChanges
        self.archiveDirectory = archiveDirectory
    }

    public var isEmpty: Bool {
        closedIncidents == nil && clearedAlarms == nil && alarmChanges == nil && notifications == nil
    }
}

/// What one pruning pass removed.
public struct Pruned: Sendable, Equatable {
    public var incidents = 0
    public var alarms = 0
    public var alarmChanges = 0
    public var notifications = 0

    public init() {}
}
