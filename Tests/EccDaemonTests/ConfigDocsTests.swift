import EccDaemon
import EccRules
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
    bus: {capacity: 1024}
    log: {level: info}
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
        // The backticked spans of the document, split into their dotted parts too (`smtp.username`, `password`).
        var spans = Set<String>()
        for piece in doc.split(separator: "`").enumerated() where piece.offset % 2 == 1 {
            let span = String(piece.element)
            spans.insert(span)
            for word in span.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) {
                spans.insert(String(word))
                for part in word.split(separator: ".") { spans.insert(String(part)) }
            }
        }
        #expect(accepted.count >= 20, "the configuration reached only \(accepted.keys.sorted())")
        var missing: [String] = []
        for (what, keys) in accepted {
            // A section named by its dotted path (http, notify.retry) counts as documented when its path, or
            // the end of it (`retry.initial` in the notify table), is; its keys must then be named too.
            let parts = what.split(separator: ".").map(String.init)
            let dotted = what.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." } && !parts.isEmpty
            for key in keys {
                let documented: Bool
                if dotted {
                    let suffixes = parts.indices.map { parts[$0...].joined(separator: ".") }
                    documented =
                        spans.contains("\(what).\(key)")
                        || suffixes.contains { spans.contains($0) || spans.contains("\($0).\(key)") }
                            && spans.contains(key)
                } else {
                    documented = spans.contains(key)
                }
                if !documented { missing.append(dotted ? "\(what).\(key)" : "\(key) (in \(what))") }
            }
        }
        #expect(
            missing.isEmpty, "keys the decoder accepts but docs/configuration.md does not name: \(missing.sorted())")
    }
}
