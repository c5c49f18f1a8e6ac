import EccCore
import EccRules
import EccYAML
import Foundation
import Testing

@testable import EccNotify

@Suite("Notification receivers in eccd.yaml")
struct NotifyConfigTests {
    func parse(_ yaml: String) throws -> NotifyConfig {
        guard let v = try YAMLValue.parse(yaml, file: "eccd.yaml") else {
            throw ConfigError("empty", file: "eccd.yaml")
        }
        return try NotifyConfig.parseNotify(v)
    }

    func error(_ yaml: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try parse(yaml)
            Issue.record("no error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return "\(error)"
        }
    }

    let full = """
        smtp:
          url: smtp://127.0.0.1:2525
          tls: try
          username: ecc
          password: secret
          auth: PLAIN
          from: "ECC <ecc@example.com>"
          timeout: 5s
        kannel: {url: "http://127.0.0.1:13013/cgi-bin/sendsms", username: ecc, password: pw, from: ECC, dlr_mask: 31}
        receivers:
          - name: noc-email
            rate_limit: {rate: 10, per: 1m, burst: 20}
            email:
              to: [noc@example.com]
              cc: boss@example.com
              subject: "{{status}} {{firstAlarm.summary}}"
              smtp: {url: "smtps://mail.example.com:465", tls: none, message_id_domain: ecc.example.com}
          - name: noc-sms
            sms: {to: ["+8613800000000"], numbered: false}
          - name: gw-sms
            sms:
              to: "+8613800000001"
              gateway:
                url: "https://api.example.com/sms?to={{to}}"
                headers: {Content-Type: application/json, Authorization: "Bearer x"}
                body: '{"text": "{{text}}"}'
                success: {status: [200, 201], body_contains: '"ok"'}
          - name: ops-hook
            webhook: {url: "https://hooks.example.com/ecc", format: alertmanager, secret: k, timeout: 3s}
        """

    @Test("a full configuration: SMTP and Kannel defaults, overrides, a rate limit, an HTTP SMS gateway, a webhook")
    func fullConfig() throws {
        let c = try parse(full)
        #expect(c.receivers.map(\.name) == ["noc-email", "noc-sms", "gw-sms", "ops-hook"])
        let e = try #require(c.receivers[0].channel as? EmailChannel)
        #expect(e.smtp.url == "smtps://mail.example.com:465")
        #expect(e.smtp.username == "ecc")
        #expect(e.smtp.auth == .plain)
        #expect(e.smtp.timeout == 5_000_000_000)
        #expect(e.messageIDDomain == "ecc.example.com")
        #expect(e.cc == ["boss@example.com"])
        #expect(c.receivers[0].rateLimit == RateLimit(rate: 10.0 / 60, burst: 20))
        #expect(c.receivers[0].location.line == 11)
        let s = try #require(c.receivers[1].channel as? SMSChannel)
        guard case .kannel(let k) = s.gateway else {
            Issue.record("not kannel")
            return
        }
        #expect(k.dlrMask == 31)
        #expect(!s.numbered)
        let g = try #require(c.receivers[2].channel as? SMSChannel)
        guard case .http(let h) = g.gateway else {
            Issue.record("not a gateway")
            return
        }
        #expect(h.body?.escaping == .json)
        #expect(h.success.statuses == [200, 201])
        let w = try #require(c.receivers[3].channel as? WebhookChannel)
        #expect(w.format == .alertmanager)
        #expect(w.secret == Array("k".utf8))
        #expect(w.http.timeout == 3_000_000_000)
    }

    @Test("configuration errors name file, line and column, and say what is wrong")
    func errorsHavePositions() {
        #expect(
            error("receivers:\n  - name: a\n    email: {to: [x@y], smtp: {url: smtp://h, form: a@b}}\n")
                == "eccd.yaml:3:46: unknown key 'form' in receiver 'a' email.smtp (known: url, tls, username, password, "
                + "password_file, auth, from, message_id_domain, ca_file, verify, connect_timeout, timeout); did you mean 'from'?"
        )
        #expect(
            error("receivers:\n  - name: a\n    webhook: {url: http://x}\n  - name: a\n    webhook: {url: http://y}\n")
                .hasPrefix("eccd.yaml:4:5: receiver 'a' is defined twice (first at eccd.yaml:2:5)"))
        let t = error(
            "smtp: {url: smtp://h, from: a@b.c}\nreceivers:\n  - name: a\n    email:\n      to: x@y\n      subject: \"{{#a}} x\"\n"
        )
        #expect(t.hasPrefix("eccd.yaml:6:16: subject: template line 1 column"), "\(t)")
        #expect(t.contains("not closed"), "\(t)")
        #expect(error("receivers:\n  - name: a\n    email: {to: [x@y]}\n").contains("no SMTP url"))
        #expect(error("receivers:\n  - name: a\n    sms: {to: ['+1']}\n").hasPrefix("eccd.yaml:3:10: "))
        #expect(
            error("receivers:\n  - name: a\n    webhook: {url: ftp://x}\n").hasPrefix("eccd.yaml:3:20: "))
        #expect(
            error("receivers:\n  - name: a\n    rate_limit: {rate: 0}\n    webhook: {url: http://x}\n")
                .hasPrefix("eccd.yaml:3:24: rate must be a positive number"))
        #expect(
            error(
                "smtp: {url: smtp://h, from: a@b.c}\nreceivers:\n  - name: a\n    email: {to: \"x@y\\r\\nRCPT TO:<z@w>\"}\n"
            )
            .contains("is not an e-mail address"))
        #expect(error("receivers:\n  - name: a\n").hasPrefix("eccd.yaml:2:5: receiver 'a' needs one of"))
    }

    @Test("an error in a template file points into that file and names the receiver; a secret file's first line")
    func templateFileErrorPointsIntoTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-notify-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("body.mustache").path
        try "line one\nline {{two\n".write(toFile: path, atomically: true, encoding: .utf8)
        let t = error(
            "smtp: {url: smtp://h, from: a@b.c}\nreceivers:\n  - name: a\n    email: {to: x@y, text_file: \(path)}\n")
        #expect(t.hasPrefix("\(path):3:1: the template ends inside a tag"), "\(t)")
        #expect(t.contains("the text template of eccd.yaml:4:"), "\(t)")
        try "hunter2\nignored\n".write(toFile: path, atomically: true, encoding: .utf8)
        let c = try parse("receivers:\n  - name: a\n    webhook: {url: http://x, secret_file: \(path)}\n")
        #expect((c.receivers[0].channel as? WebhookChannel)?.secret == Array("hunter2".utf8))
    }
}
