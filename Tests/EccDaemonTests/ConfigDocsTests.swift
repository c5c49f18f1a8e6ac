import EccConfig
import EccDaemon
import EccRules
import EccYAML
import Foundation
import Testing

/// A configuration that reaches every section the decoder has (the values matter little: each strict
/// mapping records the keys it accepts as soon as it is read).
let everySection = """
    database: {path: ./var/ecc.db, max_size_mb: 100}
    rules: [./rules]
    http: {listen: "127.0.0.1:8470", stream: {backlog: 64}}
    tcp: {listen: "127.0.0.1:8471"}
    input: {json_depth: 16}
    snmp:
      listen: "127.0.0.1:1162"
      communities: [public]
      users: [{name: netops, auth: SHA, auth_passphrase: "authpassphrase1", priv: AES, priv_passphrase: "privpassphrase1"}]
    syslog:
      {enabled: true, listen: "127.0.0.1:1514", tcp_listen: "127.0.0.1:1514", max_connections: 100, idle_timeout: 10m,
       tls: {listen: "127.0.0.1:6514", cert_file: /c.pem, key_file: /k.pem, client_ca_file: /ca.pem},
       receive_buffer: 1048576, max_message_bytes: 8192, allow: [192.0.2.0/24], timezone: UTC}
    files:
      - {path: /var/log/a.log, multiline_start: '^x', max_line_bytes: 1024, unparsed: event, start_at: beginning}
    bus: {capacity: 1024}
    log: {level: info}
    self_monitoring: {collector_silent_after: 15m, clock_jump: 5s}
    incidents:
      business_hours: {days: [mon], from: "08:00", to: "18:00"}
      sla: {P1: {response: 15m, resolution: 4h}}
    retention: {closed_incidents: 730d}
    notify:
      retry: {initial: 10s}
      smtp: {url: "smtp://127.0.0.1:2525", from: "ECC <ecc@example.com>"}
      kannel: {url: "http://127.0.0.1:13013/cgi-bin/sendsms", username: ecc, password: "x"}
      receivers:
        - {name: mail, email: {to: [a@example.com], smtp: {tls: none}}, rate_limit: {rate: 1}}
        - {name: sms, sms: {to: ["+1555"], kannel: {from: "1"}}}
        - name: api
          sms: {to: ["+1555"], gateway: {url: "https://sms.example.com/send", success: {status: [200]}}}
        - {name: hook, webhook: {url: "https://hooks.example.com/ecc"}}
    """

@Suite("Configuration documentation")
struct ConfigDocsTests {
    @Test("every key the configuration decoder accepts is in docs/configuration.md")
    func everyKeyDocumented() throws {
        let (_, accepted) = try AcceptedKeys.record { try DaemonConfig.parse(everySection, file: "all.yaml") }
        let doc = try String(contentsOfFile: "docs/configuration.md", encoding: .utf8)
        // Each line's backticked spans, and the words and dotted parts inside them.
        let lines: [(spans: Set<String>, words: Set<String>)] = doc.split(separator: "\n").map { line in
            var spans = Set<String>()
            var words = Set<String>()
            for piece in line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            where piece.offset % 2 == 1 {
                spans.insert(String(piece.element))
                let separators: (Character) -> Bool = { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }
                for word in piece.element.split(whereSeparator: separators) {
                    words.insert(String(word))
                    for part in word.split(separator: ".") { words.insert(String(part)) }
                }
            }
            return (spans, words)
        }
        #expect(accepted.count >= 20, "the configuration reached only \(accepted.keys.sorted())")
        var missing: [String] = []
        for (what, keys) in accepted {
            let parts = what.split(separator: ".").map(String.init)
            let dotted = what.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." } && !parts.isEmpty
            // A dotted section (http, notify.smtp) is documented key by key, on a line that names the section
            // or the end of its path (`smtp.` in the notify table): `tcp.max_connections` does not count for
            // `http.max_connections`. Other sections (a receiver's e-mail) need the key named.
            let suffixes = parts.indices.map { parts[$0...].joined(separator: ".") }
            for key in keys {
                let documented = lines.contains { line in
                    guard line.words.contains(key) else { return false }
                    guard dotted else { return true }
                    return suffixes.contains { s in line.spans.contains { $0 == s || $0.hasPrefix(s + ".") } }
                }
                if !documented { missing.append(dotted ? "\(what).\(key)" : "\(key) (in \(what))") }
            }
        }
        #expect(
            missing.isEmpty, "keys the decoder accepts but docs/configuration.md does not name: \(missing.sorted())")
    }
}
