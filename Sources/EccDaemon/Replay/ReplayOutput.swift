import EccCore
import EccIncidents
import EccRules
import EccYAML

/// How replayed alarm changes are written: JSON lines (the live stream's objects) or one compact line each.
package enum ReplayFormat: String, Sendable, CaseIterable {
    case json
    case text

    /// In a diff, which rule set alone made a change: `--rules` (the configuration's) or `--diff-rules`.
    package enum Side: Sendable {
        case first, second
    }

    /// Appends one change to `out`; `side` marks a diff line (`-` only with the first rules, `+` only with the
    /// second). The text form is the rule tests' line with the change's time, and the receivers its routes
    /// page (`receiversOf`).
    package func write(
        _ c: AlarmChange, side: Side? = nil, receiversOf: ([String]) -> [String] = { _ in [] }, to out: inout [UInt8]
    ) {
        switch self {
        case .json:
            var w = JSONWriter()
            if let side {
                // The change's own object, with which rule set made it in front.
                w.beginObject()
                w.field("only_in", side == .first ? "rules" : "diff_rules")
                w.key("change")
                w.write(c)
                w.endObject()
            } else {
                w.write(c)
            }
            out += w.bytes
        case .text:
            if let side { out += Array((side == .first ? "- " : "+ ").utf8) }
            out += Array(c.line(at: c.at.description, receiversOf: receiversOf).utf8)
        }
        out.append(0x0A)
    }
}

/// The changes of one batch as both rule sets made them, compared: what only one of them made. Alarm ids
/// differ between rule sets, so a change is compared by what an operator sees (kind, time, rule, key,
/// severity, summary, count, suppression, receivers).
enum ReplayDiff {
    struct Signature: Hashable {
        var kind: AlarmChange.Kind
        var at: EventTime
        var rule: String
        var key: String
        var severity: String
        var summary: String
        var count: Int64
        var suppressed: Bool
        var notify: [String]

        init(_ c: AlarmChange) {
            kind = c.kind
            at = c.at
            rule = c.alarm.rule
            key = c.alarm.key
            severity = c.alarm.severity.name
            summary = c.alarm.summary
            count = c.alarm.count
            suppressed = c.alarm.suppression != nil
            notify = c.notify
        }
    }

    /// The changes only in `a` and only in `b`, each in its own order.
    static func compare(_ a: [AlarmChange], _ b: [AlarmChange]) -> (onlyA: [AlarmChange], onlyB: [AlarmChange]) {
        var remaining: [Signature: Int] = [:]
        for c in b { remaining[Signature(c), default: 0] += 1 }
        var onlyA: [AlarmChange] = []
        for c in a {
            let s = Signature(c)
            if let n = remaining[s], n > 0 { remaining[s] = n - 1 } else { onlyA.append(c) }
        }
        var onlyB: [AlarmChange] = []
        for c in b.reversed() {
            let s = Signature(c)
            if let n = remaining[s], n > 0 {
                remaining[s] = n - 1
                onlyB.append(c)
            }
        }
        return (onlyA, onlyB.reversed())
    }
}
