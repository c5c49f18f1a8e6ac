extension RuleSet {
    /// Why an alarm exists and what was decided about it: the answer to `eccctl alarms why`. `origin` is the
    /// recorded raising event (after transforms), `notify` the routes its raise notified; the conditions and
    /// the context are evaluated on the rules in force now, and the answer says when the rule has changed.
    package func trace(alarm a: Alarm, origin: Event?, notify: [String], ruleFingerprint: UInt64? = nil) -> [String] {
        var lines: [String] = []
        lines.append("alarm #\(a.id) \(a.rule) [\(a.key)] \(a.state.rawValue), \(a.severity.name): \(a.summary)")
        lines.append("first seen \(a.firstSeen), last seen \(a.lastSeen), \(a.count) event\(a.count == 1 ? "" : "s")")
        guard let rule = rules.first(where: { $0.name == a.rule }) else {
            lines.append("rule '\(a.rule)' is no longer loaded; the alarm was raised by an earlier rule set")
            return lines
        }
        lines.append("raised by rule '\(rule.name)'" + (rule.location.map { " (\($0))" } ?? ""))
        let t = rule.timing
        if let th = t.threshold {
            lines.append("threshold: \(th.count) events within \(durationText(th.within)) for key [\(a.key)]")
        }
        if let h = t.hold { lines.append("held \(durationText(h)) without a clearing event before it was raised") }
        if let absent = t.absentFor {
            lines.append("raised because no expected event came for \(durationText(absent))")
        }
        if let g = t.group {
            lines.append(
                "group of \(g.count) distinct keys within \(durationText(g.within)) by \(g.by.source); members: "
                    + (a.members.isEmpty ? "(none recorded)" : a.members.joined(separator: ", ")))
        }
        if let q = t.sequence {
            lines.append(
                q.absent
                    ? "raised because the follow-up event did not come within \(durationText(q.within))"
                    : "raised because the follow-up event came within \(durationText(q.within))")
        }
        if a.flapping { lines.append("flapping: raised and cleared too often; clears are absorbed until it settles") }
        if let origin {
            var w = JSONWriter()
            w.write(origin)
            lines.append("raising event: \(w.string)")
            if let e = explain(origin).first(where: { $0.rule == rule.name }) {
                for c in e.when { lines.append("  when \(c.passed ? "✔" : "✘") \(c.condition)") }
                if !e.matched {
                    lines.append("  (the rule in force now does not match this event: it changed since the raise)")
                }
            }
        } else {
            lines.append("raising event: not recorded (raised before this version, or restored after a restart)")
        }
        if let s = a.suppression {
            switch s.reason {
            case .maintenance: lines.append("suppressed: raised inside maintenance window '\(s.name)'")
            case .symptom: lines.append("suppressed: a symptom of alarm #\(s.cause ?? 0) (\(s.name), the root cause)")
            case .inhibited:
                lines.append("suppressed: inhibited by alarm #\(s.cause ?? 0) under inhibition '\(s.name)'")
            }
        } else {
            lines.append("not suppressed")
        }
        lines.append(notify.isEmpty ? "notified: no route" : "notified routes: \(notify.joined(separator: ", "))")
        if let fp = ruleFingerprint, fp != rule.fingerprint {
            lines.append("note: rule '\(rule.name)' has changed since")
        }
        if let origin {
            for l in explainContext(rule: rule.name, event: origin, key: a.key) { lines.append("context now: \(l)") }
        }
        return lines
    }
}
