import EccAPI
import EccCore
import EccIncidents
import Foundation
import Testing

/// The answers eccd still writes by hand (alarm lists up to a million long, the live stream) hold to
/// EccAPI's types, which eccctl decodes: a field renamed on one side fails here.
@Suite("API contract")
struct APIContractTests {
    static let t0 = EventTime(seconds: 1_796_292_000)

    static let alarms: [Alarm] = [
        Alarm(
            id: 7, rule: "interface-down", key: "sw1/3", severity: .major, summary: "Interface 3 down on sw1",
            source: "snmp", host: "sw1", type: "linkDown", firstSeen: t0, lastSeen: t0.adding(nanoseconds: 5), count: 4),
        Alarm(
            id: 8, rule: "site-down", key: "bj1", state: .cleared, severity: .critical, summary: "Site bj1 down",
            source: "ping", host: "", type: "siteDown", firstSeen: t0, lastSeen: t0,
            clearedAt: t0.adding(nanoseconds: 9),
            suppression: Suppression(reason: .symptom, name: "node-down", cause: 3), flapping: true,
            members: ["core1", "core2"]),
        Alarm(
            id: 9, rule: "maint", key: "x", severity: .info, summary: "in a window", source: "s", host: "h", type: "t",
            firstSeen: t0, lastSeen: t0, suppression: Suppression(reason: .maintenance, name: "upgrade")),
    ]

    /// The same JSON value (keys, nulls and values), whatever the key order.
    static func same(_ a: [UInt8], _ b: Data) throws -> Bool {
        let x = try #require(try JSONSerialization.jsonObject(with: Data(a)) as? NSDictionary)
        let y = try #require(try JSONSerialization.jsonObject(with: b) as? NSDictionary)
        return x == y
    }

    @Test("an alarm as GET /v1/alarms writes it is AlarmView's JSON, and decodes into the same view")
    func alarmList() throws {
        for a in Self.alarms {
            var w = JSONWriter()
            w.write(a)
            #expect(try JSONDecoder().decode(AlarmView.self, from: Data(w.bytes)) == AlarmView(a))
            #expect(try Self.same(w.bytes, JSONEncoder().encode(AlarmView(a))))
        }
    }

    @Test("a change on the live stream carries the alarm's fields as AlarmView has them")
    func streamChange() throws {
        for a in Self.alarms {
            var w = JSONWriter()
            w.write(AlarmChange(kind: .raised, alarm: a, at: Self.t0))
            #expect(try JSONDecoder().decode(AlarmView.self, from: Data(w.bytes)) == AlarmView(a))
        }
    }

    @Test("a request body that does not decode is refused naming the field and what it must be")
    func requestRefusals() {
        func refusal<T: Decodable>(_: T.Type, _ body: String) -> RequestRefusal? {
            if case .failure(let r) = APIJSON.decodeRequest(T.self, from: Data(body.utf8)) { return r }
            return nil
        }
        #expect(
            refusal(CIImportRequest.self, #"{"items": [{"name": "a"}, {"name": 3}]}"#)
                == RequestRefusal("items[1].name must be a string", field: "items[1].name"))
        #expect(refusal(ProblemLinkRequest.self, #"{"incident": "12"}"#)?.field == "incident")
        #expect(refusal(AcknowledgeRequest.self, #"{"actor": 5}"#)?.message == "actor must be a string")
        #expect(refusal(AcknowledgeRequest.self, "[1, 2]") == RequestRefusal("the body must be a JSON object"))
        #expect(refusal(AcknowledgeRequest.self, "") == nil)  // an empty body is {}
    }

    @Test("ITSM and notification answers: every key of a change or problem is there (null when empty), in snake case")
    func itsmAnswers() throws {
        let change = ChangeView(
            id: 3, title: "swap sw1", description: nil, state: .approved, start: "2026-12-01T01:00:00Z",
            end: "2026-12-01T02:00:00Z", cis: ["sw1"], requestedBy: "alice", approvedBy: nil,
            maintenanceWindow: "change-3", createdAt: "2026-11-30T00:00:00Z", updatedAt: "2026-11-30T00:00:00Z")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try APIJSON.encode(change))) as? [String: Any])
        #expect(
            Set(object.keys)
                == [
                    "id", "title", "description", "state", "start", "end", "cis", "requested_by", "approved_by",
                    "maintenance_window", "created_at", "updated_at",
                ])
        #expect(object["description"] is NSNull && object["state"] as? String == "approved")
        #expect(try APIJSON.decode(ChangeView.self, from: try APIJSON.encode(change)) == change)
        let problem = ProblemView(
            id: 1, title: "t", state: .knownError, rootCause: nil, workaround: "w", matchText: nil, createdBy: "a",
            createdAt: "x", updatedAt: "y", incidents: [4])
        let p = try #require(
            try JSONSerialization.jsonObject(with: Data(try APIJSON.encode(problem))) as? [String: Any])
        #expect(p["root_cause"] is NSNull && p["state"] as? String == "known_error" && p.count == 10)
        // A notification leaves out what does not apply to it.
        let n = NotificationView(
            id: "ecc-1-2.x", receiver: "noc", kind: .firing, route: "r", state: .pending, alarms: [7],
            createdAt: "c", nextAttempt: nil, attempts: 0, lastError: nil, sentAt: nil, digestRow: nil, reason: nil,
            alarm: nil, attemptLog: nil)
        let m = try #require(try JSONSerialization.jsonObject(with: Data(try APIJSON.encode(n))) as? [String: Any])
        #expect(Set(m.keys) == ["id", "receiver", "kind", "route", "state", "alarms", "created_at", "attempts"])
    }
}
