import EccCore
import EccYAML

/// A rule test file: timestamped input events and the alarm changes they must produce.
///
/// ```yaml
/// rules: [network.yaml]            # optional; default: every rule file in this file's directory
/// tests:
///   - name: interface down, then up
///     events:
///       - {at: 0s, host: sw1, type: linkDown, attributes: {ifIndex: 7}}
///       - {at: 30s, host: sw1, type: linkUp, attributes: {ifIndex: 7}}
///     until: 1m                    # optional: run the clock on after the last event (timers)
///     expect:
///       - {at: 0s, change: raised, rule: interface-down, key: sw1/7, severity: major}
///       - {at: 30s, change: cleared, rule: interface-down, key: sw1/7}
/// ```
package struct RuleTestFile: Sendable {
    package var path: String
    /// Rule files or directories, resolved against the test file's directory.
    package var rulePaths: [String]
    package var cases: [RuleTestCase]
}

/// One test: events in, expected changes out.
package struct RuleTestCase: Sendable {
    package var name: String
    package var location: SourceLocation
    /// Events with their offsets from the test's start (nanoseconds).
    package var events: [(offset: Int64, event: Event)]
    /// Run the clock to this offset after the last event, so timers (hold, absence, auto-clear) fire.
    package var until: Int64?
    package var expect: [ExpectedChange]
    /// Compare `repeated` changes too (default: only when `expect` lists one).
    package var includeRepeats: Bool
    /// Feed events in the order written (late arrivals) rather than sorted by time.
    package var arrivalAsListed = false
}

/// An expected alarm change; only the fields given are compared.
package struct ExpectedChange: Sendable, CustomStringConvertible {
    package var location: SourceLocation
    package var offset: Int64?
    package var change: AlarmChange.Kind?
    package var rule: String?
    package var key: String?
    package var severity: Severity?
    package var summary: String?
    package var count: Int64?
    /// `maintenance:<window>`, `symptom:<root rule>`, `inhibited:<inhibition>` (a `#id` suffix compares the
    /// cause's alarm id too), or `none`.
    package var suppressed: String?
    /// The routes notified, in order (`[]`: none).
    package var notify: [String]?
    /// The receivers told at once (the routes' receivers and escalation steps without delay), sorted.
    package var receivers: [String]?
    package var members: [String]?
    package var flapping: Bool?

    /// True when `actual` (at `offset` from the test's start) has every field given here.
    package func matches(
        _ actual: AlarmChange, offset actualOffset: Int64, receiversOf: ([String]) -> [String] = { _ in [] }
    ) -> Bool {
        if let offset, offset != actualOffset { return false }
        if let change, change != actual.kind { return false }
        if let rule, rule != actual.alarm.rule { return false }
        if let key, key != actual.alarm.key { return false }
        if let severity, severity != actual.alarm.severity { return false }
        if let summary, summary != actual.alarm.summary { return false }
        if let count, count != actual.alarm.count { return false }
        if let suppressed {
            if suppressed == "none" {
                if actual.alarm.suppression != nil { return false }
            } else {
                guard let s = actual.alarm.suppression else { return false }
                let full = s.description
                let short = "\(s.reason.rawValue):\(s.name)"
                if suppressed != full && suppressed != short { return false }
            }
        }
        if let notify, notify != actual.notify { return false }
        if let receivers, receivers.sorted() != receiversOf(actual.notify) { return false }
        if let members, members != actual.alarm.members { return false }
        if let flapping, flapping != actual.alarm.flapping { return false }
        return true
    }

    package var description: String {
        var parts: [String] = []
        parts.append(offset.map { "+" + Durations.format($0) } ?? "+?")
        parts.append((change?.rawValue ?? "*").padding(8))
        parts.append(rule ?? "*")
        parts.append("[\(key ?? "*")]")
        if let severity { parts.append("severity=\(severity.name)") }
        if let count { parts.append("count=\(count)") }
        if let summary { parts.append("summary=\"\(summary)\"") }
        if let suppressed { parts.append("suppressed=\(suppressed)") }
        if let notify { parts.append("notify=[\(notify.joined(separator: ","))]") }
        if let receivers { parts.append("receivers=[\(receivers.joined(separator: ","))]") }
        if let members { parts.append("members=[\(members.joined(separator: ","))]") }
        if let flapping { parts.append("flapping=\(flapping)") }
        return parts.joined(separator: " ")
    }
}

extension AlarmChange {
    /// One line for test diffs, in the same shape as ``ExpectedChange/description``.
    package func testLine(offset: Int64, receiversOf: ([String]) -> [String] = { _ in [] }) -> String {
        line(at: "+" + Durations.format(offset), receiversOf: receiversOf)
    }

    /// One line per change, as rule tests and `eccd --replay` print them: `when` (an offset or a time), the
    /// kind, rule and key, then what the alarm looks like and who the change notifies.
    package func line(at when: String, receiversOf: ([String]) -> [String] = { _ in [] }) -> String {
        var line =
            "\(when) \(kind.rawValue.padding(8)) \(alarm.rule) [\(alarm.key)] "
            + "severity=\(alarm.severity.name) count=\(alarm.count) summary=\"\(alarm.summary)\""
        if let s = alarm.suppression { line += " suppressed=\(s)" }
        if !notify.isEmpty {
            line += " notify=[\(notify.joined(separator: ","))]"
            let r = receiversOf(notify)
            if !r.isEmpty { line += " receivers=[\(r.joined(separator: ","))]" }
        }
        if !alarm.members.isEmpty { line += " members=[\(alarm.members.joined(separator: ","))]" }
        if alarm.flapping { line += " flapping=true" }
        return line
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
