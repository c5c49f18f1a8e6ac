import EccDaemon
import EccRules
import EccStore
import Foundation
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("the shipped eccd.yaml spells out the embedded defaults")
    func shippedDefaults() throws {
        let text = try String(contentsOfFile: "deploy/eccd.yaml", encoding: .utf8)
        #expect(try DaemonConfig.parse(text, file: "deploy/eccd.yaml") == DaemonConfig())
    }

    @Test("incident settings: SLA targets, business hours, near-breach; errors with file:line:col")
    func incidents() throws {
        let c = try DaemonConfig.parse(
            """
            incidents:
              reopen_window: 2h
              near_breach: 0.9
              business_hours: {days: [mon, tue], from: "09:00", to: "17:30", timezone: Europe/Berlin}
              sla:
                P3: {response: 1h, resolution: 2d, business_hours: true}
            """, file: "c.yaml")
        #expect(c.incidents.reopenWindow == 7_200_000_000_000)
        #expect(c.incidents.nearBreach == 0.9)
        #expect(c.incidents.businessHours?.days == [2, 3])
        #expect(c.incidents.businessHours?.start == 540 && c.incidents.businessHours?.end == 1050)
        #expect(
            c.incidents.sla[3]
                == SLATarget(response: 3_600_000_000_000, resolution: 172_800_000_000_000, businessHours: true))
        #expect(c.incidents.sla[1] == IncidentPolicy.defaultSLA[1])
        let bad: [(String, String)] = [
            ("incidents:\n  sla:\n    P6: {response: 1h, resolution: 2h}\n", "c.yaml:3:5: unknown key 'P6'"),
            (
                "incidents:\n  sla:\n    P1: {response: 2h, resolution: 1h}\n",
                "c.yaml:3:9: P1: response must be positive"
            ),
            ("incidents:\n  business_hours: {from: \"18:00\", to: \"08:00\"}\n", "c.yaml:2:19: business_hours: 'to'"),
            ("incidents:\n  reopen_window: soon\n", "c.yaml:2:18:"),
        ]
        for (text, prefix) in bad {
            #expect(throws: ConfigError.self) { try DaemonConfig.parse(text, file: "c.yaml") }
            do { _ = try DaemonConfig.parse(text, file: "c.yaml") } catch {
                #expect(error.description.hasPrefix(prefix), "\(error.description)")
            }
        }
    }
}
