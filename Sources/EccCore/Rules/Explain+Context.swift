extension RuleSet {
    /// What the transforms do to an event: the transformed event and one line per transform that applied.
    package func explainTransforms(_ event: Event) -> (Event, [String]) {
        var e = event
        var lines: [String] = []
        for t in transforms where t.when.matches(e) {
            let before = e
            t.apply(to: &e, tables: tables)
            var changes: [String] = []
            if before.host != e.host { changes.append("host = \(e.host)") }
            if before.source != e.source { changes.append("source = \(e.source)") }
            if before.summary != e.summary { changes.append("summary = \(e.summary)") }
            if before.severity != e.severity { changes.append("severity = \(e.severity.name)") }
            for a in e.attributes where before.attributes[a.key] != a.value {
                changes.append("\(a.key) = \(a.value.text)")
            }
            for a in before.attributes where e.attributes[a.key] == nil { changes.append("\(a.key) dropped") }
            lines.append("transform '\(t.name)': " + (changes.isEmpty ? "no change" : changes.joined(separator: ", ")))
        }
        return (e, lines)
    }

    /// What would happen around an alarm that rule `name` raises from `event` (already transformed), at the
    /// event's time: maintenance, possible root causes, inhibitions, routes.
    package func explainContext(rule name: String, event: Event, key: String) -> [String] {
        guard let i = rules.firstIndex(where: { $0.name == name }) else { return [] }
        let rule = rules[i]
        var lines: [String] = []
        let ci = rule.ci?.render(event) ?? event.host
        // A group rule's alarm is keyed by its group, not by the member.
        let alarmKey = rule.timing.group?.by.render(event) ?? key
        let alarm = Alarm(
            id: 0, rule: name, key: alarmKey, severity: rule.alarm.severity ?? event.severity,
            summary: rule.alarm.summary.render(event), source: event.source, host: event.host, type: event.type,
            firstSeen: event.time, lastSeen: event.time)
        let view = Engine.view(alarm, origin: event)
        var suppressed = false
        for w in maintenance where w.covers(ci: ci, host: event.host, event: view) {
            if let iv = w.interval(at: event.time) {
                lines.append("suppressed: inside maintenance window '\(w.name)' (until \(iv.end))")
                suppressed = true
            } else if let next = w.intervals.first(where: { $0.start > event.time }) {
                lines.append("maintenance window '\(w.name)' covers it from \(next.start) to \(next.end)")
            }
        }
        let roots = rules.filter(\.rootCause).map(\.name)
        if !roots.isEmpty {
            let chain = cmdb.lineage(of: ci)
            lines.append(
                "a symptom (not notified) while an alarm of \(roots.joined(separator: ", ")) is active on "
                    + chain.joined(separator: " → ")
                    + (rule.rootCause ? "; itself a root cause for \(ci) and below" : ""))
        }
        for inh in inhibitions where inh.isTarget(name, view) {
            let fields = inh.equal.map { "\($0)=\(view.text(of: $0) ?? "(missing)")" }.joined(separator: ", ")
            lines.append(
                "inhibited while an alarm of \(inh.sources.sorted().joined(separator: ", ")) is active"
                    + (fields.isEmpty ? "" : " with \(fields)") + " (inhibit '\(inh.name)')")
        }
        let notify = routes.routes(for: alarm, origin: event)
        if suppressed {
            lines.append(
                "notifies no one while suppressed; released to \(notify.joined(separator: ", ")) if still active after")
        } else if !notify.isEmpty {
            let index = routeIndex
            let receivers = receivers(ofRoutes: notify)
            let policies = notify.compactMap { index[$0]?.escalation }
            lines.append(
                "notifies route\(notify.count == 1 ? "" : "s") \(notify.joined(separator: ", ")) → \(receivers.joined(separator: ", "))"
                    + (policies.isEmpty ? "" : "; escalation \(policies.joined(separator: ", "))"))
        }
        return lines
    }
}
