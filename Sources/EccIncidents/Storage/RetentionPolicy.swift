/// How long history is kept. Nil keeps it forever.
package struct RetentionPolicy: Sendable, Equatable {
    /// Closed incidents (by closing time), with their journal and alarm links.
    package var closedIncidents: Int64?
    /// Cleared alarms no kept incident refers to, with their changes and raising events.
    package var clearedAlarms: Int64?
    /// Rows of the alarm change journal (`alarm_changes`), whatever their alarm.
    package var alarmChanges: Int64?
    /// Pruned incidents are first appended here as JSON lines (`incidents-YYYY-MM-DD.jsonl`).
    package var archiveDirectory: String?
    /// Finished notifications (sent, failed, digested, skipped) with their attempts, and ended escalations,
    /// by when they were made.
    package var notifications: Int64?

    package init(
        closedIncidents: Int64? = nil, clearedAlarms: Int64? = nil, alarmChanges: Int64? = nil,
        archiveDirectory: String? = nil, notifications: Int64? = nil
    ) {
        self.notifications = notifications
        self.closedIncidents = closedIncidents
        self.clearedAlarms = clearedAlarms
        self.alarmChanges = alarmChanges
        self.archiveDirectory = archiveDirectory
    }

    package var isEmpty: Bool {
        closedIncidents == nil && clearedAlarms == nil && alarmChanges == nil && notifications == nil
    }
}

/// What one pruning pass removed.
package struct Pruned: Sendable, Equatable {
    package var incidents = 0
    package var alarms = 0
    package var alarmChanges = 0
    package var notifications = 0

    package init() {}
}
