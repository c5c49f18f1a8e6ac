import EccCore
import EccRules
import EccYAML

/// A fixed base time for tests: 2025-11-25T10:00:00Z.
package let testEpoch = EventTime(nanoseconds: 1_764_064_800_000_000_000)

extension Event {
    /// An event at `testEpoch + offset` seconds, with string attributes.
    package static func make(
        _ type: String, host: String = "sw1", source: String = "test", severity: Severity = .info,
        at offset: Double = 0,
        _ attributes: [String: String] = [:]
    ) -> Event {
        Event(
            time: testEpoch.adding(nanoseconds: Int64(offset * 1e9)), source: source, host: host, type: type,
            severity: severity,
            attributes: Attributes(attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
}

/// Compiles rules from YAML text; fails the caller with the errors.
package func compileRules(_ yaml: String, file: String = "test.yaml") throws -> RuleSet {
    let (c, errors) = RuleParser.parseFile(yaml, file: file)
    if !errors.isEmpty { throw ConfigErrors(errors) }
    return try RuleSet(
        c.rules, transforms: c.transforms, tables: c.tables, cmdb: CMDB(c.cis), inhibitions: c.inhibitions,
        maintenance: c.maintenance, routes: c.routes, escalations: c.escalations, lateness: c.engine?.0.lateness ?? 0,
        history: c.engine?.0.history ?? HistoryPolicy(), parsers: c.parsers)
}
