import Synchronization

/// The alarm changes produced from one batch of events, with repeats coalesced.
///
/// A flood of a million events for one alarm must not become a million rows and a million stream lines:
/// within a batch, a `repeated` change replaces the previous `raised` or `repeated` entry of the same
/// alarm (keeping its kind), so the batch holds at most one entry per alarm between raise and clear and
/// the latest snapshot always carries the exact count. Raises and clears are never merged away.
package struct ChangeBatch: Sendable {
    /// The changes in the order they happened.
    package private(set) var changes: [AlarmChange] = []
    // alarm id -> index of its latest raised/repeated entry in `changes`.
    private var latest: [UInt64: Int] = [:]
    // alarm id -> index of its latest `updated` entry: a repeat must not fold into an entry before it.
    private var barriers: [UInt64: Int] = [:]
    // Unique per batch content (new on init and on every reset), so an `EntryHint` from an earlier batch
    // can never point into this one.
    private var generation = ChangeBatch.nextGeneration()
    private var shortGeneration: UInt32 { UInt32(truncatingIfNeeded: generation) }

    /// Where an alarm's entry sits in a batch; the engine keeps one per active alarm so a repeat finds its
    /// entry without a hash lookup. A stale hint (another batch) is simply ignored.
    package struct EntryHint: Sendable, Hashable {
        // 8 bytes in all: it sits beside every active alarm. A truncated generation may repeat after 2^32
        // batches; the alarm-id check on use makes such a match harmless.
        var generation: UInt32 = 0
        var index: Int32 = -1

        package init() {}
    }

    package init() {}

    private static let generations = Atomic<UInt64>(1)

    private static func nextGeneration() -> UInt64 {
        generations.add(1, ordering: .relaxed).newValue
    }

    package var isEmpty: Bool { changes.isEmpty }
    package var count: Int { changes.count }

    /// Adds a change, coalescing repeats.
    package mutating func append(_ change: AlarmChange) {
        // A repeat with its event (`record: every`) stays a change of its own, however batches are merged.
        if change.kind == .repeated, change.origin != nil { return appendRecorded(change) }
        switch change.kind {
        case .raised:
            latest[change.alarm.id] = changes.count
            changes.append(change)
        case .repeated:
            if let i = latest[change.alarm.id] {
                changes[i].alarm = change.alarm
                if changes[i].kind != .raised { changes[i].at = change.at }  // a raise keeps its own time
            } else {
                latest[change.alarm.id] = changes.count
                changes.append(change)
            }
        case .cleared, .updated:
            latest[change.alarm.id] = nil
            if change.kind == .updated { barriers[change.alarm.id] = changes.count }
            changes.append(change)
        }
    }

    /// A repeat recorded on its own (`record: every`, with the event as its origin): never coalesced, and no
    /// later repeat folds into it or into an entry before it.
    package mutating func appendRecorded(_ change: AlarmChange) {
        latest[change.alarm.id] = nil
        barriers[change.alarm.id] = changes.count
        changes.append(change)
    }

    /// Records a raise and returns the hint for later repeats of the alarm.
    package mutating func appendRaised(
        _ alarm: Alarm, at now: EventTime, origin: Event? = nil, routes: [RouteDecision] = []
    ) -> EntryHint {
        append(AlarmChange(kind: .raised, alarm: alarm, at: now, origin: origin, routes: routes))
        var hint = EntryHint()
        hint.generation = shortGeneration
        hint.index = Int32(changes.count - 1)
        return hint
    }

    /// Records a repeat using the engine's hint: with a current hint the entry is updated in place without
    /// any lookup; otherwise a new entry (made by `alarm`) is appended and the hint updated. (A repeat
    /// appended here may leave an earlier entry of the same alarm in the batch; applying both in order
    /// gives the same result.)
    @inline(__always)
    package mutating func appendRepeat(
        id: UInt64, count: Int64, lastSeen: EventTime, severity: Severity, summary: String, at now: EventTime,
        hint: inout EntryHint, alarm: () -> Alarm
    ) {
        let i = Int(hint.index)
        if hint.generation == shortGeneration, i >= 0, i < changes.count, changes[i].alarm.id == id,
            barriers.isEmpty || (barriers[id] ?? -1) < i
        {
            changes[i].alarm.count = count
            changes[i].alarm.lastSeen = lastSeen
            changes[i].alarm.severity = severity
            if changes[i].alarm.summary != summary { changes[i].alarm.summary = summary }
            if changes[i].kind != .raised { changes[i].at = now }  // a raise keeps its own time
            return
        }
        hint.generation = shortGeneration
        hint.index = Int32(truncatingIfNeeded: changes.count)
        changes.append(AlarmChange(kind: .repeated, alarm: alarm(), at: now))
    }

    /// ``appendRepeat(id:count:lastSeen:severity:summary:at:hint:alarm:)`` for a whole alarm value.
    package mutating func appendRepeat(of alarm: Alarm, at now: EventTime, hint: inout EntryHint) {
        appendRepeat(
            id: alarm.id, count: alarm.count, lastSeen: alarm.lastSeen, severity: alarm.severity,
            summary: alarm.summary, at: now, hint: &hint, alarm: { alarm })
    }

    /// Takes the changes out, leaving this batch empty (with a new generation) and its lookup storage
    /// ready for reuse.
    package mutating func take() -> ChangeBatch {
        var out = ChangeBatch()
        out.changes = changes
        changes = []
        changes.reserveCapacity(out.changes.count)
        latest.removeAll(keepingCapacity: true)
        barriers.removeAll()
        generation = Self.nextGeneration()
        return out
    }

    /// Records a repeat of an active alarm: updates the batch's entry for it in place (no copy of the whole
    /// alarm) or appends one. Same result as `append(AlarmChange(kind: .repeated, ...))`, cheaper.
    package mutating func appendRepeat(of alarm: borrowing Alarm, at now: EventTime) {
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
    package mutating func append(contentsOf other: ChangeBatch) {
        for c in other.changes { append(c) }
    }

    /// Empties the batch, keeping its storage for the next one.
    package mutating func removeAll() {
        changes.removeAll(keepingCapacity: true)
        latest.removeAll(keepingCapacity: true)
        barriers.removeAll()
        generation = Self.nextGeneration()
    }
}
