import EccClient
import EccConfig
import EccCore
import EccDaemon
import EccStore
import EccTestSupport
import Foundation
import Testing

/// A whole eccd sending to real servers: aiosmtpd with STARTTLS and AUTH, Kannel's sendsms with
/// fakesmsc behind it, and a webhook recorder. Then the outage: the servers stopped for 30 s while
/// alarms fire, started again: every notification arrives after recovery, none twice.
@Suite(
    "Notifications end to end (aiosmtpd, Kannel, webhook)",
    .enabled(
        if: SMTPTestServer.isAvailable && KannelTestGateway.isAvailable && WebhookTestServer.isAvailable,
        "needs /usr/bin/python3 with aiosmtpd and Kannel with fakesmsc (make test-deps)"),
    .serialized)
struct NotifyEndToEndTests {
    static let rules = """
        - rule: core-down
          when: {type: coreDown}
          key: "{host}"
          clear_when: {type: coreUp}
          alarm: {severity: critical, summary: "{what} on {host}"}
        - route: noc
          receivers: [noc-email, noc-sms, noc-hook]
          group_wait: 0s
        """

    struct Servers {
        let smtp: SMTPTestServer
        let kannel: KannelTestGateway
        let hook: WebhookTestServer

        static func start() throws -> Servers {
            Servers(
                smtp: try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "s3cret-mail"),
                kannel: try KannelTestGateway.start(), hook: try WebhookTestServer.start())
        }

        /// The receivers' delivery-report secret, from a file as production keeps it.
        var dlrSecretFile: String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-dlr-secret").path
            try? "\(Self.dlrSecret)\n".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        static let dlrSecret = "dlr-0123456789abcdef"

        func config(httpPort: Int) -> String {
            """
            notify:
              retry: {initial: 1s, max: 2s}
              smtp:
                url: smtp://127.0.0.1:\(smtp.port)
                tls: starttls
                username: ecc
                password: s3cret-mail
                from: "ECC <ecc@noc.example.com>"
                ca_file: \(smtp.caFile)
                timeout: 10s
              kannel:
                url: \(kannel.sendsmsURL)
                username: \(kannel.username)
                password: \(kannel.password)
                from: "10086"
                timeout: 10s
                dlr_mask: 31
                dlr_url: "http://127.0.0.1:\(httpPort)/v1/notify/dlr?id={{id}}&status=%d&to=%p&answer=%A"
                dlr_secret_file: \(dlrSecretFile)
              receivers:
                - name: noc-email
                  email: {to: [noc@example.com, oncall@example.com]}
                - name: noc-sms
                  sms: {to: ["+8613800000001"]}
                - name: noc-hook
                  webhook: {url: "\(hook.url())", format: alertmanager, secret: hook-secret, timeout: 5s}
            """
        }
    }

    static func daemon(_ servers: Servers) async throws -> TestDaemon {
        let dir = try TestDaemon.makeDir(rules: rules)
        let port = try TestServers.freePort()
        let text = servers.config(httpPort: port)
        return try await TestDaemon(dir: dir) { c in
            let parsed = try DaemonConfig.parse(text, file: "eccd.yaml")
            c.notify = parsed.notify
            c.http.port = port
        }
    }

    @Test("an alarm reaches e-mail (STARTTLS, AUTH, UTF-8), SMS (UCS-2 via Kannel) and the webhook")
    func delivered() async throws {
        let servers = try Servers.start()
        let d = try await Self.daemon(servers)
        defer { d.removeFiles() }
        let (status, _) = try await d.post(
            #"[{"type":"coreDown","host":"core1","source":"test","attributes":{"what":"核心交换机宕机"}}]"#)
        #expect(status == 202)
        let mail = servers.smtp.waitForMessages(count: 1, timeout: 30)
        #expect(mail.count == 1)
        if let m = mail.first {
            #expect(m.tls)
            #expect(m.authUser == "ecc")
            #expect(m.rcptTos.sorted() == ["noc@example.com", "oncall@example.com"])
            #expect(m.subject?.contains("核心交换机宕机 on core1") == true)
            #expect(m.text?.contains("核心交换机宕机 on core1") == true)
            #expect(m.html?.contains("核心交换机宕机 on core1") == true)
            #expect(m.parts.contains("text/plain") && m.parts.contains("text/html"))
            #expect(m.messageID?.hasPrefix("<ecc-") == true)
            #expect(m.date != nil)
        }
        let sms = servers.kannel.waitForMessages(count: 1, timeout: 30)
        #expect(sms.first?.to.hasSuffix("8613800000001") == true)
        #expect(sms.first?.text.contains("核心交换机宕机") == true)
        // Kannel reports the SMSC's acceptance to the dlr-url: recorded with the message's attempts.
        let outbox = try Outbox(path: d.dir + "/var/ecc.db")
        try await d.eventually(30) {
            let m = try outbox.messages(states: [.sent], receiver: "noc-sms").first
            return try m.map { try outbox.attempts(rowID: $0.rowID).contains { $0.result == .report } } ?? false
        }
        // The callback is a GET (Kannel cannot do otherwise): without the receiver's secret, or with a wrong
        // one, it changes nothing.
        let uid = try #require(try outbox.messages(states: [.sent], receiver: "noc-sms").first?.uid)
        for query in ["", "&secret=wrong-0123456789abcdef", "&secret=\(Servers.dlrSecret)x"] {
            let (ds, _) = try await d.client.request(.GET, "/v1/notify/dlr?id=\(uid)&status=2\(query)")
            #expect(ds == 403)
        }
        // (Kannel's own reports may still arrive meanwhile: none of them says "not delivered".)
        let row = try #require(outbox.rowID(uid))
        #expect(try outbox.attempts(rowID: row).allSatisfy { !$0.detail.contains("not delivered") })
        #expect(try outbox.message(rowID: row)?.state == .sent)
        let (okStatus, _) = try await d.client.request(
            .GET, "/v1/notify/dlr?id=\(uid)&status=8&secret=\(Servers.dlrSecret)")
        #expect(okStatus == 200)
        let hooks = servers.hook.waitForRequests(count: 1, timeout: 30)
        #expect(hooks.count == 1)
        if let h = hooks.first, let body = h.body {
            let obj = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(obj?["version"] as? String == "4")
            #expect(obj?["status"] as? String == "firing")
            #expect(h.header("X-ECC-Signature")?.hasPrefix("sha256=") == true)
            #expect(h.header("Idempotency-Key")?.hasPrefix("ecc-") == true)
        }
        // The same id in all three places.
        let id = servers.hook.requests().first?.header("Idempotency-Key") ?? "?"
        #expect(mail.first?.messageID?.hasPrefix("<\(id)") == false)  // one message per receiver: own ids
        // eccctl notify test goes through the API and reports the attempt.
        let (ts, tb) = try await d.client.request(
            .POST, "/v1/notify/test", body: Array(#"{"receiver":"noc-email","wait_seconds":30}"#.utf8))
        #expect(ts == 200)
        let t = (try JSONSerialization.jsonObject(with: Data(tb)) as? [String: Any]) ?? [:]
        let testState = t["state"] as? String
        #expect(testState == "sent")
        #expect(servers.smtp.waitForMessages(count: 2, timeout: 30).count == 2)
        let (qs, qb) = try await d.client.request(.GET, "/v1/notify/queue?state=sent")
        #expect(qs == 200)
        let sent = (try JSONSerialization.jsonObject(with: Data(qb)) as? [Any]) ?? []
        #expect(sent.count == 4)
        let metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"ecc_notifications_total{receiver="noc-email",result="sent"} 2"#))
        #expect(metrics.contains(#"ecc_notifications_waiting{state="retrying"} 0"#))
        try await d.stop()
    }

    @Test("servers down for 30 s while alarms fire: all delivered after recovery, none twice")
    func outage() async throws {
        let servers = try Servers.start()
        let d = try await Self.daemon(servers)
        defer { d.removeFiles() }
        servers.smtp.stop()
        servers.kannel.stop()
        servers.hook.stop()
        // Their ports stay theirs while they are down: a server another test starts meanwhile on a port freed
        // here would answer eccd's retries (once, Kannel's 403 from another gateway failed a message).
        let held = try TestServers.holdPorts([servers.smtp.port, servers.hook.port] + servers.kannel.ports)
        let down = ContinuousClock.now
        for i in 1...5 {
            let (status, _) = try await d.post(
                #"[{"type":"coreDown","host":"core\#(i)","source":"test","attributes":{"what":"down"}}]"#)
            #expect(status == 202)
            try await Task.sleep(for: .seconds(2))
        }
        // Failed attempts are recorded and retried while the servers are away.
        try await d.eventually(20) {
            let list = try await d.getJSON("/v1/notify/queue?state=retrying") as? [[String: Any]] ?? []
            return list.count == 15
        }
        try await Task.sleep(until: down + .seconds(30))
        TestServers.releasePorts(held)
        try servers.smtp.start()
        try servers.kannel.start()
        try servers.hook.start()
        let mail = servers.smtp.waitForMessages(count: 5, timeout: 60)
        let sms = servers.kannel.waitForMessages(count: 5, timeout: 60)
        let hooks = servers.hook.waitForRequests(count: 5, timeout: 60)
        // Give a duplicate the chance to show up.
        try await Task.sleep(for: .seconds(5))
        #expect(servers.smtp.messages().count == 5)
        #expect(Set(servers.smtp.messages().compactMap(\.messageID)).count == 5)
        #expect(servers.kannel.messages().count == 5)
        #expect(servers.hook.requests().count == 5)
        #expect(Set(servers.hook.requests().compactMap { $0.header("Idempotency-Key") }).count == 5)
        #expect(Set(mail.compactMap { $0.subject?.split(separator: " ").last }).count == 5)
        #expect(sms.count == 5 && hooks.count == 5)
        let pending = try await d.getJSON("/v1/notify/queue") as? [[String: Any]] ?? []
        #expect(pending.isEmpty)
        try await d.stop()
    }
}
