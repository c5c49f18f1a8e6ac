import EccCore
import EccRules
import Foundation

/// Rule-count and key-count scaling of the engine (issue #3's figures).
enum ScaleBench {
    /// `n` rules, each for its own event type, like a large rule base.
    static func rules(_ n: Int) throws -> RuleSet {
        var yaml = ""
        for i in 0..<n {
            yaml +=
                "- rule: r\(i)\n  when: {type: t\(i), source: snmp}\n  key: \"{host}/{ifIndex}\"\n"
                + "  clear_when: {type: u\(i)}\n  alarm: {severity: major, summary: \"t\(i) on {host}\"}\n"
        }
        let (r, errors) = RuleParser.parse(yaml, file: "scale.yaml")
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return try RuleSet(r)
    }

    static func event(type: String, host: Int, ifIndex: Int) -> Event {
        Event(
            time: EventTime(nanoseconds: 1_795_600_800_000_000_000), source: "snmp", host: "core-sw-\(host).dc1",
            type: type, severity: .major, attributes: ["ifIndex": .int(Int64(ifIndex))])
    }

    /// Events/s through an engine with `ruleCount` rules; `matching` events hit rule 0, others no rule.
    static func ruleScaling(ruleCount: Int, matching: Bool, events n: Int) throws -> Double {
        var engine = Engine(rules: try rules(ruleCount))
        let events = (0..<4096).map { i in
            event(type: matching ? "t\(i % ruleCount)" : "other\(i % 7)", host: i % 500, ifIndex: i % 48)
        }
        var batch = ChangeBatch()
        let seconds = timed {
            for i in 0..<n {
                engine.handle(events[i & 4095], at: .zero, into: &batch)
                if batch.count > 4096 { batch.removeAll() }
            }
        }
        return Double(n) / seconds
    }

    /// Events/s with `keys` live alarms (10 rules), every event a repeat of one of them.
    static func keyScaling(keys: Int, events n: Int) throws -> (Double, Int) {
        var engine = Engine(rules: try rules(10))
        var batch = ChangeBatch()
        let rssBefore = residentBytes()
        // Raise every key once.
        for k in 0..<keys {
            engine.handle(event(type: "t\(k % 10)", host: k / 48, ifIndex: k % 48), at: .zero, into: &batch)
            if batch.count > 4096 { batch.removeAll() }
        }
        batch.removeAll()
        let rss = residentBytes() - rssBefore
        let events = (0..<8192).map { j -> Event in
            let k = (j &* 2_654_435_761) % keys
            return event(type: "t\(k % 10)", host: k / 48, ifIndex: k % 48)
        }
        let seconds = timed {
            for i in 0..<n {
                engine.handle(events[i & 8191], at: .zero, into: &batch)
                if batch.count > 4096 { batch.removeAll() }
            }
        }
        if engine.activeAlarmCount != keys { print("# warning: \(engine.activeAlarmCount) alarms for \(keys) keys") }
        return (Double(n) / seconds, rss)
    }

    /// Resident set size of this process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
