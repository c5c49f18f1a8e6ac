import EccClient
import EccCore
import EccDaemon
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
}
