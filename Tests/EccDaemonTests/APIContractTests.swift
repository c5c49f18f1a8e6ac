import EccAPI
import EccCore
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
}
