import EccConfig
import EccCore
import EccDaemon
import EccIncidents
import EccRules
import EccSNMP
import EccStore
import EccYAML
import Foundation
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("the shipped eccd.yaml spells out the embedded defaults")
    func shippedDefaults() throws {
        let text = try String(contentsOfFile: "deploy/eccd.yaml", encoding: .utf8)
        #expect(try DaemonConfig.parse(text, file: "deploy/eccd.yaml") == DaemonConfig())
    }

    @Test("one check for eccd's start, --check-config and eccctl rules check --config: listeners, receivers, summary")
    func oneCheck() throws {
        let rules = try RuleLoader.load(paths: ["rules"])
        let defaults = try DaemonConfig().check()
        #expect(defaults.rules.rules.count == rules.rules.count)
        #expect(
            defaults.summary
                == "configuration OK; \(rules.rules.count) rules; notifications off; API without tokens (loopback); "
                + "TCP collector plain without tokens (loopback)")
        // A configuration made in code, not parsed, meets the same listener policy as a file.
        var open = DaemonConfig()
        open.tcp.host = "0.0.0.0"
        #expect { _ = try open.check(rules: rules) } throws: {
            ($0 as? StartupError)?.description.contains("tcp.listen 0.0.0.0") == true
        }
        // The routes' receivers against notify.receivers, for the rules given rather than the configured ones.
        let withNotify = try DaemonConfig.parse(
            """
            notify:
              smtp: {url: "smtp://127.0.0.1:2525", from: ecc@example.net}
              receivers:
                - name: noc-email
                  email: {to: [noc@example.net]}
            """, file: "eccd.yaml")
        #expect {
            _ = try withNotify.check(rules: rules)
        } throws: { error in
            let text = (error as? StartupError)?.description ?? ""
            return text.hasPrefix("rules refused:\n") && text.contains("names receiver 'network-email'")
        }
        #expect(try withNotify.check(rules: RuleSet([])).summary.contains("1 notification receivers"))
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

    @Test("snmp: v3 users with passphrases or localized keys, engine ID, MIB directories; errors with file:line:col")
    func snmp() throws {
        let c = try DaemonConfig.parse(
            """
            snmp:
              engine_id: "0x80001f880511223344"
              mibs: [/usr/share/snmp/mibs]
              users:
                - {name: ops, auth: SHA-256, auth_passphrase: "auth secret 1", priv: AES-256, priv_passphrase: "priv secret 2"}
                - {name: legacy, auth: md5, auth_passphrase: "12345678", min_level: authNoPriv}
                - {name: keyed, auth: SHA, auth_key: "0x6695febc9288e36282235fc7151f128497b38f3f", engine_id: "0x000000000000000000000002"}
            """, file: "c.yaml")
        #expect(c.snmp.engineID == [0x80, 0x00, 0x1F, 0x88, 0x05, 0x11, 0x22, 0x33, 0x44])
        #expect(c.snmp.mibDirectories == ["/usr/share/snmp/mibs"])
        #expect(c.snmp.users.map(\.level) == [.authPriv, .authNoPriv, .authNoPriv])
        #expect(c.snmp.users[0].priv?.protocol == .aes256 && c.snmp.users[1].auth?.protocol == .md5)
        #expect(c.snmp.users[2].engineID?.count == 12)
        let bad: [(String, String)] = [
            (
                "snmp:\n  users:\n    - {name: a, auth: SHA-3, auth_passphrase: 12345678}\n",
                "c.yaml:3:23: auth must be one of"
            ),
            (
                "snmp:\n  users:\n    - {name: a, auth: SHA, auth_passphrase: short}\n",
                "c.yaml:3:45: auth_passphrase must have at least 8"
            ),
            (
                "snmp:\n  users:\n    - {name: a, priv: AES, priv_passphrase: 12345678}\n",
                "c.yaml:3:23: privacy needs authentication"
            ),
            ("snmp:\n  users:\n    - {name: a, auth: SHA, auth_key: 0x00}\n", "c.yaml:3:38: auth_key is localized"),
            ("snmp:\n  users:\n    - {name: a, min_level: authPriv}\n", "c.yaml:3:28: min_level authPriv is above"),
            ("snmp:\n  users:\n    - {name: a}\n    - {name: a}\n", "c.yaml:4:7: snmp.users: a@ is listed twice"),
            ("snmp:\n  engine_id: 0x0102\n", "c.yaml:2:14: snmp.engine_id has 5 to 32 bytes"),
            ("snmp:\n  users:\n    - {name: a, password: x}\n", "c.yaml:3:17: unknown key 'password'"),
        ]
        for (text, prefix) in bad {
            do {
                _ = try DaemonConfig.parse(text, file: "c.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(prefix), "\(error.description)")
            }
        }
    }
}
