import EccCore
import EccTestSupport
import Foundation
import Synchronization
import XCTest

@testable import EccNotify

/// The channels against real servers: aiosmtpd, Kannel (bearerbox + smsbox + fakesmsc), an HTTP server.
final class EmailIntegrationTests: XCTestCase {
    func channel(
        _ server: SMTPTestServer, scheme: String = "smtp", tls: SMTPTransport.TLSMode = .starttls,
        auth: SMTPTransport.AuthMechanism? = nil, to: [String] = ["noc@example.com"], cc: [String] = [],
        bcc: [String] = []
    ) -> EmailChannel {
        let smtp = SMTPTransport(
            url: "\(scheme)://127.0.0.1:\(server.port)", tls: tls, username: server.user, password: server.password,
            auth: auth, caFile: server.caFile, verify: true, connectTimeout: 5_000_000_000, timeout: 20_000_000_000)
        return EmailChannel(
            from: "ECC <ecc@example.com>", to: to, cc: cc, bcc: bcc, templates: .defaults(), smtp: smtp)
    }

    func delivered(_ r: DeliveryResult, file: StaticString = #filePath, line: UInt = #line) {
        guard case .delivered(let d) = r else { return XCTFail("\(r)", file: file, line: line) }
        XCTAssertTrue(d.hasPrefix("250"), d, file: file, line: line)
    }

    func testSTARTTLSWithAuthPlainAndLogin() throws {
        try XCTSkipUnless(SMTPTestServer.isAvailable, "aiosmtpd")
        let server = try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "s3cret")
        delivered(channel(server, auth: .plain).deliver(Fixtures.message(id: "ecc-plain-1")))
        delivered(channel(server, auth: .login).deliver(Fixtures.message(id: "ecc-login-1")))
        let mails = server.waitForMessages(count: 2)
        XCTAssertEqual(mails.count, 2)
        for (mail, id) in zip(mails, ["ecc-plain-1", "ecc-login-1"]) {
            XCTAssertTrue(mail.tls)
            XCTAssertEqual(mail.authUser, "ecc")
            XCTAssertEqual(mail.mailFrom, "ecc@example.com")
            XCTAssertEqual(mail.messageID, "<\(id)@example.com>")
            XCTAssertEqual(mail.subject, "[ECC] CRITICAL: Interface Gi0/1 down on core1")
        }
        // A wrong password is a permanent failure (535).
        var bad = channel(server)
        bad.smtp.password = "wrong"
        guard case .permanent(let why) = bad.deliver(Fixtures.message()) else { return XCTFail("not permanent") }
        XCTAssertTrue(why.contains("535") || why.contains("Login denied"), why)
    }

    func testImplicitTLSSeveralRecipientsChineseMultipart() throws {
        try XCTSkipUnless(SMTPTestServer.isAvailable, "aiosmtpd")
        let server = try SMTPTestServer.start(mode: .implicit, user: "ecc", password: "pw")
        let summary = "核心交换机接口中断，影响北京机房全部业务，请立即处理"
        let ch = channel(
            server, scheme: "smtps", tls: .none, to: ["noc@example.com", "值班 <oncall@example.com>"],
            cc: ["boss@example.com"], bcc: ["audit@example.com"])
        let m = Fixtures.message(alarms: [Fixtures.alarm(summary: summary), Fixtures.alarm(8, summary: "BGP <x> & y")])
        delivered(ch.deliver(m))
        let mail = try XCTUnwrap(server.waitForMessages(count: 1).first)
        XCTAssertTrue(mail.tls)
        XCTAssertEqual(
            Set(mail.rcptTos), ["noc@example.com", "oncall@example.com", "boss@example.com", "audit@example.com"])
        XCTAssertEqual(mail.subject, "[ECC] CRITICAL: \(summary) on core1 (+1 more)")
        XCTAssertEqual(mail.to, "noc@example.com, 值班 <oncall@example.com>")
        XCTAssertEqual(mail.cc, "boss@example.com")
        XCTAssertFalse(mail.raw.lowercased().contains("audit@"))
        XCTAssertEqual(mail.messageID, "<ecc-1f3a9c2e-42@example.com>")
        XCTAssertEqual(mail.parts, ["multipart/alternative", "text/plain", "text/html"])
        XCTAssertTrue(mail.text?.contains(summary) ?? false)
        XCTAssertTrue(mail.html?.contains(summary) ?? false)
        XCTAssertTrue(mail.html?.contains("BGP &lt;x&gt; &amp; y") ?? false)
        XCTAssertTrue(mail.text?.contains("BGP <x> & y") ?? false)
    }

    func testRefusedRecipientsAndOutage() throws {
        try XCTSkipUnless(SMTPTestServer.isAvailable, "aiosmtpd")
        let server = try SMTPTestServer.start(
            mode: .plain, rejecting: ["nobody@example.com"], deferring: ["later@example.com"])
        let ok = channel(server, tls: .try, to: ["noc@example.com"])
        delivered(ok.deliver(Fixtures.message()))
        let r550 = channel(server, tls: .try, to: ["noc@example.com", "nobody@example.com"]).deliver(Fixtures.message())
        guard case .permanent(let p) = r550 else { return XCTFail("\(r550)") }
        XCTAssertTrue(p.contains("550"), p)
        let r451 = channel(server, tls: .try, to: ["later@example.com"]).deliver(Fixtures.message())
        guard case .temporary(let t) = r451 else { return XCTFail("\(r451)") }
        XCTAssertTrue(t.contains("451"), t)
        // STARTTLS required but not offered: not sent in clear text.
        guard case .temporary = channel(server, tls: .starttls).deliver(Fixtures.message()) else {
            return XCTFail("sent without TLS")
        }
        XCTAssertEqual(server.messages().count, 1)
        server.stop()
        let down = ok.deliver(Fixtures.message())
        guard case .temporary(let d) = down else { return XCTFail("\(down)") }
        XCTAssertTrue(d.contains("curl error 7"), d)
        try server.start()
        delivered(ok.deliver(Fixtures.message()))
    }

    func testConcurrentDeliveries() throws {
        try XCTSkipUnless(SMTPTestServer.isAvailable, "aiosmtpd")
        let server = try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "pw")
        let ch = channel(server)
        let results = Mutex<[DeliveryResult]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = ch.deliver(Fixtures.message(id: "ecc-par-\(i)"))
            results.withLock { $0.append(r) }
        }
        for r in results.withLock({ $0 }) { delivered(r) }
        let ids = Set(server.waitForMessages(count: 8).compactMap(\.messageID))
        XCTAssertEqual(ids, Set((0..<8).map { "<ecc-par-\($0)@example.com>" }))
    }
}

final class SMSIntegrationTests: XCTestCase {
    func testKannelASCIIChineseAndParts() throws {
        try XCTSkipUnless(KannelTestGateway.isAvailable, "kannel")
        let kannel = try KannelTestGateway.start()
        let gw = KannelGateway(
            url: kannel.sendsmsURL, username: kannel.username, password: kannel.password, from: "ECC",
            http: HTTPTransport(connectTimeout: 5_000_000_000, timeout: 20_000_000_000))
        let ch = SMSChannel(
            to: ["+8613800000000"], text: try NotificationTemplate(DefaultTemplates.sms, escaping: .text),
            gateway: .kannel(gw))
        guard case .delivered(let d) = ch.deliver(Fixtures.message()) else { return XCTFail("not delivered") }
        XCTAssertTrue(d.contains("Accepted for delivery"), d)
        let chinese = "核心交换机接口中断"
        let m2 = Fixtures.message(alarms: [Fixtures.alarm(summary: chinese)])
        guard case .delivered = ch.deliver(m2) else { return XCTFail("chinese not delivered") }
        let long = (1...60).map { "word\($0)" }.joined(separator: " ")
        let m3 = Fixtures.message(alarms: [Fixtures.alarm(summary: long, incident: nil)])
        let parts = ch.parts(m3)
        XCTAssertEqual(parts.count, 3)
        guard case .delivered = ch.deliver(m3) else { return XCTFail("long not delivered") }
        let got = kannel.waitForMessages(count: 5)
        XCTAssertEqual(got.count, 5, kannel.logTails())
        XCTAssertEqual(got.first?.text, "CRIT core1: Interface Gi0/1 down (inc #12 P1)")
        XCTAssertEqual(got.first?.to, "+8613800000000")
        XCTAssertEqual(got.dropFirst().first?.text, "CRIT core1: \(chinese) (inc #12 P1)")
        XCTAssertEqual(got.suffix(3).map(\.text), parts)

        var wrong = gw
        wrong.password = "nope"
        let denied = SMSChannel(to: ["+1"], text: ch.text, gateway: .kannel(wrong)).deliver(Fixtures.message())
        guard case .permanent(let why) = denied else { return XCTFail("\(denied)") }
        XCTAssertTrue(why.contains("403"), why)
        // The SMSC down: Kannel queues the message (202 "3: Queued for later delivery"), which counts as delivered.
        kannel.stopSMSC()
        guard case .delivered(let queued) = ch.deliver(Fixtures.message()) else { return XCTFail("queued") }
        XCTAssertTrue(queued.contains("3: Queued"), queued)
        kannel.stop()
        guard case .temporary = ch.deliver(Fixtures.message()) else { return XCTFail("down is not temporary") }
    }

    func testGenericGatewayAgainstHTTPServer() throws {
        try XCTSkipUnless(WebhookTestServer.isAvailable, "python3")
        let server = try WebhookTestServer.start(status: 200, body: #"{"result":"ok"}"#)
        func gateway(contains: String) throws -> SMSChannel {
            let g = HTTPSMSGateway(
                method: "POST", url: try NotificationTemplate(server.url("/sms") + "?to={{to}}", escaping: .url),
                headers: [("Content-Type", try NotificationTemplate("application/json", escaping: .text))],
                body: try NotificationTemplate(#"{"to":"{{to}}","text":"{{text}}","id":"{{id}}"}"#, escaping: .json),
                success: .init(statuses: [200], bodyContains: contains))
            return SMSChannel(
                to: ["+8613800000000"],
                text: try NotificationTemplate("say \"{{firstAlarm.summary}}\" 中", escaping: .text), gateway: .http(g))
        }
        guard case .delivered = try gateway(contains: "\"ok\"").deliver(Fixtures.message()) else { return XCTFail() }
        guard case .permanent = try gateway(contains: "\"accepted\"").deliver(Fixtures.message()) else {
            return XCTFail("a 2xx failing the success rule is permanent")
        }
        let req = try XCTUnwrap(server.waitForRequests(count: 2).first)
        XCTAssertEqual(req.path, "/sms?to=%2B8613800000000")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: req.bodyData) as? [String: String])
        XCTAssertEqual(json["text"], "say \"Interface Gi0/1 down\" 中")
        XCTAssertEqual(json["id"], "ecc-1f3a9c2e-42")
    }
}

final class WebhookIntegrationTests: XCTestCase {
    func testSignedAlertmanagerWebhookAndRetryableFailure() throws {
        try XCTSkipUnless(WebhookTestServer.isAvailable, "python3")
        let server = try WebhookTestServer.start(status: 200, failCount: 1, failStatus: 503)
        let ch = WebhookChannel(
            url: server.url("/hook"), format: .alertmanager, secret: Array("topsecret".utf8),
            headers: [("X-Team", "noc")], externalURL: "http://ecc:8080")
        let m = Fixtures.message()
        guard case .temporary(let t) = ch.deliver(m) else { return XCTFail("503 is not temporary") }
        XCTAssertTrue(t.contains("503"), t)
        guard case .delivered = ch.deliver(m) else { return XCTFail("not delivered") }
        let reqs = server.waitForRequests(count: 2)
        XCTAssertEqual(reqs.count, 2)
        let r = try XCTUnwrap(reqs.last)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.header("Content-Type"), "application/json")
        XCTAssertEqual(r.header("Idempotency-Key"), "ecc-1f3a9c2e-42")
        XCTAssertEqual(r.header("X-ECC-Notification"), "ecc-1f3a9c2e-42")
        XCTAssertEqual(r.header("X-Team"), "noc")
        // The receiver's check: HMAC-SHA256(secret, timestamp "." raw body).
        let ts = try XCTUnwrap(r.header("X-ECC-Timestamp").flatMap { Int64($0) })
        XCTAssertLessThan(abs(Int64(Date().timeIntervalSince1970) - ts), 120)
        let expected = WebhookChannel.signature(secret: Array("topsecret".utf8), timestamp: ts, body: Array(r.bodyData))
        XCTAssertEqual(r.header("X-ECC-Signature"), "sha256=" + expected)
        XCTAssertEqual(reqs.first?.header("Idempotency-Key"), r.header("Idempotency-Key"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: r.bodyData) as? [String: Any])
        XCTAssertEqual(json["version"] as? String, "4")
        XCTAssertEqual(json["status"] as? String, "firing")
        let alert = try XCTUnwrap((json["alerts"] as? [[String: Any]])?.first)
        XCTAssertEqual((alert["labels"] as? [String: String])?["alertname"], "link-down")
        server.stop()
        guard case .temporary = ch.deliver(m) else { return XCTFail("down is not temporary") }
    }
}
