import EccClient
import EccCore
import EccDaemon
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

let incidentRules = """
    - ci: core1
      criticality: high
      follow_up: "true"
    - rule: node-down
      when: {type: nodeDown}
      clear_when: {type: nodeUp}
      alarm: {severity: critical, summary: "{host} down"}
    - rule: sla-breached
      when: {source: itsm, type: slaBreached}
      key: "{incident}/{sla}"
      incident: false
      alarm: {severity: event, summary: "{summary}"}
    """

@Suite("Incidents in the daemon", .serialized)
struct IncidentDaemonTests {
    @Test("the lifecycle through the API: ownership, refusals, SLA breach on the bus, follow-up, close, reopen")
    func lifecycle() async throws {
        let dir = try TestDaemon.makeDir(rules: incidentRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock()
        let d = try await TestDaemon(dir: dir, clock: clock)
        _ = try await d.post(#"{"source":"ping","host":"core1","type":"nodeDown"}"#)
        var incident: [String: Any] = [:]
        try await d.eventually {
            incident = try await d.incidents().first ?? [:]
            return !incident.isEmpty
        }
        let id = try #require(incident["id"] as? Int)
        // Critical on a high-criticality CI (from the CMDB): P1, 15 min to respond, 4 h to resolve.
        #expect(incident["priority"] as? String == "P1")
        #expect(incident["ci"] as? String == "core1")
        #expect(incident["follow_up_required"] as? Bool == true)
        #expect(incident["response_due"] as? String == clock.now().adding(nanoseconds: 15 * 60_000_000_000).description)

        let (s1, b1) = try await d.act(id, "ack", ["actor": "alice"])
        #expect(s1 == 200 && b1["owner"] as? String == "alice" && b1["state"] as? String == "acknowledged")
        let (s2, b2) = try await d.act(id, "ack", ["actor": "bob"])
        #expect(s2 == 409 && (b2["error"] as? String)?.contains("owned by alice") == true)
        #expect(try await d.act(id, "handover", ["actor": "alice", "to": "bob"]).0 == 400)
        #expect(try await d.act(id, "ack", [:]).0 == 400)
        #expect(try await d.act(9999, "ack", ["actor": "alice"]).0 == 404)
        // A field of the wrong type, or a body that is not a JSON object, is a 400 naming what is wrong.
        let (sw, bw) = try await d.act(id, "notes", ["actor": "alice", "text": 5])
        #expect(sw == 400 && bw["error"] as? String == "text must be a string" && bw["field"] as? String == "text")
        let (sj, bj) = try await d.client.request(.POST, "/v1/incidents/\(id)/notes", body: Array("[1]".utf8))
        #expect(sj == 400 && String(decoding: bj, as: UTF8.self).contains("the body must be a JSON object"))
        let (s3, b3) = try await d.act(id, "notes", ["actor": "alice", "text": "line card reseated"])
        #expect(s3 == 200 && b3["state"] as? String == "in_progress")
        #expect(try await d.act(id, "handover", ["actor": "alice", "to": "bob", "reason": "end of shift"]).0 == 200)

        // Five hours later the resolution target (4 h) is missed: an slaBreached event raises an alarm
        // (routed, no incident of its own).
        clock.advance(seconds: 5 * 3600)
        d.daemon.checkSLAs()
        try await d.eventually {
            let alarms = (try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return alarms.contains {
                $0["rule"] as? String == "sla-breached" && $0["key"] as? String == "\(id)/resolution"
            }
        }
        #expect(try await d.incidents().count == 1)
        let breached = (try await d.getJSON("/v1/incidents?breached=true") as? [[String: Any]]) ?? []
        #expect(breached.map { $0["id"] as? Int } == [id])
        #expect((try await d.getJSON("/v1/incidents?priority=P1&owner=bob&state=open") as? [Any])?.count == 1)
        #expect(try await d.client.request(.GET, "/v1/incidents?priority=P9").status == 400)

        // The alarm clears: resolved. Closing needs the follow-up note the CI asks for.
        _ = try await d.post(#"{"source":"ping","host":"core1","type":"nodeUp"}"#)
        try await d.eventually { try await d.incidents().first?["state"] as? String == "resolved" }
        let (s4, b4) = try await d.act(id, "close", ["actor": "bob"])
        #expect(s4 == 409 && (b4["error"] as? String)?.contains("follow-up") == true)
        _ = try await d.act(id, "notes", ["actor": "bob", "text": "customer confirmed", "follow_up": true])
        #expect(try await d.act(id, "close", ["actor": "bob"]).0 == 200)
        #expect(
            try await d.act(id, "reopen", ["actor": "carol", "reason": "flapping again"]).1["state"] as? String
                == "in_progress")

        let detail = try #require(try await d.getJSON("/v1/incidents/\(id)") as? [String: Any])
        let actions = ((detail["journal"] as? [[String: Any]]) ?? []).map {
            "\($0["actor"] ?? "") \($0["action"] ?? "")"
        }
        #expect(
            actions == [
                "eccd opened", "alice acknowledged", "alice owner", "alice note", "alice in_progress",
                "alice handed_over", "eccd sla_breached", "eccd resolved", "bob follow_up", "bob closed",
                "carol reopened",
            ], "\(actions)")
        try await d.stop()
    }

    @Test(
        "CMDB import feeds topology suppression; an approved change is a maintenance window; known errors are suggested"
    )
    func itsmPaths() async throws {
        let dir = try TestDaemon.makeDir(
            rules: """
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
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock()
        let d = try await TestDaemon(dir: dir, clock: clock)
        func post(_ path: String, _ fields: [String: Any]) async throws -> (Int, [String: Any]) {
            let body = try JSONSerialization.data(withJSONObject: fields)
            let (status, answer) = try await d.client.request(.POST, path, body: Array(body))
            return (status, (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]) ?? [:])
        }
        func alarms() async throws -> [[String: Any]] { (try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? [] }

        // CMDB: core9 → sw9 (imported, not in the rule files). A cycle or unknown parent is refused.
        #expect(try await post("/v1/cis", ["actor": "cmdb", "items": [["name": "a", "parent": "zz"]]]).0 == 400)
        let (si, bi) = try await post(
            "/v1/cis",
            [
                "actor": "cmdb",
                "items": [["name": "core9", "criticality": "high", "rack": 12], ["name": "sw9", "parent": "core9"]],
            ])
        #expect(si == 200 && bi["added"] as? Int == 2)
        let cis = try #require(try await d.getJSON("/v1/cis") as? [[String: Any]])
        #expect(cis.count == 2)
        // Any other field of an item is an attribute, a number kept as its text.
        let core9 = cis.first { $0["name"] as? String == "core9" }?["attributes"] as? [String: String]
        #expect(core9 == ["criticality": "high", "rack": "12"])
        _ = try await d.post(#"{"source":"ping","host":"core9","type":"nodeDown"}"#)
        _ = try await d.post(#"{"source":"snmp","host":"sw9","type":"linkDown","attributes":{"ifIndex":1}}"#)
        try await d.eventually { try await alarms().count == 2 }
        let symptom = try #require(try await alarms().first { $0["host"] as? String == "sw9" })
        #expect((symptom["suppressed_by"] as? String)?.hasPrefix("symptom:node-down#") == true)
        let root = try #require(try await d.incidents().first)
        #expect(root["priority"] as? String == "P1", "criticality high from the imported CMDB")

        // A change over sw5 from now for an hour: requested, not approvable by its requester, approved by a
        // second person; an alarm on sw5 inside it is suppressed and opens no incident.
        let start = clock.now().description
        let end = clock.now().adding(nanoseconds: 3_600_000_000_000).description
        let (sc, change) = try await post(
            "/v1/changes", ["actor": "alice", "title": "Replace sw5", "start": start, "end": end, "cis": ["sw5"]])
        #expect(sc == 200 && change["state"] as? String == "requested")
        let cid = try #require(change["id"] as? Int)
        #expect(try await post("/v1/changes/\(cid)/approve", ["actor": "alice"]).0 == 409)
        let (sa, approved) = try await post("/v1/changes/\(cid)/approve", ["actor": "bob"])
        #expect(sa == 200 && approved["state"] as? String == "approved" && approved["approved_by"] as? String == "bob")
        _ = try await d.post(#"{"source":"snmp","host":"sw5","type":"linkDown","attributes":{"ifIndex":2}}"#)
        try await d.eventually { try await alarms().count == 3 }
        let maintained = try #require(try await alarms().first { $0["host"] as? String == "sw5" })
        #expect(maintained["suppressed_by"] as? String == "maintenance:change-\(cid)")
        #expect(try await d.incidents().count == 1)

        // A problem over the root incident becomes a known error; a new incident of the same rule is offered
        // its workaround, and a knowledge article matching the CI.
        let rootID = try #require(root["id"] as? Int)
        let (sp, problem) = try await post(
            "/v1/problems", ["actor": "alice", "title": "core nodes reboot", "incidents": [rootID]])
        #expect(sp == 200 && problem["incidents"] as? [Int] == [rootID])
        let pid = try #require(problem["id"] as? Int)
        #expect(try await post("/v1/problems/\(pid)/update", ["actor": "alice", "state": "known_error"]).0 == 400)
        let (su, known) = try await post(
            "/v1/problems/\(pid)/update",
            [
                "actor": "alice", "state": "known_error", "root_cause": "firmware bug",
                "workaround": "power-cycle the PSU",
            ])
        #expect(su == 200 && known["state"] as? String == "known_error")
        #expect(
            try await post(
                "/v1/knowledge", ["actor": "alice", "title": "core10 console", "body": "use port 7", "ci": "core10"]
            ).0
                == 200)
        _ = try await d.post(#"{"source":"ping","host":"core10","type":"nodeDown"}"#)
        try await d.eventually { try await d.incidents().count == 2 }
        let newID = try #require(try await d.incidents().first?["id"] as? Int)
        let detail = try #require(try await d.getJSON("/v1/incidents/\(newID)") as? [String: Any])
        let suggestions = (detail["suggestions"] as? [[String: Any]] ?? []).map {
            "\($0["kind"] ?? "") \($0["text"] ?? "") (\($0["matched_by"] ?? ""))"
        }
        #expect(
            suggestions == ["knowledge use port 7 (ci core10)", "known_error power-cycle the PSU (rule node-down)"],
            "\(suggestions)")
        let rootDetail = try #require(try await d.getJSON("/v1/incidents/\(rootID)") as? [String: Any])
        #expect(rootDetail["problems"] as? [Int] == [pid])

        // An online backup while eccd runs: a consistent, standalone file.
        let (bs, backup) = try await d.client.request(.GET, "/v1/backup")
        #expect(bs == 200)
        let copy = dir + "/backup.db"
        try Data(backup).write(to: URL(fileURLWithPath: copy))
        let summary = try Backup.verify(copy)
        #expect(summary.incidents == 2 && summary.alarms == 4 && summary.schemaVersion == 10)
        // Nothing was written beside the database, and no copy is left behind.
        let beside = try FileManager.default.contentsOfDirectory(atPath: dir + "/var")
        #expect(beside.allSatisfy { $0.hasPrefix("ecc.db") || $0 == "snmp-engine" }, "\(beside)")
        try await d.stop()
    }
}

extension IncidentDaemonTests {
    @Test("a breach found by a late acknowledgement goes onto the bus at the next SLA check, once")
    func lateAcknowledgementBreach() async throws {
        let dir = try TestDaemon.makeDir(rules: incidentRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock()
        let d = try await TestDaemon(dir: dir, clock: clock)
        _ = try await d.post(#"{"source":"ping","host":"core1","type":"nodeDown"}"#)
        var incident: [String: Any] = [:]
        try await d.eventually {
            incident = try await d.incidents().first ?? [:]
            return !incident.isEmpty
        }
        let id = try #require(incident["id"] as? Int)
        // P1: 15 minutes to respond. Acknowledged after 20, before any SLA check saw the breach.
        clock.advance(seconds: 20 * 60)
        let (status, acked) = try await d.act(id, "ack", ["actor": "alice"])
        #expect(status == 200 && acked["response_breached"] as? Bool == true)
        func breachAlarms() async throws -> [[String: Any]] {
            ((try await d.getJSON("/v1/alarms?state=all") as? [[String: Any]]) ?? []).filter {
                $0["rule"] as? String == "sla-breached"
            }
        }
        d.daemon.checkSLAs()
        try await d.eventually { try await breachAlarms().map { $0["key"] as? String } == ["\(id)/response"] }
        // Later checks do not announce it again.
        d.daemon.checkSLAs()
        _ = try await d.post(#"{"source":"ping","host":"core1","type":"marker"}"#)
        try await d.eventually { d.daemon.processedEvents >= 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await breachAlarms().map { $0["count"] as? Int } == [1])
        try await d.stop()
    }
}

extension IncidentDaemonTests {
    @Test("CIs imported into the store feed topology suppression after a reload and after a restart")
    func cmdbThroughTheStore() async throws {
        let dir = try TestDaemon.makeDir(
            rules: """
                - rule: node-down
                  when: {type: nodeDown}
                  clear_when: {type: nodeUp}
                  root_cause: true
                  alarm: {severity: critical, summary: "{host} down"}
                - rule: interface-down
                  when: {type: linkDown}
                  key: "{host}/{ifIndex}"
                  alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
                """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = ManualClock()
        func suppressed(_ d: TestDaemon, _ host: String) async throws -> String? {
            let alarms = (try await d.getJSON("/v1/alarms") as? [[String: Any]]) ?? []
            return alarms.first { $0["host"] as? String == host }?["suppressed_by"] as? String
        }
        func outage(_ d: TestDaemon, core: String, switch sw: String) async throws {
            _ = try await d.post(#"{"source":"ping","host":"\#(core)","type":"nodeDown"}"#)
            _ = try await d.post(#"{"source":"snmp","host":"\#(sw)","type":"linkDown","attributes":{"ifIndex":1}}"#)
            try await d.eventually { try await suppressed(d, sw) != nil }
            #expect(try await suppressed(d, sw)?.hasPrefix("symptom:node-down#") == true)
        }
        do {
            let d = try await TestDaemon(dir: dir, clock: clock)
            // The import as the desk stores it (what POST /v1/cis and eccctl cis import end in), then the reload
            // that import triggers.
            let (added, _) = try d.daemon.desk.importCIs(
                [
                    ConfigurationItem(name: "core8", parent: nil, attributes: ["criticality": "high"]),
                    ConfigurationItem(name: "sw8", parent: "core8", attributes: [:]),
                    ConfigurationItem(name: "core9", parent: nil, attributes: [:]),
                    ConfigurationItem(name: "sw9", parent: "core9", attributes: [:]),
                ], by: "cmdb", at: clock.now())
            #expect(added == 4)
            #expect(await d.daemon.reloadRules().applied)
            try await outage(d, core: "core9", switch: "sw9")
            try await d.stop()
        }
        // At start the store's CMDB joins the rule files again.
        let d = try await TestDaemon(dir: dir, clock: clock)
        try await outage(d, core: "core8", switch: "sw8")
        let root = try #require(try await d.incidents().first { $0["ci"] as? String == "core8" })
        #expect(root["priority"] as? String == "P1", "criticality high from the imported item")
        try await d.stop()
    }
}
