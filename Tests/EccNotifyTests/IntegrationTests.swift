import EccCore
import EccTestSupport
import Foundation
import Synchronization
import Testing

@testable import EccNotify

/// The channels against real servers: aiosmtpd, Kannel (bearerbox + smsbox + fakesmsc), an HTTP server.
@Suite(
    "E-mail channel against aiosmtpd",
    .enabled(if: SMTPTestServer.isAvailable, "needs /usr/bin/python3 with aiosmtpd (python3-aiosmtpd) and openssl"),
    .serialized)
struct EmailIntegrationTests {
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

    func delivered(_ r: DeliveryResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard case .delivered(let d) = r else {
            Issue.record("\(r)", sourceLocation: sourceLocation)
            return
        }
        #expect(d.hasPrefix("250"), "\(d)", sourceLocation: sourceLocation)
    }

    @Test("STARTTLS with AUTH PLAIN and with AUTH LOGIN both deliver; a wrong password is a permanent failure")
    func startTLSWithAuthPlainAndLogin() throws {
        let server = try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "s3cret")
        delivered(channel(server, auth: .plain).deliver(Fixtures.message(id: "ecc-plain-1")))
        delivered(channel(server, auth: .login).deliver(Fixtures.message(id: "ecc-login-1")))
        let mails = server.waitForMessages(count: 2)
        #expect(mails.count == 2)
        for (mail, id) in zip(mails, ["ecc-plain-1", "ecc-login-1"]) {
            #expect(mail.tls)
            #expect(mail.authUser == "ecc")
            #expect(mail.mailFrom == "ecc@example.com")
            #expect(mail.messageID == "<\(id)@example.com>")
            #expect(mail.subject == "[ECC] CRITICAL: Interface Gi0/1 down on core1")
        }
        // A wrong password is a permanent failure (535).
        var bad = channel(server)
        bad.smtp.password = "wrong"
        guard case .permanent(let why) = bad.deliver(Fixtures.message()) else {
            Issue.record("not permanent")
            return
        }
        #expect(why.contains("535") || why.contains("Login denied"), "\(why)")
    }

    @Test("implicit TLS to To, Cc and a hidden Bcc: a Chinese subject, both body parts escaped for their type")
    func implicitTLSSeveralRecipientsChineseMultipart() throws {
        let server = try SMTPTestServer.start(mode: .implicit, user: "ecc", password: "pw")
        let summary = "核心交换机接口中断，影响北京机房全部业务，请立即处理"
        let ch = channel(
            server, scheme: "smtps", tls: .none, to: ["noc@example.com", "值班 <oncall@example.com>"],
            cc: ["boss@example.com"], bcc: ["audit@example.com"])
        let m = Fixtures.message(alarms: [Fixtures.alarm(summary: summary), Fixtures.alarm(8, summary: "BGP <x> & y")])
        delivered(ch.deliver(m))
        let mail = try #require(server.waitForMessages(count: 1).first)
        #expect(mail.tls)
        #expect(
            Set(mail.rcptTos) == ["noc@example.com", "oncall@example.com", "boss@example.com", "audit@example.com"])
        #expect(mail.subject == "[ECC] CRITICAL: \(summary) on core1 (+1 more)")
        #expect(mail.to == "noc@example.com, 值班 <oncall@example.com>")
        #expect(mail.cc == "boss@example.com")
        #expect(!mail.raw.lowercased().contains("audit@"))
        #expect(mail.messageID == "<ecc-1f3a9c2e-42@example.com>")
        #expect(mail.parts == ["multipart/alternative", "text/plain", "text/html"])
        #expect(mail.text?.contains(summary) == true)
        #expect(mail.html?.contains(summary) == true)
        #expect(mail.html?.contains("BGP &lt;x&gt; &amp; y") == true)
        #expect(mail.text?.contains("BGP <x> & y") == true)
    }

    @Test("550 is permanent, 451 temporary, no STARTTLS no send; a stopped server is temporary, restarted takes mail")
    func refusedRecipientsAndOutage() throws {
        let server = try SMTPTestServer.start(
            mode: .plain, rejecting: ["nobody@example.com"], deferring: ["later@example.com"])
        let ok = channel(server, tls: .try, to: ["noc@example.com"])
        delivered(ok.deliver(Fixtures.message()))
        let r550 = channel(server, tls: .try, to: ["noc@example.com", "nobody@example.com"]).deliver(Fixtures.message())
        guard case .permanent(let p) = r550 else {
            Issue.record("\(r550)")
            return
        }
        #expect(p.contains("550"), "\(p)")
        let r451 = channel(server, tls: .try, to: ["later@example.com"]).deliver(Fixtures.message())
        guard case .temporary(let t) = r451 else {
            Issue.record("\(r451)")
            return
        }
        #expect(t.contains("451"), "\(t)")
        // STARTTLS required but not offered: not sent in clear text.
        guard case .temporary = channel(server, tls: .starttls).deliver(Fixtures.message()) else {
            Issue.record("sent without TLS")
            return
        }
        #expect(server.messages().count == 1)
        server.stop()
        let down = ok.deliver(Fixtures.message())
        guard case .temporary(let d) = down else {
            Issue.record("\(down)")
            return
        }
        #expect(d.contains("curl error 7"), "\(d)")
        try server.start()
        delivered(ok.deliver(Fixtures.message()))
    }

    @Test("eight deliveries at once through one channel all arrive, each with its own Message-ID")
    func concurrentDeliveries() throws {
        let server = try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "pw")
        let ch = channel(server)
        let results = Mutex<[DeliveryResult]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = ch.deliver(Fixtures.message(id: "ecc-par-\(i)"))
            results.withLock { $0.append(r) }
        }
        for r in results.withLock({ $0 }) { delivered(r) }
        let ids = Set(server.waitForMessages(count: 8).compactMap(\.messageID))
        #expect(ids == Set((0..<8).map { "<ecc-par-\($0)@example.com>" }))
    }
}

@Suite("SMS channel against Kannel and an HTTP gateway", .serialized)
struct SMSIntegrationTests {
    @Test(
        "Kannel: ASCII, Chinese and three-part SMS arrive; bad login permanent, SMSC down queued, all down temporary",
        .enabled(
            if: KannelTestGateway.isAvailable,
            "needs Kannel's bearerbox and smsbox (kannel) and fakesmsc (kannel-extras)"))
    func kannelASCIIChineseAndParts() throws {
        let kannel = try KannelTestGateway.start()
        let gw = KannelGateway(
            url: kannel.sendsmsURL, username: kannel.username, password: kannel.password, from: "ECC",
            http: HTTPTransport(connectTimeout: 5_000_000_000, timeout: 20_000_000_000))
        let ch = SMSChannel(
            to: ["+8613800000000"], text: try NotificationTemplate(DefaultTemplates.sms, escaping: .text),
            gateway: .kannel(gw))
        guard case .delivered(let d) = ch.deliver(Fixtures.message()) else {
            Issue.record("not delivered")
            return
        }
        #expect(d.contains("Accepted for delivery"), "\(d)")
        let chinese = "核心交换机接口中断"
        let m2 = Fixtures.message(alarms: [Fixtures.alarm(summary: chinese)])
        guard case .delivered = ch.deliver(m2) else {
            Issue.record("chinese not delivered")
            return
        }
        let long = (1...60).map { "word\($0)" }.joined(separator: " ")
        let m3 = Fixtures.message(alarms: [Fixtures.alarm(summary: long, incident: nil)])
        let parts = ch.parts(m3)
        #expect(parts.count == 3)
        guard case .delivered = ch.deliver(m3) else {
            Issue.record("long not delivered")
            return
        }
        let got = kannel.waitForMessages(count: 5)
        #expect(got.count == 5, "\(kannel.logTails())")
        #expect(got.first?.text == "CRIT core1: Interface Gi0/1 down (inc #12 P1)")
        #expect(got.first?.to == "+8613800000000")
        #expect(got.dropFirst().first?.text == "CRIT core1: \(chinese) (inc #12 P1)")
        #expect(got.suffix(3).map(\.text) == parts)

        var wrong = gw
        wrong.password = "nope"
        let denied = SMSChannel(to: ["+1"], text: ch.text, gateway: .kannel(wrong)).deliver(Fixtures.message())
        guard case .permanent(let why) = denied else {
            Issue.record("\(denied)")
            return
        }
        #expect(why.contains("403"), "\(why)")
        // The SMSC down: Kannel queues the message (202 "3: Queued for later delivery"), which counts as delivered.
        kannel.stopSMSC()
        guard case .delivered(let queued) = ch.deliver(Fixtures.message()) else {
            Issue.record("queued")
            return
        }
        #expect(queued.contains("3: Queued"), "\(queued)")
        kannel.stop()
        guard case .temporary = ch.deliver(Fixtures.message()) else {
            Issue.record("down is not temporary")
            return
        }
    }

    @Test(
        "a generic HTTP gateway: URL and JSON body from templates; a 2xx failing the success rule is permanent",
        .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3"))
    func genericGatewayAgainstHTTPServer() throws {
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
        guard case .delivered = try gateway(contains: "\"ok\"").deliver(Fixtures.message()) else {
            Issue.record("not delivered")
            return
        }
        guard case .permanent = try gateway(contains: "\"accepted\"").deliver(Fixtures.message()) else {
            Issue.record("a 2xx failing the success rule is permanent")
            return
        }
        let req = try #require(server.waitForRequests(count: 2).first)
        #expect(req.path == "/sms?to=%2B8613800000000")
        let json = try #require(try JSONSerialization.jsonObject(with: req.bodyData) as? [String: String])
        #expect(json["text"] == "say \"Interface Gi0/1 down\" 中")
        #expect(json["id"] == "ecc-1f3a9c2e-42")
    }
}

@Suite("Webhook channel against an HTTP server")
struct WebhookIntegrationTests {
    @Test(
        "signed Alertmanager webhook: 503 temporary, the retry delivered with the same key and a valid signature",
        .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3"))
    func signedAlertmanagerWebhookAndRetryableFailure() throws {
        let server = try WebhookTestServer.start(status: 200, failCount: 1, failStatus: 503)
        let ch = WebhookChannel(
            url: server.url("/hook"), format: .alertmanager, secret: Array("topsecret".utf8),
            headers: [("X-Team", "noc")], externalURL: "http://ecc:8080")
        let m = Fixtures.message()
        guard case .temporary(let t) = ch.deliver(m) else {
            Issue.record("503 is not temporary")
            return
        }
        #expect(t.contains("503"), "\(t)")
        guard case .delivered = ch.deliver(m) else {
            Issue.record("not delivered")
            return
        }
        let reqs = server.waitForRequests(count: 2)
        #expect(reqs.count == 2)
        let r = try #require(reqs.last)
        #expect(r.method == "POST")
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("Idempotency-Key") == "ecc-1f3a9c2e-42")
        #expect(r.header("X-ECC-Notification") == "ecc-1f3a9c2e-42")
        #expect(r.header("X-Team") == "noc")
        // The receiver's check: HMAC-SHA256(secret, timestamp "." raw body).
        let ts = try #require(r.header("X-ECC-Timestamp").flatMap { Int64($0) })
        #expect(abs(Int64(Date().timeIntervalSince1970) - ts) < 120)
        let expected = WebhookChannel.signature(secret: Array("topsecret".utf8), timestamp: ts, body: Array(r.bodyData))
        #expect(r.header("X-ECC-Signature") == "sha256=" + expected)
        #expect(reqs.first?.header("Idempotency-Key") == r.header("Idempotency-Key"))
        let json = try #require(try JSONSerialization.jsonObject(with: r.bodyData) as? [String: Any])
        #expect((json["version"] as? String) == "4")
        #expect((json["status"] as? String) == "firing")
        let alert = try #require((json["alerts"] as? [[String: Any]])?.first)
        #expect((alert["labels"] as? [String: String])?["alertname"] == "link-down")
        server.stop()
        guard case .temporary = ch.deliver(m) else {
            Issue.record("down is not temporary")
            return
        }
    }
}
