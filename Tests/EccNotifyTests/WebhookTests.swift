import EccCore
import Foundation
import Testing
import XCTest

@testable import EccNotify

final class WebhookTests: XCTestCase {
    func testAlertmanagerBodyShape() throws {
        let ch = WebhookChannel(url: "http://127.0.0.1:1/hook", format: .alertmanager, externalURL: "http://ecc:8080")
        let m = Fixtures.message(alarms: [Fixtures.alarm(), Fixtures.alarm(8, summary: "BGP \"down\"", host: "core2")])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ch.body(m))) as? [String: Any])
        XCTAssertEqual(json["version"] as? String, "4")
        XCTAssertEqual(json["status"] as? String, "firing")
        XCTAssertEqual(json["receiver"] as? String, "noc-email")
        XCTAssertEqual(json["groupKey"] as? String, "{}/core:{site=\"bj1\"}")
        XCTAssertEqual(json["groupLabels"] as? [String: String], ["site": "bj1"])
        XCTAssertEqual(json["externalURL"] as? String, "http://ecc:8080")
        let common = try XCTUnwrap(json["commonLabels"] as? [String: String])
        XCTAssertEqual(common["alertname"], "link-down")
        XCTAssertEqual(common["severity"], "critical")
        XCTAssertNil(common["host"])
        let alerts = try XCTUnwrap(json["alerts"] as? [[String: Any]])
        XCTAssertEqual(alerts.count, 2)
        let a = alerts[0]
        XCTAssertEqual(a["status"] as? String, "firing")
        let labels = try XCTUnwrap(a["labels"] as? [String: String])
        XCTAssertEqual(labels["alertname"], "link-down")
        XCTAssertEqual(labels["host"], "core1")
        XCTAssertEqual(labels["key"], "core1/Gi0/1")
        XCTAssertEqual(labels["site"], "bj1")
        XCTAssertEqual((a["annotations"] as? [String: String])?["summary"], "Interface Gi0/1 down")
        XCTAssertEqual((alerts[1]["annotations"] as? [String: String])?["summary"], "BGP \"down\"")
        XCTAssertEqual(a["startsAt"] as? String, "2026-12-03T10:00:00.000Z")
        XCTAssertEqual(a["endsAt"] as? String, "0001-01-01T00:00:00Z")
        XCTAssertEqual(a["generatorURL"] as? String, "http://ecc:8080/v1/alarms/7/why")
        XCTAssertEqual((a["fingerprint"] as? String)?.count, 16)
        XCTAssertNotEqual(a["fingerprint"] as? String, alerts[1]["fingerprint"] as? String)

        let r = Fixtures.message(.resolved, alarms: [Fixtures.alarm(state: .cleared)])
        let rj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ch.body(r))) as? [String: Any])
        XCTAssertEqual(rj["status"] as? String, "resolved")
        let ra = try XCTUnwrap((rj["alerts"] as? [[String: Any]])?.first)
        XCTAssertEqual(ra["status"] as? String, "resolved")
        XCTAssertEqual(ra["endsAt"] as? String, "2026-12-03T10:10:00.000Z")
    }

    func testECCBody() throws {
        let m = Fixtures.message(.escalation, step: 2)
        let text = String(decoding: WebhookChannel.eccBody(m), as: UTF8.self)
        XCTAssertTrue(
            text.hasPrefix(#"{"id":"ecc-1f3a9c2e-42","kind":"escalation","receiver":"noc-email","route":"core""#))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(json["escalation_step"] as? Int, 2)
        XCTAssertEqual(json["created_at"] as? String, "2026-12-03T10:02:00.000Z")
        let alarm = try XCTUnwrap((json["alarms"] as? [[String: Any]])?.first)
        XCTAssertEqual(alarm["incident"] as? Int, 12)
        XCTAssertEqual(alarm["first_seen"] as? String, "2026-12-03T10:00:00.000Z")
        XCTAssertEqual(WebhookChannel.eccBody(m), WebhookChannel.eccBody(m))
    }

    func testSignatureMatchesOpenSSL() throws {
        let secret = Array("s3cr3t-key".utf8)
        let body = Array(#"{"id":"x","text":"中文"}"#.utf8)
        let sig = WebhookChannel.signature(secret: secret, timestamp: 1_796_292_000, body: body)
        XCTAssertEqual(sig.count, 64)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["dgst", "-sha256", "-hmac", "s3cr3t-key"]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data("1796292000.".utf8) + Data(body))
        try input.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(out.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, sig)

        let ch = WebhookChannel(url: "http://x", secret: secret)
        let h = ch.requestHeaders(Fixtures.message(), body: body, timestamp: 1_796_292_000)
        XCTAssertEqual(h.first { $0.name == "X-ECC-Signature" }?.value, "sha256=" + sig)
        XCTAssertEqual(h.first { $0.name == "X-ECC-Timestamp" }?.value, "1796292000")
        XCTAssertEqual(h.first { $0.name == "Idempotency-Key" }?.value, "ecc-1f3a9c2e-42")
        XCTAssertNil(
            WebhookChannel(url: "http://x").requestHeaders(Fixtures.message(), body: body, timestamp: 1)
                .first { $0.name == "X-ECC-Signature" })
    }

    func testHTTPClassification() {
        func kind(_ s: Int) -> String {
            switch HTTPTransport.classify(status: s, body: "") {
            case .delivered: "d"
            case .temporary: "t"
            case .permanent: "p"
            }
        }
        XCTAssertEqual(
            [200, 202, 204, 301, 400, 403, 404, 408, 425, 429, 500, 503].map(kind),
            ["d", "d", "d", "p", "p", "p", "p", "t", "t", "t", "t", "t"])
        let refused = HTTPTransport(connectTimeout: 2_000_000_000, timeout: 3_000_000_000).request(
            method: "POST", url: "http://127.0.0.1:9/x", body: [1])
        guard case .temporary(let why) = HTTPTransport.classify(refused) else { return XCTFail("\(refused)") }
        XCTAssertTrue(why.contains("curl error 7"), why)
        let bad = HTTPTransport().request(method: "GET", url: "ftp://127.0.0.1/x")
        guard case .permanent = HTTPTransport.classify(bad) else { return XCTFail("\(bad)") }
    }
}

final class TemplateTests: XCTestCase {
    func testHTMLEscapingAndText() throws {
        let html = try NotificationTemplate("<b>{{firstAlarm.summary}}</b>", escaping: .html)
        let text = try NotificationTemplate("{{firstAlarm.summary}}", escaping: .text)
        let json = try NotificationTemplate(#"{"t":"{{firstAlarm.summary}}"}"#, escaping: .json)
        let url = try NotificationTemplate("x?t={{firstAlarm.summary}}", escaping: .url)
        let ctx = TemplateContext.make(Fixtures.message(alarms: [Fixtures.alarm(summary: "a<b> & \"c\"\n中")]))
        XCTAssertEqual(html.render(ctx), "<b>a&lt;b&gt; &amp; &quot;c&quot;\n中</b>")
        XCTAssertEqual(text.render(ctx), "a<b> & \"c\"\n中")
        XCTAssertEqual(json.render(ctx), #"{"t":"a<b> & \"c\"\n中"}"#)
        XCTAssertEqual(url.render(ctx), "x?t=a%3Cb%3E%20%26%20%22c%22%0A%E4%B8%AD")
    }

    func testSyntaxErrorPosition() {
        XCTAssertThrowsError(try NotificationTemplate("ok\n  {{#a}} x {{/b}}", escaping: .text)) { e in
            guard let e = e as? NotificationTemplate.SyntaxError else { return XCTFail("\(e)") }
            XCTAssertEqual(e.line, 2)
            XCTAssertTrue(e.message.contains("different name"), e.message)
        }
        XCTAssertThrowsError(try NotificationTemplate("{{#a}} x", escaping: .html)) { e in
            XCTAssertEqual((e as? NotificationTemplate.SyntaxError)?.line, 1)
        }
    }

    func testDefaultSMS() throws {
        let sms = try NotificationTemplate(DefaultTemplates.sms, escaping: .text)
        XCTAssertEqual(
            sms.render(TemplateContext.make(Fixtures.message())), "CRIT core1: Interface Gi0/1 down (inc #12 P1)")
        XCTAssertEqual(
            sms.render(
                TemplateContext.make(
                    Fixtures.message(.resolved, alarms: [Fixtures.alarm(state: .cleared), Fixtures.alarm(9)]))),
            "OK core1: Interface Gi0/1 down (inc #12 P1) +1 more")
        XCTAssertEqual(
            sms.render(
                TemplateContext.make(Fixtures.message(.escalation, alarms: [Fixtures.alarm(incident: nil)], step: 2))),
            "ESC2 CRIT core1: Interface Gi0/1 down")
    }

    func testDefaultDigestText() throws {
        let held = [HeldMessage(id: "a", kind: .firing, route: "core", line: "Link <down>", createdAt: Fixtures.t0)]
        let ctx = TemplateContext.make(Fixtures.message(.digest, alarms: [], held: held))
        let text = try NotificationTemplate(DefaultTemplates.text, escaping: .text).render(ctx)
        XCTAssertTrue(text.contains("- 2026-12-03T10:00:00Z [firing] Link <down> (route core)"), text)
        let html = try NotificationTemplate(DefaultTemplates.html, escaping: .html).render(ctx)
        XCTAssertTrue(html.contains("Link &lt;down&gt;"), html)
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
