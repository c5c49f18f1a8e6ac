import EccCore

/// The values a template sees, built from a message. Every key is documented here for template authors.
///
/// Top level: `id`, `attempt`, `kind` (`firing`, `resolved`, `repeat`, `escalation`, `digest`, `test`),
/// `receiver`, `route`, `hasRoute`, `createdAt` (RFC 3339 UTC, seconds), the flags `isFiring`, `isResolved`,
/// `isRepeat`, `isEscalation`, `isDigest`, `isTest`, `isProblem` (firing, repeat or escalation),
/// `escalationStep`, `status` (`CRITICAL`, `RESOLVED`, `ESCALATION step 2`, `REPEAT CRITICAL`, `Digest`,
/// `TEST`: the subject's word), `smsTag` (`CRIT`, `OK`, `ESC2 CRIT`…), `alarms` (list), `alarmCount`,
/// `hasAlarms`, `firstAlarm`, `moreCount` (alarms after the first), `hasMore`, `group` (mapping),
/// `groupList` (list of `name`, `value`), `held` (list of `id`, `kind`, `route`, `line`, `createdAt`),
/// `heldCount`.
///
/// Each alarm: `index` (1-based), `id`, `rule`, `key`, `state`, `severity`, `severityUpper`,
/// `severityShort` (`CRIT`, `MAJ`, `MIN`, `WARN`, `INFO`), `isCritical`, `isMajor`, `isMinor`,
/// `isWarning`, `isInfo`, `isActive`, `isCleared`, `summary`, `host`, `hasHost`, `source`, `type`,
/// `headline` (`Interface Gi0/1 down on core1`), `firstSeen`, `lastSeen`, `clearedAt`, `hasClearedAt`,
/// `count`, `incident`, `priority`, `hasIncident`, `incidentLabel` (`incident #12 P1`).
package enum TemplateContext {
    /// The context of one message.
    package static func make(_ message: OutgoingMessage) -> [String: Any] {
        let c = message.content
        let alarms = c.alarms.enumerated().map { alarm($0.element, index: $0.offset + 1) }
        var ctx: [String: Any] = [
            "id": message.id,
            "attempt": message.attempt,
            "kind": c.kind.rawValue,
            "receiver": c.receiver,
            "route": c.route,
            "hasRoute": !c.route.isEmpty,
            "createdAt": time(c.createdAt),
            "isFiring": c.kind == .firing,
            "isResolved": c.kind == .resolved,
            "isRepeat": c.kind == .repeat,
            "isEscalation": c.kind == .escalation,
            "isDigest": c.kind == .digest,
            "isTest": c.kind == .test,
            "isProblem": [.firing, .repeat, .escalation].contains(c.kind),
            "escalationStep": c.escalationStep ?? 0,
            "status": status(c),
            "smsTag": smsTag(c),
            "alarms": alarms,
            "alarmCount": alarms.count,
            "hasAlarms": !alarms.isEmpty,
            "moreCount": max(0, alarms.count - 1),
            "hasMore": alarms.count > 1,
            "group": c.group,
            "groupList": c.group.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
            "held": c.held.map { h -> [String: Any] in
                [
                    "id": h.id, "kind": h.kind.rawValue, "route": h.route, "hasRoute": !h.route.isEmpty, "line": h.line,
                    "createdAt": time(h.createdAt),
                ]
            },
            "heldCount": c.heldTotal ?? c.held.count,
        ]
        if let a = alarms.first { ctx["firstAlarm"] = a }
        return ctx
    }

    static func alarm(_ a: AlarmInfo, index: Int) -> [String: Any] {
        var d: [String: Any] = [
            "index": index,
            "id": Int64(truncatingIfNeeded: a.id),
            "rule": a.rule,
            "key": a.key,
            "state": a.state.rawValue,
            "severity": a.severity.name,
            "severityUpper": a.severity.name.uppercased(),
            "severityShort": short(a.severity),
            "isCritical": a.severity == .critical,
            "isMajor": a.severity == .major,
            "isMinor": a.severity == .minor,
            "isWarning": a.severity == .warning,
            "isInfo": a.severity == .info,
            "isActive": a.state == .active,
            "isCleared": a.state == .cleared,
            "summary": a.summary,
            "host": a.host,
            "hasHost": !a.host.isEmpty,
            "source": a.source,
            "type": a.type,
            "headline": headline(a),
            "firstSeen": time(a.firstSeen),
            "lastSeen": time(a.lastSeen),
            "count": a.count,
            "hasClearedAt": a.clearedAt != nil,
            "clearedAt": a.clearedAt.map(time) ?? "",
            "hasIncident": a.incident != nil,
        ]
        if let inc = a.incident {
            d["incident"] = inc
            let p = a.priority.map { " P\($0)" } ?? ""
            d["incidentLabel"] = "incident #\(inc)\(p)"
            d["priority"] = a.priority ?? 0
        }
        return d
    }

    /// `Interface Gi0/1 down on core1` (the host is left out when the summary already names it).
    static func headline(_ a: AlarmInfo) -> String {
        let s = a.summary.isEmpty ? a.rule : a.summary
        if a.host.isEmpty || s.contains(a.host) { return s }
        return "\(s) on \(a.host)"
    }

    /// RFC 3339 in UTC to the second: `2026-12-03T10:00:00Z`.
    package static func time(_ t: EventTime) -> String {
        let full = RFC3339.format(t)
        guard let dot = full.firstIndex(of: ".") else { return full }
        return String(full[..<dot]) + "Z"
    }

    static func short(_ severity: Severity) -> String {
        switch severity {
        case .critical: "CRIT"
        case .major: "MAJ"
        case .minor: "MIN"
        case .warning: "WARN"
        case .info: "INFO"
        }
    }

    static func status(_ c: MessageContent) -> String {
        let sev = c.alarms.first?.severity.name.uppercased() ?? ""
        switch c.kind {
        case .firing: return sev.isEmpty ? "FIRING" : sev
        case .resolved: return "RESOLVED"
        case .repeat: return sev.isEmpty ? "REPEAT" : "REPEAT \(sev)"
        case .escalation: return "ESCALATION step \(c.escalationStep ?? 1)"
        case .digest: return "Digest"
        case .test: return "TEST"
        }
    }

    static func smsTag(_ c: MessageContent) -> String {
        let sev = c.alarms.first.map { short($0.severity) } ?? ""
        switch c.kind {
        case .firing, .repeat: return sev.isEmpty ? "ALARM" : sev
        case .resolved: return "OK"
        case .escalation: return "ESC\(c.escalationStep ?? 1) \(sev)".trimmingCharacters(in: " ")
        case .digest: return "DIGEST"
        case .test: return "TEST"
        }
    }
}
