/// What a rule reload did to each rule, for the log.
package struct ReloadReport: Sendable, Equatable {
    /// Rules whose definition did not change: state kept.
    package var unchanged: [String] = []
    /// Rules whose definition changed: they start fresh, except that active alarms are kept when the key
    /// template is the same (so a changed summary does not raise duplicates); with a new key template
    /// their active alarms are cleared.
    package var changed: [String] = []
    /// New rules.
    package var added: [String] = []
    /// Rules that are gone; their active alarms are cleared.
    package var removed: [String] = []

    /// Active alarms cleared because their rule is gone or its key template changed.
    package var clearedAlarms = 0

    package init() {}
}

extension Engine {
    /// Swaps in a new rule set, keeping the state of every rule whose definition did not change.
    ///
    /// Active alarms that no rule can clear any more (their rule is gone, or its key template changed) are
    /// cleared at `now` and appended to `batch`, so the store and operators never keep alarms nothing tracks.
    package mutating func replaceRules(_ newRules: RuleSet, at now: EventTime, into batch: inout ChangeBatch)
        -> ReloadReport
    {
        var report = ReloadReport()
        var old: [String: (Rule, RuleState)] = [:]
        for (i, r) in rules.rules.enumerated() { old[r.name] = (r, states[i]) }
        var newStates: [RuleState] = []
        newStates.reserveCapacity(newRules.rules.count)
        for r in newRules.rules {
            if let (o, s) = old.removeValue(forKey: r.name) {
                if o.sameDefinition(as: r) {
                    report.unchanged.append(r.name)
                    newStates.append(s)
                } else {
                    report.changed.append(r.name)
                    if o.key == r.key {
                        // Only the active alarms carry over; held, counted and heartbeat state starts fresh.
                        var kept = RuleState()
                        kept.active = s.active
                        newStates.append(kept)
                        if let quiet = r.timing.autoClear {
                            for a in s.active.alarms {
                                schedule(a.rule, a.key, .autoClear, at: max(a.lastSeen.adding(nanoseconds: quiet), now))
                            }
                        }
                        if let window = r.timing.oncePer {
                            for a in s.active.alarms { schedulePeriod(a, window) }
                        }
                    } else {
                        report.clearedAlarms += Self.clearAll(s, at: now, into: &batch)
                        newStates.append(RuleState())
                    }
                }
            } else {
                report.added.append(r.name)
                newStates.append(RuleState())
            }
        }
        report.removed = old.keys.sorted()
        for name in report.removed {
            if let (_, s) = old[name] { report.clearedAlarms += Self.clearAll(s, at: now, into: &batch) }
        }
        rules = newRules
        states = newStates
        ruleIndex = Self.index(newRules)
        rebuildContext()
        // Calendar rules start over from the new set's schedules (older timers are of an older generation).
        calendarGeneration &+= 1
        calendarArmed = false
        if watermark > .zero { armCalendars() }
        return report
    }
}

extension Engine {
    /// Clears every alarm of a rule state; returns how many.
    static func clearAll(_ state: RuleState, at now: EventTime, into batch: inout ChangeBatch) -> Int {
        let alarms = state.active.alarms.sorted { $0.id < $1.id }
        for var a in alarms {
            a.state = .cleared
            a.clearedAt = now
            batch.append(AlarmChange(kind: .cleared, alarm: a, at: now))
        }
        return alarms.count
    }

    /// Clears alarms the engine cannot track (their rule is gone), e.g. those ``restore(_:)`` returned.
    package static func clearOrphans(_ alarms: [Alarm], at now: EventTime) -> ChangeBatch {
        var batch = ChangeBatch()
        for var a in alarms.sorted(by: { $0.id < $1.id }) {
            a.state = .cleared
            a.clearedAt = now
            batch.append(AlarmChange(kind: .cleared, alarm: a, at: now))
        }
        return batch
    }
}
