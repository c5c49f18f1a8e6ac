import EccAuth
import EccClient
import EccConfig
import EccDaemon
import EccStore
import EccTestSupport
import Foundation
import Testing

/// Every notification secret from a file, sends that fail (so error texts are written), then everything a
/// user or a scraper can read is searched for the secrets.
@Suite(
    "Secrets stay secret", .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3 (make test-deps)"),
    .serialized)
struct SecretsTests {
    static let rules = """
        - rule: core-down
          when: {type: coreDown}
          key: "{host}"
          alarm: {severity: critical, summary: "down on {host}"}
        - route: all
          receivers: [sms, mail, hook]
          group_wait: 0s
        """

    @Test("*_file secrets are used, and never appear in /metrics, status, the outbox's errors or the receivers")
    func secretsFromFilesStayOut() async throws {
        let dir = try TestDaemon.makeDir(rules: Self.rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secrets = [
            "kannel.secret": "kannel-pw-7f3a9c", "smtp.secret": "smtp-pw-51be02", "dlr.secret": "dlr-secret-0a1b2c3d4e",
            "hook.secret": "hook-hmac-99ee", "api.token": "api-token-c0ffee",
        ]
        for (file, value) in secrets {
            try "\(value)\n".write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir + "/" + file)
        }
        try "# the gateway's credential\nAuthorization: Bearer \(secrets["api.token"] ?? "")\n".write(
            toFile: dir + "/hook.headers", atomically: true, encoding: .utf8)
        let hook = try WebhookTestServer.start()
        let closed = try TestServers.freePort()
        let httpPort = try TestServers.freePort()
        let text = """
            notify:
              retry: {initial: 1s, max: 2s}
              smtp:
                url: smtp://127.0.0.1:\(closed)
                username: ecc
                password_file: \(dir)/smtp.secret
                from: ecc@example.com
                timeout: 5s
              kannel:
                url: http://127.0.0.1:\(closed)/cgi-bin/sendsms
                username: ecc
                password_file: \(dir)/kannel.secret
                timeout: 5s
                dlr_mask: 31
                dlr_url: "http://127.0.0.1:\(httpPort)/v1/notify/dlr?id={{id}}&status=%d"
                dlr_secret_file: \(dir)/dlr.secret
              receivers:
                - name: sms
                  sms: {to: ["+8613800000001"]}
                - name: mail
                  email: {to: [noc@example.com]}
                - name: hook
                  webhook: {url: "\(hook.url())", secret_file: \(dir)/hook.secret, headers_file: \(dir)/hook.headers}
            """
        let d = try await TestDaemon(dir: dir) { c in
            c.notify = try DaemonConfig.parse(text, file: "eccd.yaml").notify
            c.http.port = httpPort
        }
        _ = try await d.post(#"{"type":"coreDown","host":"core1","source":"t"}"#)
        // The webhook got the header from headers_file, and a signature made with secret_file's secret.
        let got = hook.waitForRequests(count: 1, timeout: 30)
        #expect(got.first?.header("Authorization") == "Bearer \(secrets["api.token"] ?? "")")
        #expect(got.first?.header("X-ECC-Signature")?.hasPrefix("sha256=") == true)
        // SMS and e-mail fail (nothing listens): their errors are stored and shown.
        try await d.eventually(30) {
            let list = try await d.getJSON("/v1/notify/queue?state=all") as? [[String: Any]] ?? []
            return list.filter { ($0["last_error"] as? String)?.isEmpty == false }.count >= 2
        }
        var seen = ""
        for path in ["/metrics", "/v1/status", "/v1/notify/queue?state=all", "/v1/notify/receivers"] {
            seen += String(decoding: try await d.client.request(.GET, path).body, as: UTF8.self)
        }
        let outbox = try Outbox(path: dir + "/var/ecc.db")
        for m in try outbox.messages(states: [], limit: 100) {
            for a in try outbox.attempts(rowID: m.rowID) { seen += a.detail }
        }
        #expect(seen.contains("refused") || seen.contains("connect"), "the failures are described")
        for (file, value) in secrets {
            #expect(!seen.contains(value), "the secret of \(file) leaked")
        }
        try await d.stop()
        hook.stop()
    }
}
