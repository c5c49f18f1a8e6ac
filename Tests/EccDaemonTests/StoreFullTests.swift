import EccClient
import EccConfig
import EccDaemon
import EccStore
import EccTestSupport
import Foundation
import Testing

@Suite("Store full", .serialized)
struct StoreFullTests {
    /// A full database: eccd keeps running, raises its self-alarm at once and notifies it while the database
    /// is still full (not through the outbox, whatever the route's group_wait), shows nothing it has not
    /// committed, holds its engine within `max_uncommitted`, retries, and loses nothing it accepted; once the
    /// store recovers the notifications sent at once are recorded in the outbox, each once.
    @Test(
        "a full database: self-alarm shown and notified at once, nothing uncommitted shown, engine held, nothing lost",
        .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3"))
    func databaseFull() async throws {
        let rules =
            daemonRules
                + """

                - rule: eccd-store-unwritable
                  when: {source: eccd, type: storeUnwritable}
                  clear_when: {source: eccd, type: storeWritable}
                  key: "{host}"
                  alarm: {severity: critical, summary: "eccd on {host} cannot write its database: {error}"}
                - route: eccd-trouble
                  match: {source: eccd}
                  receivers: [oncall]
                  group_wait: 10m
                """
        let hook = try WebhookTestServer.start()
        defer { hook.stop() }
        let dir = try TestDaemon.makeDir(rules: rules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notify = try DaemonConfig.parse(
            """
            notify:
              receivers:
                - name: oncall
                  webhook: {url: "\(hook.url())", format: ecc, timeout: 5s}
            """, file: "eccd.yaml"
        ).notify
        let d = try await TestDaemon(dir: dir) {
            $0.database.lag.maxChanges = 100
            // Only the count bound: on a loaded machine the age bound (1 s) could stop the engine first.
            $0.database.lag.maxAge = .seconds(3600)
            $0.notify = notify
        }
        let tap = StreamTap(d.client)
        _ = try await d.post(#"{"source":"t","host":"before","type":"flood"}"#)
        try await d.eventually { try await d.incidents().count == 1 }

        // The database may not grow any more: new alarms cannot be written.
        d.daemon.storeWriter.limitDatabase(pages: 1)
        let hosts = 150
        for batch in 0..<3 {
            var lines: [String] = []
            for i in (batch * 50)..<(batch * 50 + 50) {
                lines.append(
                    #"{"source":"t","host":"h\#(i)","type":"flood","summary":"\#(String(repeating: "x", count: 200))"}"#
                )
            }
            let (status, _) = try await d.post("[" + lines.joined(separator: ",") + "]")
            #expect(status == 202)
        }
        try await d.eventually(20) {
            tap.changes.contains {
                $0["rule"] as? String == "eccd-store-unwritable" && $0["change"] as? String == "raised"
            }
        }
        // The engine stopped within the bound, and the stream shows none of the uncommitted alarms.
        try await d.eventually(20) {
            try await d.status()["store"].flatMap { ($0 as? [String: Any])?["engine_waiting"] as? Bool } == true
        }
        let store = try await d.status()["store"] as? [String: Any]
        #expect(store?["retrying"] as? Bool == true)
        let uncommitted = store?["changes_uncommitted"] as? Int ?? -1
        #expect(uncommitted >= 100 && uncommitted <= 110, "\(uncommitted) uncommitted changes")
        #expect(
            !tap.changes.contains { ($0["host"] as? String)?.hasPrefix("h") == true }, "uncommitted changes were shown")
        let metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("ecc_store_retrying 1"))
        #expect(metrics.contains("ecc_engine_waiting_for_store 1"))
        // Not ready, saying why; still alive.
        let (readyStatus, readyBody) = try await d.client.request(.GET, "/readyz")
        #expect(readyStatus == 503)
        let reasons = String(decoding: readyBody, as: UTF8.self)
        #expect(reasons.contains("store_retrying") && reasons.contains("engine_waiting_for_store"), "\(reasons)")
        let writeErrors = metrics.split(separator: "\n").first { $0.hasPrefix("ecc_store_write_errors_total ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect((writeErrors ?? 0) > 0, "ecc_store_write_errors_total is \(writeErrors.map { "\($0)" } ?? "missing")")
        #expect(try await d.client.request(.GET, "/healthz").status == 200)  // still answering
        // Notified while the database is still full: at once, not after the route's 10-minute group_wait.
        let fired = hook.waitForRequests(count: 1, timeout: 20)
        #expect(fired.count == 1 && fired.first?.body?.contains("eccd-store-unwritable") == true, "\(fired)")
        #expect(try await d.status()["store"].flatMap { ($0 as? [String: Any])?["retrying"] as? Bool } == true)

        // Room again: everything queued is written, the self-alarm clears, nothing is lost.
        d.daemon.storeWriter.limitDatabase(pages: 1 << 30)
        try await d.eventually(20) {
            let all = (try await d.getJSON("/v1/alarms?state=all&limit=10000") as? [[String: Any]]) ?? []
            let selfAlarm = all.first { $0["rule"] as? String == "eccd-store-unwritable" }
            return all.filter { $0["rule"] as? String == "flood" }.count == hosts + 1
                && selfAlarm?["state"] as? String == "cleared"
        }
        #expect(try await d.status()["store"].flatMap { ($0 as? [String: Any])?["retrying"] as? Bool } == false)
        #expect(try await d.client.request(.GET, "/readyz").status == 200)
        #expect(try await d.incidents().count == hosts + 2)
        // Once committed, every alarm reached the stream, each raise once.
        try await d.eventually(10) {
            tap.changes.filter {
                ($0["host"] as? String)?.hasPrefix("h") == true && $0["change"] as? String == "raised"
            }
            .count == hosts
        }
        // The clear is notified too (resolved), and both messages are recorded in the outbox, each once.
        let both = hook.waitForRequests(count: 2, timeout: 20)
        #expect(both.count == 2 && both.last?.body?.contains("resolved") == true, "\(both)")
        let outbox = try Outbox(path: dir + "/var/ecc.db")
        try await d.eventually(10) {
            try outbox.messages(states: [.sent], receiver: "oncall").filter {
                $0.reason?.contains("sent at once") == true
            }.count == 2
        }
        #expect(try outbox.messages(states: [.pending, .retrying, .failed], receiver: "oncall").isEmpty)
        tap.task.cancel()
        try await d.stop()
        #expect(hook.requests().count == 2)
    }

    /// No sender may forge or clear eccd's self-alarms: events claiming its source are refused and counted.
    @Test("events claiming source eccd are refused (HTTP 400, reason reserved_source)")
    func reservedSource() async throws {
        let dir = try TestDaemon.makeDir(rules: daemonRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        let (status, body) = try await d.post(#"{"source":"eccd","host":"x","type":"storeWritable"}"#)
        #expect(status == 400)
        #expect((body["error"] as? String)?.contains("eccd's own source") == true, "\(body)")
        let metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"ecc_input_refused_total{collector="http",reason="reserved_source"} 1"#))
        try await d.stop()
    }
}
