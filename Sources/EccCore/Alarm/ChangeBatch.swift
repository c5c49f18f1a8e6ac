/// The alarm changes produced from one batch of events, with repeats coalesced.
///
/// A flood of a million events for one alarm must not become a million rows and a million stream lines:
/// within a batch, a `repeated` change replaces the previous `raised` or `repeated` entry of the same
/// alarm (keeping its kind), so the batch holds at most one entry per alarm between raise and clear and
/// the latest snapshot always carries the exact count. Raises and clears are never merged away.
public struct ChangeBatch: Sendable {
    /// The changes in the order they happened.
    public private(set) var changes: [AlarmChange] = []
    // alarm id -> index of its latest raised/repeated entry in `changes`.
    private var latest: [UInt64: Int] = [:]

    public init() {}

    public var isEmpty: Bool { changes.isEmpty }
    public var count: Int { changes.count }

    /// Adds a change, coalescing repeats.
    public mutating func append(_ change: AlarmChange) {
        switch change.kind {
        case .raised:
            latest[change.alarm.id] = changes.count
            changes.append(change)
        case .repeated:
            if let i = latest[change.alarm.id] {
                changes[i].alarm = change.alarm
                changes[i].at = change.at
            } else {
                latest[change.alarm.id] = changes.count
                changes.append(change)
            }
        case .cleared:
            latest[change.alarm.id] = nil
            changes.append(change)
        }
    }

    /// Records a repeat of an active alarm: updates the batch's entry for it in place (no copy of the whole
    /// alarm) or appends one. Same result as `append(AlarmChange(kind: .repeated, ...))`, cheaper.
    public mutating func appendRepeat(of alarm: borrowing Alarm, at now: EventTime) {
        if let i = latest[alarm.id] {
            changes[i].alarm.count = alarm.count
            changes[i].alarm.lastSeen = alarm.lastSeen
            changes[i].alarm.severity = alarm.severity
            if changes[i].alarm.summary != alarm.summary { changes[i].alarm.summary = alarm.summary }
            changes[i].at = now
        } else {
            latest[alarm.id] = changes.count
            changes.append(AlarmChange(kind: .repeated, alarm: copy alarm, at: now))
        }
    }

    /// Appends every change of another batch, coalescing across the two.
    public mutating func append(contentsOf other: ChangeBatch) {
        for c in other.changes { append(c) }
    }

    /// Empties the batch, keeping its storage for the next one.
    public mutating func removeAll() {
        changes.removeAll(keepingCapacity: true)
        latest.removeAll(keepingCapacity: true)
    }
}
