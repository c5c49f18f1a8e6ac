import EccCore
import EccTestSupport
import Foundation
import Testing

@testable import EccNotify

@Suite("Webhook channel")
struct WebhookTests {
    @Test("the Alertmanager body: version 4, group labels, one alert per alarm with times, link, fingerprint")
    func alertmanagerBodyShape() throws {
        let ch = WebhookChannel(url: "http://127.0.0.1:1/hook", format: .alertmanager, externalURL: "http://ecc:8080")
        let m = Fixtures.message(alarms: [Fixtures.alarm(), Fixtures.alarm(8, summary: "BGP \"down\"", host: "core2")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ch.body(m))) as? [String: Any])
        #expect((json["version"] as? String) == "4")
        #expect((json["status"] as? String) == "firing")
        #expect((json["receiver"] as? String) == "noc-email")
        #expect((json["groupKey"] as? String) == "{}/core:{site=\"bj1\"}")
        #expect((json["groupLabels"] as? [String: String]) == ["site": "bj1"])
        #expect((json["externalURL"] as? String) == "http://ecc:8080")
        let common = try #require(json["commonLabels"] as? [String: String])
        #expect(common["alertname"] == "link-down")
        #expect(common["severity"] == "critical")
        #expect(common["host"] == nil)
        let alerts = try #require(json["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2)
        let a = alerts[0]
        #expect((a["status"] as? String) == "firing")
        let labels = try #require(a["labels"] as? [String: String])
        #expect(labels["alertname"] == "link-down")
        #expect(labels["host"] == "core1")
        #expect(labels["key"] == "core1/Gi0/1")
        #expect(labels["site"] == "bj1")
        #expect((a["annotations"] as? [String: String])?["summary"] == "Interface Gi0/1 down")
        #expect((alerts[1]["annotations"] as? [String: String])?["summary"] == "BGP \"down\"")
        #expect((a["startsAt"] as? String) == "2026-12-03T10:00:00.000Z")
        #expect((a["endsAt"] as? String) == "0001-01-01T00:00:00Z")
        #expect((a["generatorURL"] as? String) == "http://ecc:8080/v1/alarms/7/why")
        #expect((a["fingerprint"] as? String)?.count == 16)
        #expect((a["fingerprint"] as? String) != (alerts[1]["fingerprint"] as? String))

        let r = Fixtures.message(.resolved, alarms: [Fixtures.alarm(state: .cleared)])
        let rj = try #require(try JSONSerialization.jsonObject(with: Data(ch.body(r))) as? [String: Any])
        #expect((rj["status"] as? String) == "resolved")
        let ra = try #require((rj["alerts"] as? [[String: Any]])?.first)
        #expect((ra["status"] as? String) == "resolved")
        #expect((ra["endsAt"] as? String) == "2026-12-03T10:10:00.000Z")
    }

    @Test("the ECC body starts with id, kind, receiver and route, carries the step, times and incident, and is stable")
    func eccBody() throws {
        let m = Fixtures.message(.escalation, step: 2)
        let text = String(decoding: WebhookChannel.eccBody(m), as: UTF8.self)
        #expect(
            text.hasPrefix(#"{"id":"ecc-1f3a9c2e-42","kind":"escalation","receiver":"noc-email","route":"core""#))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((json["escalation_step"] as? Int) == 2)
        #expect((json["created_at"] as? String) == "2026-12-03T10:02:00.000Z")
        let alarm = try #require((json["alarms"] as? [[String: Any]])?.first)
        #expect((alarm["incident"] as? Int) == 12)
        #expect((alarm["first_seen"] as? String) == "2026-12-03T10:00:00.000Z")
        #expect(WebhookChannel.eccBody(m) == WebhookChannel.eccBody(m))
    }

    @Test("the HMAC-SHA256 signature matches openssl's and goes in the headers only when there is a secret")
    func signatureMatchesOpenSSL() throws {
        let secret = Array("s3cr3t-key".utf8)
        let body = Array(#"{"id":"x","text":"中文"}"#.utf8)
        let sig = WebhookChannel.signature(secret: secret, timestamp: 1_796_292_000, body: body)
        #expect(sig.count == 64)
        let (_, out) = try ChildProcess.run(
            "/usr/bin/openssl", ["dgst", "-sha256", "-hmac", "s3cr3t-key"], input: Array("1796292000.".utf8) + body,
            stderrPath: "/dev/null")
        #expect(out.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == sig)

        let ch = WebhookChannel(url: "http://x", secret: secret)
        let h = ch.requestHeaders(Fixtures.message(), body: body, timestamp: 1_796_292_000)
        #expect(h.first { $0.name == "X-ECC-Signature" }?.value == "sha256=" + sig)
        #expect(h.first { $0.name == "X-ECC-Timestamp" }?.value == "1796292000")
        #expect(h.first { $0.name == "Idempotency-Key" }?.value == "ecc-1f3a9c2e-42")
        #expect(
            WebhookChannel(url: "http://x").requestHeaders(Fixtures.message(), body: body, timestamp: 1)
                .first { $0.name == "X-ECC-Signature" } == nil)
    }

    @Test("2xx is delivered, 408/425/429/5xx and a refused connection temporary, other statuses and schemes permanent")
    func httpClassification() {
        func kind(_ s: Int) -> String {
            switch HTTPTransport.classify(status: s, body: "") {
            case .delivered: "d"
            case .temporary: "t"
            case .permanent: "p"
            }
        }
        #expect(
            [200, 202, 204, 301, 400, 403, 404, 408, 425, 429, 500, 503].map(kind)
                == ["d", "d", "d", "p", "p", "p", "p", "t", "t", "t", "t", "t"])
        let refused = HTTPTransport(connectTimeout: 2_000_000_000, timeout: 3_000_000_000).request(
            method: "POST", url: "http://127.0.0.1:9/x", body: [1])
        guard case .temporary(let why) = HTTPTransport.classify(refused) else {
            Issue.record("\(refused)")
            return
        }
        #expect(why.contains("curl error 7"), "\(why)")
        let bad = HTTPTransport().request(method: "GET", url: "ftp://127.0.0.1/x")
        guard case .permanent = HTTPTransport.classify(bad) else {
            Issue.record("\(bad)")
            return
        }
    }
}

@Suite("Notification templates")
struct TemplateTests {
    @Test("the same summary rendered with HTML, text, JSON and URL escaping")
    func htmlEscapingAndText() throws {
        let html = try NotificationTemplate("<b>{{firstAlarm.summary}}</b>", escaping: .html)
        let text = try NotificationTemplate("{{firstAlarm.summary}}", escaping: .text)
        let json = try NotificationTemplate(#"{"t":"{{firstAlarm.summary}}"}"#, escaping: .json)
        let url = try NotificationTemplate("x?t={{firstAlarm.summary}}", escaping: .url)
        let ctx = TemplateContext.make(Fixtures.message(alarms: [Fixtures.alarm(summary: "a<b> & \"c\"\n中")]))
        #expect(html.render(ctx) == "<b>a&lt;b&gt; &amp; &quot;c&quot;\n中</b>")
        #expect(text.render(ctx) == "a<b> & \"c\"\n中")
        #expect(json.render(ctx) == #"{"t":"a<b> & \"c\"\n中"}"#)
        #expect(url.render(ctx) == "x?t=a%3Cb%3E%20%26%20%22c%22%0A%E4%B8%AD")
    }

    @Test("a template syntax error (a mismatched or unclosed section) names its line")
    func syntaxErrorPosition() {
        let mismatched = #expect(throws: NotificationTemplate.SyntaxError.self) {
            try NotificationTemplate("ok\n  {{#a}} x {{/b}}", escaping: .text)
        }
        if let mismatched {
            #expect(mismatched.line == 2)
            #expect(mismatched.message.contains("different name"), "\(mismatched.message)")
        }
        let unclosed = #expect(throws: (any Error).self) {
            try NotificationTemplate("{{#a}} x", escaping: .html)
        }
        if let unclosed {
            #expect((unclosed as? NotificationTemplate.SyntaxError)?.line == 1)
        }
    }

    @Test("the default SMS text for a firing, a resolved (with +N more) and an escalated message")
    func defaultSMS() throws {
        let sms = try NotificationTemplate(DefaultTemplates.sms, escaping: .text)
        #expect(
            sms.render(TemplateContext.make(Fixtures.message())) == "CRIT core1: Interface Gi0/1 down (inc #12 P1)")
        #expect(
            sms.render(
                TemplateContext.make(
                    Fixtures.message(.resolved, alarms: [Fixtures.alarm(state: .cleared), Fixtures.alarm(9)])))
                == "OK core1: Interface Gi0/1 down (inc #12 P1) +1 more")
        #expect(
            sms.render(
                TemplateContext.make(Fixtures.message(.escalation, alarms: [Fixtures.alarm(incident: nil)], step: 2)))
                == "ESC2 CRIT core1: Interface Gi0/1 down")
    }

    @Test("the default digest lists each held message in the text body, escaped in the HTML body")
    func defaultDigestText() throws {
        let held = [HeldMessage(id: "a", kind: .firing, route: "core", line: "Link <down>", createdAt: Fixtures.t0)]
        let ctx = TemplateContext.make(Fixtures.message(.digest, alarms: [], held: held))
        let text = try NotificationTemplate(DefaultTemplates.text, escaping: .text).render(ctx)
        #expect(text.contains("- 2026-12-03T10:00:00Z [firing] Link <down> (route core)"), "\(text)")
        let html = try NotificationTemplate(DefaultTemplates.html, escaping: .html).render(ctx)
        #expect(html.contains("Link &lt;down&gt;"), "\(html)")
    }
}

@Suite("URLs in errors")
struct RedactionTests {
    @Test("logs and the outbox see scheme, host and port only")
    func redacted() {
        #expect(
            HTTPTransport.redacted("http://127.0.0.1:13013/cgi-bin/sendsms?username=ecc&password=secret")
                == "http://127.0.0.1:13013/…")
        #expect(
            HTTPTransport.redacted("https://hooks.example.com/services/T000/B000/XXXXSECRET")
                == "https://hooks.example.com/…")
        #expect(HTTPTransport.redacted("smtp://user:pw@mail.example.com:587") == "smtp://mail.example.com:587")
        #expect(!HTTPTransport.redacted("smtps://u:p@h:465/?x=1").contains("p@"))
    }
}
