import EccCore

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
public struct RuleTestFile: Sendable {
    public var path: String
    /// Rule files or directories, resolved against the test file's directory.
    public var rulePaths: [String]
    public var cases: [RuleTestCase]
}

/// One test: events in, expected changes out.
public struct RuleTestCase: Sendable {
    public var name: String
    public var location: SourceLocation
    /// Events with their offsets from the test's start (nanoseconds).
    public var events: [(offset: Int64, event: Event)]
    /// Run the clock to this offset after the last event, so timers (hold, absence, auto-clear) fire.
    public var until: Int64?
    public var expect: [ExpectedChange]
    /// Compare `repeated` changes too (default: only when `expect` lists one).
    public var includeRepeats: Bool
}

/// An expected alarm change; only the fields given are compared.
public struct ExpectedChange: Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var offset: Int64?
    public var change: AlarmChange.Kind?
    public var rule: String?
    public var key: String?
    public var severity: Severity?
    public var summary: String?
    public var count: Int64?

    /// True when `actual` (at `offset` from the test's start) has every field given here.
    public func matches(_ actual: AlarmChange, offset actualOffset: Int64) -> Bool {
        if let offset, offset != actualOffset { return false }
        if let change, change != actual.kind { return false }
        if let rule, rule != actual.alarm.rule { return false }
        if let key, key != actual.alarm.key { return false }
        if let severity, severity != actual.alarm.severity { return false }
        if let summary, summary != actual.alarm.summary { return false }
        if let count, count != actual.alarm.count { return false }
        return true
    }

    public var description: String {
        var parts: [String] = []
        parts.append(offset.map { "+" + Durations.format($0) } ?? "+?")
        parts.append((change?.rawValue ?? "*").padding(8))
        parts.append(rule ?? "*")
        parts.append("[\(key ?? "*")]")
        if let severity { parts.append("severity=\(severity.name)") }
        if let count { parts.append("count=\(count)") }
        if let summary { parts.append("summary=\"\(summary)\"") }
        return parts.joined(separator: " ")
    }
}

extension AlarmChange {
    /// One line for test diffs, in the same shape as ``ExpectedChange/description``.
    public func testLine(offset: Int64) -> String {
        "+\(Durations.format(offset)) \(kind.rawValue.padding(8)) \(alarm.rule) [\(alarm.key)] "
            + "severity=\(alarm.severity.name) count=\(alarm.count) summary=\"\(alarm.summary)\""
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
