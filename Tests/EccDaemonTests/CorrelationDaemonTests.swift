import EccClient
import EccDaemon
import Foundation
import Testing

let topologyRules = """
    - ci: core1
    - ci: sw1
      parent: core1
    - rule: node-down
      when: {type: nodeDown}
      clear_when: {type: nodeUp}
      root_cause: true
      alarm: {severity: critical, summary: "{host} down"}
    - rule: interface-down
      when: {type: linkDown}
      key: "{host}/{ifIndex}"
      clear_when: {type: linkUp}
      alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
    - route: noc
      receivers: [noc-email]
    """

@Suite("Correlation in the daemon", .serialized)
struct CorrelationDaemonTests {
    @Test("a symptom is stored as suppressed, opens no incident, survives a restart, and `why` explains it")
    func symptomAndWhy() async throws {
        let dir = try TestDaemon.makeDir(rules: topologyRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        _ = try await d.post(#"{"source":"ping","host":"core1","type":"nodeDown"}"#)
        _ = try await d.post(#"{"source":"snmp","host":"sw1","type":"linkDown","attributes":{"ifIndex":4}}"#)
        var alarms: [[String: Any]] = []
        try await d.eventually {
            alarms = (try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return alarms.count == 2
        }
        let symptom = try #require(alarms.first { $0["rule"] as? String == "interface-down" })
        #expect(symptom["suppressed_by"] as? String == "symptom:node-down#1")
        let incidents = try await d.incidents()
        #expect(incidents.count == 1, "only the root cause opens an incident")

        let why = try #require(try await d.getJSON("/v1/alarms/\(symptom["id"] ?? 0)/why") as? [String: Any])
        let trace = (why["trace"] as? [String]) ?? []
        #expect(trace.contains { $0.hasPrefix("raised by rule 'interface-down'") }, "\(trace)")
        #expect(trace.contains { $0.contains(#""host":"sw1""#) && $0.hasPrefix("raising event:") }, "\(trace)")
        #expect(trace.contains("suppressed: a symptom of alarm #1 (node-down, the root cause)"), "\(trace)")
        #expect(trace.contains("notified: no route"), "\(trace)")
        let rootWhy = try #require(try await d.getJSON("/v1/alarms/1/why") as? [String: Any])
        #expect(rootWhy["notify"] as? [String] == ["noc"])
        let (missing, _) = try await d.client.request(.GET, "/v1/alarms/999/why")
        #expect(missing == 404)
        try await d.stop()

        // After a restart the symptom is still suppressed, and the root cause's clear releases it.
        let again = try await TestDaemon(dir: dir)
        _ = try await again.post(#"{"source":"ping","host":"core1","type":"nodeUp"}"#)
        try await again.eventually {
            let list = (try await again.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return list.count == 1 && list.first?["suppressed_by"] == nil
        }
        try await again.eventually { try await again.incidents().count == 2 }
        try await again.stop()
    }

    @Test("an inhibitor active before a restart still inhibits after it (its raising event comes from the store)")
    func inhibitorAcrossRestart() async throws {
        let dir = try TestDaemon.makeDir(
            rules: """
                - rule: on-battery
                  when: {type: upsOnBattery}
                  key: "{site}"
                  clear_when: {type: upsOnMains}
                  alarm: {severity: major, summary: "site {site} on battery"}
                - rule: unit-failed
                  when: {type: unitFailed}
                  key: "{host}/{unit}"
                  alarm: {severity: minor}
                - inhibit: battery-quiets-minor
                  source: [on-battery]
                  target_match: {severity: minor}
                  equal: [site]
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        _ = try await d.post(#"{"source":"ups","host":"ups1","type":"upsOnBattery","attributes":{"site":"dc1"}}"#)
        try await d.eventually { ((try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? []).count == 1 }
        try await d.stop()

        // `site` is only in the raising event, not in the alarm: the inhibitor needs the stored event.
        let again = try await TestDaemon(dir: dir)
        _ = try await again.post(
            #"{"source":"systemd","host":"db1","type":"unitFailed","attributes":{"site":"dc1","unit":"cron"}}"#)
        var alarms: [[String: Any]] = []
        try await again.eventually {
            alarms = (try await again.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return alarms.count == 2
        }
        let unit = try #require(alarms.first { $0["rule"] as? String == "unit-failed" })
        #expect(unit["suppressed_by"] as? String == "inhibited:battery-quiets-minor#1")
        _ = try await again.post(#"{"source":"ups","host":"ups1","type":"upsOnMains","attributes":{"site":"dc1"}}"#)
        try await again.eventually {
            let list = (try await again.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return list.contains { $0["rule"] as? String == "unit-failed" && $0["suppressed_by"] == nil }
        }
        try await again.stop()
    }
}
