/// The correlation engine: a pure state machine from events to alarm changes.
///
/// The engine performs no I/O and never reads a clock; the caller hands it each event and the current
/// processing time, and performs whatever the resulting ``ChangeBatch`` asks for (store, stream, notify).
/// Given the same rules, events and times it produces the same changes, whatever the batch sizes.
public struct Engine: Sendable {
    /// The rules in force.
    public internal(set) var rules: RuleSet
    // Parallel to `rules.rules`: the active alarms of each rule by key.
    var states: [RuleState]
    /// The id the next raised alarm gets.
    public private(set) var nextAlarmID: UInt64

    struct RuleState: Sendable {
        var active: [String: Alarm] = [:]
    }

    /// Creates an engine with no active alarms.
    public init(rules: RuleSet, nextAlarmID: UInt64 = 1) {
        self.rules = rules
        self.states = Array(repeating: RuleState(), count: rules.rules.count)
        self.nextAlarmID = max(1, nextAlarmID)
    }

    /// How many alarms are active.
    public var activeAlarmCount: Int { states.reduce(0) { $0 + $1.active.count } }

    /// The active alarms, by rule order then key.
    public var activeAlarms: [Alarm] {
        states.flatMap { $0.active.values.sorted { $0.key < $1.key } }
    }

    /// Restores active alarms (from the store, after a restart) so repeats keep counting instead of raising
    /// duplicates. Alarms of rules that no longer exist are returned, not restored.
    @discardableResult
    public mutating func restore(_ alarms: [Alarm]) -> [Alarm] {
        var byName: [String: Int] = [:]
        for (i, r) in rules.rules.enumerated() { byName[r.name] = i }
        var orphans: [Alarm] = []
        for a in alarms where a.state == .active {
            nextAlarmID = max(nextAlarmID, a.id + 1)
            if let i = byName[a.rule] { states[i].active[a.key] = a } else { orphans.append(a) }
        }
        return orphans
    }

    /// Raises the id counter so new alarms never reuse an id already in the store.
    public mutating func reserveAlarmIDs(below id: UInt64) {
        nextAlarmID = max(nextAlarmID, id)
    }

    /// Processes one event at processing time `now`, appending the resulting changes to `batch`.
    ///
    /// Clearing is evaluated before raising: every rule whose `clear_when` matches clears its alarm for
    /// the event's key; then rules whose `when` matches raise or repeat, in order, until one with
    /// `stop: true` matched.
    public mutating func handle(_ event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        for i in rules.clearCandidates(type: event.type) {
            let rule = rules.rules[i]
            guard let clear = rule.clearWhen, clear.matches(event) else { continue }
            let key = rule.key.render(event)
            guard var alarm = states[i].active.removeValue(forKey: key) else { continue }
            alarm.state = .cleared
            alarm.clearedAt = event.time
            batch.append(AlarmChange(kind: .cleared, alarm: alarm, at: now))
        }
        for i in rules.whenCandidates(type: event.type) {
            let rule = rules.rules[i]
            guard rule.when.matches(event) else { continue }
            let key = rule.key.render(event)
            if let change = states[i].repeatAlarm(key: key, event: event, rule: rule, at: now) {
                batch.append(change)
            } else {
                let alarm = Alarm(
                    id: nextAlarmID, rule: rule.name, key: key, severity: rule.alarm.severity ?? event.severity,
                    summary: rule.alarm.summary.render(event, count: 1), source: event.source, host: event.host,
                    type: event.type, firstSeen: event.time, lastSeen: event.time)
                nextAlarmID += 1
                states[i].active[key] = alarm
                batch.append(AlarmChange(kind: .raised, alarm: alarm, at: now))
            }
            if rule.stop { break }
        }
    }
}

extension Engine.RuleState {
    /// Counts a repeat of the active alarm under `key`, if there is one.
    mutating func repeatAlarm(key: String, event: Event, rule: Rule, at now: EventTime) -> AlarmChange? {
        guard let idx = active.index(forKey: key) else { return nil }
        return active.values.withMutableElement(at: idx) { alarm in
            alarm.count += 1
            if event.time > alarm.lastSeen { alarm.lastSeen = event.time }
            if rule.alarm.severity == nil, event.severity > alarm.severity { alarm.severity = event.severity }
            if rule.alarm.summary.usesCount { alarm.summary = rule.alarm.summary.render(event, count: alarm.count) }
            return AlarmChange(kind: .repeated, alarm: alarm, at: now)
        }
    }
}

extension Dictionary.Values {
    fileprivate mutating func withMutableElement<R>(at i: Dictionary.Index, _ body: (inout Value) -> R) -> R {
        body(&self[i])
    }
}
