import EccAuth
import EccClient
import EccConfig
import EccDaemon
import EccHTTP
import EccRules
import EccYAML
import Foundation
import Logging
import Testing

/// A daemon with a tokens file: one token per role, each with its own principal.
struct TokenedDaemon {
    let d: TestDaemon
    let tokens: [Role: String]
    let tokensFile: String

    /// Principals: `view` (viewer), `alice` and `bob` (operators), `carol` and `dave` (admins).
    static let principals: [(String, Role)] = [
        ("view", .viewer), ("alice", .operator), ("bob", .operator), ("carol", .admin), ("dave", .admin),
    ]

    init(
        rules: String = incidentRules, dir: String? = nil,
        configure: @escaping (inout DaemonConfig) throws -> Void = { _ in }
    ) async throws {
        let dir = try dir ?? TestDaemon.makeDir(rules: rules)
        tokensFile = dir + "/tokens"
        var byPrincipal: [String: String] = [:]
        for (name, role) in Self.principals {
            let token = try TokenDigest.newToken()
            try TokenFile.append(.init(hash: TokenDigest.sha256Hex(token), principal: name, role: role), to: tokensFile)
            byPrincipal[name] = token
        }
        tokens = [
            .viewer: byPrincipal["view"] ?? "", .operator: byPrincipal["alice"] ?? "",
            .admin: byPrincipal["carol"] ?? "",
        ]
        named = byPrincipal
        let file = tokensFile
        d = try await TestDaemon(dir: dir) { c in
            c.http.auth.tokensFile = file
            try configure(&c)
        }
    }

    let named: [String: String]

    func client(_ token: String?) throws -> DaemonClient {
        try DaemonClient(server: "http://127.0.0.1:\(d.daemon.httpPort ?? 0)", token: token)
    }

    func client(principal: String) throws -> DaemonClient { try client(named[principal]) }
}

/// Stops reading a response once its status is known (the live stream never ends).
private struct GotStatus: Error { let status: Int }

@Suite("API credentials", .serialized)
struct AccessTests {
    /// Every route the router serves × no token, a wrong token and each role: 401, 403 or let through.
    @Test("every route × every role, no token and a wrong token")
    func routeByRole() async throws {
        let t = try await TokenedDaemon()
        defer { t.d.removeFiles() }
        let routes = t.d.daemon.apiRoutes
        // The table and the router list the same routes: a new route without an entry fails here.
        #expect(Set(routes) == Set(RouteAccess.table.keys), "routes without an access entry, or stale entries")

        enum Caller: CustomStringConvertible {
            case none, wrong, role(Role)
            var description: String {
                switch self {
                case .none: "no token"
                case .wrong: "wrong token"
                case .role(let r): r.name
                }
            }
        }
        let callers: [Caller] = [.none, .wrong] + Role.allCases.map { .role($0) }
        for route in routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            let method = String(parts[0])
            let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "1")
            let requirement = try #require(RouteAccess.table[route])
            for caller in callers {
                let token: String? =
                    switch caller {
                    case .none: nil
                    case .wrong: "ecc_" + String(repeating: "0", count: 64)
                    case .role(let r): t.tokens[r]
                    }
                let client = try t.client(token)
                var status = 0
                do {
                    status = try await client.stream(
                        method == "POST" ? .POST : .GET, path, body: method == "POST" ? Array("{}".utf8) : nil
                    ) { s, _ in throw GotStatus(status: s) }
                } catch let g as GotStatus { status = g.status }
                let expected: String
                switch (requirement, caller) {
                case (.anyone, _), (.receiverSecret, _): expected = "through"
                case (.role, .none), (.role, .wrong): expected = "401"
                case (.role(let needed), .role(let r)): expected = r >= needed ? "through" : "403"
                }
                let got = status == 401 ? "401" : status == 403 ? "403" : "through"
                #expect(got == expected, "\(route) as \(caller): HTTP \(status), expected \(expected)")
            }
        }
        try await t.d.stop()
    }

    @Test("the journal records the token's principal, never the body's actor; four eyes compare principals")
    func principalsInJournal() async throws {
        let t = try await TokenedDaemon()
        defer { t.d.removeFiles() }
        let d = t.d
        func post(_ who: String, _ path: String, _ fields: [String: Any]) async throws -> (Int, [String: Any]) {
            let body = try JSONSerialization.data(withJSONObject: fields)
            let (status, answer) = try await t.client(principal: who).request(.POST, path, body: Array(body))
            return (status, (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]) ?? [:])
        }
        let events = try t.client(principal: "alice")
        _ = try await events.request(
            .POST, "/v1/events", body: Array(#"{"source":"p","host":"h1","type":"nodeDown"}"#.utf8))
        var id = 0
        try await d.eventually {
            let (_, body) = try await t.client(principal: "view").request(.GET, "/v1/incidents")
            let list = (try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]]) ?? []
            id = list.first?["id"] as? Int ?? 0
            return id != 0
        }
        // The event alice sent carries her as its sender, whatever it claimed.
        _ = try await events.request(
            .POST, "/v1/events",
            body: Array(#"{"source":"p","host":"h2","type":"nodeDown","attributes":{"sender":"mallory"}}"#.utf8))
        try await d.eventually {
            let (_, body) = try await t.client(principal: "view").request(.GET, "/v1/alarms")
            let list = (try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]]) ?? []
            return list.count == 2
        }
        let (_, why) = try await t.client(principal: "view").request(.GET, "/v1/alarms/2/why")
        let whyText = String(decoding: why, as: UTF8.self)
        #expect(whyText.contains("alice") && !whyText.contains("mallory"), "\(whyText)")
        // alice acts, claiming to be mallory: the journal and the owner say alice.
        let (s, acked) = try await post("alice", "/v1/incidents/\(id)/ack", ["actor": "mallory"])
        #expect(s == 200 && acked["owner"] as? String == "alice")
        // Without an actor in the body at all: the principal is enough.
        #expect(try await post("bob", "/v1/incidents/\(id)/notes", ["text": "seen"]).0 == 200)
        let (_, shown) = try await t.client(principal: "view").request(.GET, "/v1/incidents/\(id)")
        let journal =
            ((try? JSONSerialization.jsonObject(with: Data(shown)) as? [String: Any])?["journal"]
                as? [[String: Any]]) ?? []
        let actors = Set(journal.compactMap { $0["actor"] as? String })
        #expect(actors.contains("alice") && actors.contains("bob") && !actors.contains("mallory"))

        // carol requests a change; carol cannot approve it even naming dave in the body; dave can.
        let start = "2030-01-01T00:00:00Z"
        let end = "2030-01-01T01:00:00Z"
        let (sc, change) = try await post(
            "carol", "/v1/changes", ["actor": "dave", "title": "swap", "start": start, "end": end, "cis": ["core1"]])
        #expect(sc == 200 && change["requested_by"] as? String == "carol", "\(change)")
        let cid = try #require(change["id"] as? Int)
        #expect(try await post("carol", "/v1/changes/\(cid)/approve", ["actor": "dave"]).0 == 409)
        let (sa, approved) = try await post("dave", "/v1/changes/\(cid)/approve", ["actor": "carol"])
        #expect(sa == 200 && approved["approved_by"] as? String == "dave")
        try await d.stop()
    }

    @Test("a foreign Origin is refused (the cross-site text/plain POST), eccd's own origin is not")
    func foreignOrigin() async throws {
        let dir = try TestDaemon.makeDir(rules: incidentRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try await TestDaemon(dir: dir)
        _ = try await d.post(#"{"source":"p","host":"h1","type":"nodeDown"}"#)
        try await d.eventually { try await !d.incidents().isEmpty }
        let id = try #require(try await d.incidents().first?["id"] as? Int)
        let port = d.daemon.httpPort ?? 0
        // What a page on another site can make a browser send: a simple text/plain POST with its Origin.
        let forged: [(String, String)] = [("Origin", "https://evil.example"), ("Content-Type", "text/plain")]
        let (s1, b1) = try await d.client.request(
            .POST, "/v1/incidents/\(id)/ack", body: Array(#"{"actor":"mallory"}"#.utf8), headers: forged)
        #expect(s1 == 403, "\(String(decoding: b1, as: UTF8.self))")
        #expect((try await d.incidents().first?["state"] as? String) == "new")
        // DNS rebinding: the page's own origin, but a Host that is not a loopback name.
        let rebound: [(String, String)] = [("Host", "evil.example:\(port)"), ("Origin", "http://evil.example:\(port)")]
        #expect(
            try await d.client.request(
                .POST, "/v1/incidents/\(id)/ack", body: Array(#"{"actor":"m"}"#.utf8),
                headers: rebound
            ).status == 403)
        // eccd's own origin (a page served by eccd) goes through.
        let own: [(String, String)] = [("Origin", "http://127.0.0.1:\(port)")]
        let (s2, b2) = try await d.client.request(
            .POST, "/v1/incidents/\(id)/ack", body: Array(#"{"actor":"alice"}"#.utf8), headers: own)
        #expect(
            s2 == 200
                && (try? JSONSerialization.jsonObject(with: Data(b2)) as? [String: Any])?["owner"] as? String == "alice"
        )
        let metrics = String(decoding: try await d.client.request(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"ecc_http_refused_total{reason="foreign_origin"} 1"#))
        #expect(metrics.contains(#"ecc_http_refused_total{reason="foreign_host"} 1"#))
        try await d.stop()
    }

    @Test("a token in a cookie is no credential")
    func cookieIsNoCredential() async throws {
        let t = try await TokenedDaemon()
        defer { t.d.removeFiles() }
        let token = try #require(t.tokens[.admin])
        let bare = try t.client(nil)
        let (status, _) = try await bare.request(
            .POST, "/v1/rules/reload", headers: [("Cookie", "token=\(token); ecc_token=\(token)")])
        #expect(status == 401)
        try await t.d.stop()
    }

    @Test("off loopback without tokens eccd refuses to start and says how to create one")
    func offLoopbackNeedsTokens() async throws {
        var config = DaemonConfig()
        config.http.host = "0.0.0.0"
        #expect {
            _ = try config.apiAccess()
        } throws: { error in
            "\(error)".contains("eccctl token create") && "\(error)".contains("http.tokens_file")
        }
        let dir = try TestDaemon.makeDir(rules: incidentRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        config.database.path = dir + "/var/ecc.db"
        config.rulePaths = [dir + "/rules"]
        #expect(throws: StartupError.self) { _ = try Daemon(config: config, logger: .init(label: "t")) }
        config.http.host = "127.0.0.1"
        #expect(try config.apiAccess().requiresTokens == false)
    }

    @Test("a tokens file others can read is refused; 0600 and 0640 are fine; a token itself is not a hash")
    func tokensFilePermissions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-tokens-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tokens"
        let token = try TokenDigest.newToken()
        try TokenFile.append(.init(hash: TokenDigest.sha256Hex(token), principal: "ops", role: .operator), to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try TokenFile.load(path: path).principal(forToken: token) == Principal(name: "ops", role: .operator))
        #expect(try TokenFile.load(path: path).principal(forToken: token + "x") == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(token) == false, "only the hash is kept")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        _ = try TokenFile.load(path: path)
        for open in [0o644, 0o602, 0o666] {
            try FileManager.default.setAttributes([.posixPermissions: open], ofItemAtPath: path)
            #expect(throws: CredentialFileError.self) { _ = try TokenFile.load(path: path) }
        }
        #expect(throws: CredentialFileError.self) { _ = try TokenFile.parse("\(token) ops operator\n", file: "t") }
        #expect(throws: CredentialFileError.self) {
            _ = try TokenFile.parse("\(TokenDigest.sha256Hex("x")) ops root\n", file: "t")
        }
    }

    @Test("SIGHUP's credential reload: a new token works at once, a revoked one stops")
    func reloadTokens() async throws {
        let t = try await TokenedDaemon()
        defer { t.d.removeFiles() }
        let newToken = try TokenDigest.newToken()
        try TokenFile.append(
            .init(hash: TokenDigest.sha256Hex(newToken), principal: "erin", role: .viewer), to: t.tokensFile)
        #expect(try await t.client(newToken).request(.GET, "/v1/status").status == 401)
        #expect(t.d.daemon.reloadCredentials())
        #expect(try await t.client(newToken).request(.GET, "/v1/status").status == 200)
        // Revoke everything but erin.
        let keep =
            try String(contentsOfFile: t.tokensFile, encoding: .utf8).split(separator: "\n")
            .filter { $0.contains(" erin ") }.joined(separator: "\n") + "\n"
        try keep.write(toFile: t.tokensFile, atomically: false, encoding: .utf8)
        #expect(t.d.daemon.reloadCredentials())
        #expect(try await t.client(principal: "carol").request(.GET, "/v1/status").status == 401)
        // A file made world-readable is refused; the tokens in force stay.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: t.tokensFile)
        #expect(t.d.daemon.reloadCredentials() == false)
        #expect(try await t.client(newToken).request(.GET, "/v1/status").status == 200)
        try await t.d.stop()
    }
}

extension AccessTests {
    @Test("a Kannel dlr_url without dlr_secret is refused; a short or URL-unsafe secret too")
    func dlrSecretRequired() throws {
        func config(_ extra: String) -> String {
            """
            notify:
              kannel:
                url: http://127.0.0.1:13013/cgi-bin/sendsms
                username: u
                password: p
                dlr_url: "http://127.0.0.1:8470/v1/notify/dlr?id={{id}}&status=%d"
            \(extra)
              receivers:
                - name: s
                  sms: {to: ["+1"]}
            """
        }
        #expect(throws: ConfigError.self) { _ = try DaemonConfig.parse(config(""), file: "e.yaml") }
        #expect(throws: ConfigError.self) {
            _ = try DaemonConfig.parse(config("    dlr_secret: short"), file: "e.yaml")
        }
        #expect(throws: ConfigError.self) {
            _ = try DaemonConfig.parse(config("    dlr_secret: \"0123456789abcdef&x=1\""), file: "e.yaml")
        }
        _ = try DaemonConfig.parse(config("    dlr_secret: 0123456789abcdef"), file: "e.yaml")
    }
}
