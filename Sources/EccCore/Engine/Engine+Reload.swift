/// What a rule reload did to each rule, for the log.
public struct ReloadReport: Sendable, Equatable {
    /// Rules whose definition did not change: state kept.
    public var unchanged: [String] = []
    /// Rules whose definition changed: they start fresh, except that active alarms are kept when the key
    /// template is the same (so a changed summary does not raise duplicates).
    public var changed: [String] = []
    /// New rules.
    public var added: [String] = []
    /// Rules that are gone; their active alarms are no longer tracked by the engine.
    public var removed: [String] = []

    public init() {}
}

extension Engine {
    /// Swaps in a new rule set, keeping the state of every rule whose definition did not change.
    public mutating func replaceRules(_ newRules: RuleSet) -> ReloadReport {
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
                    newStates.append(o.key == r.key ? s : RuleState())
                }
            } else {
                report.added.append(r.name)
                newStates.append(RuleState())
            }
        }
        report.removed = old.keys.sorted()
        rules = newRules
        states = newStates
        return report
    }
}
