import EccCore
import Foundation
import Testing

/// Suricata EVE records from `Tests/fuzz/eve` (written by hand from Suricata's documented EVE format:
/// Suricata is not in this machine's package sources, so no record here was written by a running Suricata).
@Suite("Suricata EVE")
struct SuricataEVETests {
    static let arrival = EventTime(nanoseconds: 1_796_292_000_000_000_000)
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/eve")

    func decode(_ name: String) throws -> SuricataEVE.Outcome {
        let data = try Data(contentsOf: Self.seeds.appendingPathComponent(name))
        return data.withUnsafeBytes { SuricataEVE.decode($0, receivedAt: Self.arrival, host: "eccd-host") }
    }

    @Test("an alert: its time, severity, signature, addresses and ports; the flow and other objects skipped")
    func alert() throws {
        guard case .alert(let e) = try decode("alert.json") else {
            Issue.record("not an alert")
            return
        }
        #expect(e.source == "suricata" && e.type == "ids_alert" && e.severity == .major)
        #expect(e.time == RFC3339.parse("2026-12-07T11:00:00.123456Z"))
        #expect(e.host == "eccd-host")
        #expect(e.summary == "ET SCAN Potential SSH Scan (203.0.113.9:51234 → 10.0.0.5:22)")
        #expect(e.attributes["signature_id"] == .int(2_001_219))
        #expect(e.attributes["category"] == .string("Attempted Information Leak"))
        #expect(e.attributes["ids_severity"] == .int(2))
        #expect(e.attributes["src"] == .string("203.0.113.9") && e.attributes["dst_port"] == .int(22))
        #expect(e.attributes["proto"] == .string("TCP") && e.attributes["in_iface"] == .string("eth0"))
        #expect(e.attributes["action"] == .string("allowed"))
    }

    @Test("the sensor's name is the host; escapes, IPv6, an offset, nested metadata and payload")
    func alertHTTP() throws {
        guard case .alert(let e) = try decode("alert-http.json") else {
            Issue.record("not an alert")
            return
        }
        #expect(e.host == "ids-dmz" && e.severity == .critical)
        #expect(e.attributes["signature"] == .string("ET MALWARE Observed Malicious \"SSL\" Certé"))
        #expect(e.attributes["src"] == .string("2001:db8::9"))
        #expect(e.time == RFC3339.parse("2026-12-07T10:00:01.000001Z"))
        #expect(e.attributes["app_proto"] == .string("http"))
    }

    @Test("other record types are named; broken records are refused with why")
    func others() throws {
        guard case .other(let flow) = try decode("flow.json"), case .other(let stats) = try decode("stats.json") else {
            Issue.record("not taken as other records")
            return
        }
        #expect(flow == "flow" && stats == "stats")
        for (name, reason) in [
            ("no-signature.json", InputRefusal.syntax), ("bad-time.json", .timeRange), ("deep.json", .depth),
            ("truncated.json", .syntax),
        ] {
            guard case .refused(let why, let r) = try decode(name) else {
                Issue.record("\(name) was taken")
                continue
            }
            #expect(r == reason, "\(name): \(why)")
        }
        #expect(SuricataEVE.severity(1) == .critical && SuricataEVE.severity(4) == .warning)
    }
}
