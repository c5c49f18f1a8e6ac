import EccCore
import EccRules
import EccYAML
import Foundation

/// Big outages: the rates of raising and clearing root-cause alarms, and of raising their symptoms and
/// inhibited alarms, with 0, 10 k and 100 k root causes already active (issue 13).
///
/// Workload: a CMDB of `sites` sites, each with routers and switches behind them (`ci:` entries). Rule
/// `device-down` is a root cause on `{host}`; `link-down` raises on `{host}/{ifIndex}`, a symptom when its
/// device is down; `site-on-battery` inhibits the minor alarms of its site (`equal: [site]`). First
/// `active` devices go down (the outage already in progress, not timed); then timed, each on its own:
/// `n` more devices go down (raise), `n` link-downs on down devices (symptoms), `n` minor alarms at a
/// site on battery (inhibited), and `n` devices come back (clear, each releasing nothing).
enum OutageBench {
    static let t0 = EventTime(nanoseconds: 1_795_600_800_000_000_000)

    static func rules(devices: Int) throws -> RuleSet {
        var yaml = """
            - rule: device-down
              when: {type: deviceDown}
              key: "{host}"
              clear_when: {type: deviceUp}
              root_cause: true
              alarm: {severity: critical, summary: "{host} down"}
            - rule: link-down
              when: {type: linkDown}
              key: "{host}/{ifIndex}"
              clear_when: {type: linkUp}
              alarm: {severity: major, summary: "{host} port {ifIndex} down"}
            - rule: site-on-battery
              when: {type: upsOnBattery}
              key: "{site}"
              clear_when: {type: upsOnline}
              alarm: {severity: critical, summary: "site {site} on battery"}
            - rule: minor
              when: {type: minor}
              key: "{host}/{what}"
              alarm: {severity: minor, summary: "{what} on {host}"}
            - inhibit: battery-quiets-minor
              source: [site-on-battery]
              target_match: {severity: [minor]}
              equal: [site]

            """
        // Ten sites, each a core; devices hang under their site's core.
        for s in 0..<10 { yaml += "- ci: core\(s)\n  site: s\(s)\n" }
        for d in 0..<devices { yaml += "- ci: dev\(d)\n  parent: core\(d % 10)\n  site: s\(d % 10)\n" }
        let (r, errors) = RuleParser.parse(yaml, file: "outage.yaml")
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return try RuleSet(r)
    }

    static func event(_ type: String, host: String, _ attrs: Attributes = [:], at i: Int) -> Event {
        Event(
            time: t0.adding(nanoseconds: Int64(i) * 1000), source: "bench", host: host, type: type, severity: .major,
            attributes: attrs)
    }

    /// Per-second rates of raising root causes, raising symptoms, raising inhibited alarms and clearing root
    /// causes, `n` of each, with `active` root causes already up.
    static func run(active: Int, n: Int) throws -> (raise: Double, symptom: Double, inhibited: Double, clear: Double) {
        let devices = active + 2 * n
        var engine = Engine(rules: try rules(devices: devices))
        var batch = ChangeBatch()
        var clock = 0
        func feed(_ events: [Event]) -> Double {
            let seconds = timed {
                for e in events {
                    clock += 1
                    engine.handle(e, at: t0.adding(nanoseconds: Int64(clock) * 1000), into: &batch)
                    if batch.count > 4096 { batch.removeAll() }
                }
            }
            batch.removeAll()
            return Double(events.count) / seconds
        }
        _ = feed((0..<active).map { event("deviceDown", host: "dev\($0)", at: $0) })
        _ = feed((0..<10).map { event("upsOnBattery", host: "ups\($0)", ["site": .string("s\($0)")], at: $0) })
        let raise = feed((active..<(active + n)).map { event("deviceDown", host: "dev\($0)", at: $0) })
        let symptom = feed(
            (0..<n).map { i in
                event("linkDown", host: "dev\(active + i % n)", ["ifIndex": .int(Int64(i))], at: i)
            })
        let inhibited = feed(
            (0..<n).map { i in
                event(
                    "minor", host: "dev\(active + n + i)", ["site": .string("s\(i % 10)"), "what": .string("fan")],
                    at: i)
            })
        let clear = feed((active..<(active + n)).map { event("deviceUp", host: "dev\($0)", at: $0) })
        return (raise, symptom, inhibited, clear)
    }
}

/// A wide group alarm: one device whose `members` interfaces are all down (the shipped rule
/// `interfaces-down-on-device`: a group by host, 5 within 5 minutes), then timed: `n` events of it,
/// half repeats of a down interface and half flaps (an interface up, then down again: a leave and a
/// join of the active group alarm). Each event makes a change listing every member, so what is measured
/// is the engine's cost per member event as the group widens.
enum WideGroupBench {
    static func run(members: Int, n: Int) throws -> Double {
        let (r, errors) = RuleParser.parse(
            """
            - rule: interfaces-down-on-device
              when: {type: linkDown}
              key: "{host}/{ifIndex}"
              clear_when: {type: linkUp}
              group: {by: "{host}", count: 5, within: 5m}
              alarm: {severity: critical, summary: "{count} interfaces down on {host}"}
            """, file: "group.yaml")
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        var engine = Engine(rules: try RuleSet(r))
        var batch = ChangeBatch()
        var clock: Int64 = 0
        func handle(_ type: String, _ ifIndex: Int) {
            clock += 1000
            let at = OutageBench.t0.adding(nanoseconds: clock)
            let e = Event(
                time: at, source: "bench", host: "core1", type: type, severity: .major,
                attributes: ["ifIndex": .int(Int64(ifIndex))])
            engine.handle(e, at: at, into: &batch)
            if batch.count > 4096 { batch.removeAll() }
        }
        for i in 0..<members { handle("linkDown", i) }
        guard engine.activeAlarmCount == 1 else {
            throw BenchFailure("the group alarm did not raise: the workload is broken")
        }
        var rng = SystemRandomNumberGenerator()
        let picks = (0..<n).map { _ in Int.random(in: 0..<members, using: &rng) }
        let seconds = timed {
            for (k, i) in picks.enumerated() {
                if k % 2 == 0 {
                    handle("linkDown", i)
                } else {
                    handle("linkUp", i)
                    handle("linkDown", i)
                }
            }
        }
        return Double(n + n / 2) / seconds
    }
}
