import EccTestSupport
import Foundation
import Testing

/// The real servers the notification tests send to (aiosmtpd, Kannel with fakesmsc, a webhook recorder),
/// driven by the `curl` CLI as the client, so a failure here is the harness's and not a channel's.
/// Each test starts its own servers on free ports and stops them (by pid) when it ends.
@Suite("Notification test servers")
struct ServerHarnessTests {
    static let curl = "/usr/bin/curl"
    static let smtpAvailable = SMTPTestServer.isAvailable && FileManager.default.isExecutableFile(atPath: curl)

    /// Runs curl (silent, errors shown, 60 s at most); returns its exit status and output.
    static func curl(_ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(curl, ["-sS", "--max-time", "60"] + args, timeout: 90)
    }

    /// Writes `text` to a new file in the temporary folder; returns its path (the caller removes it).
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-mail-\(UUID()).eml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A multipart/alternative message with a base64 RFC 2047 Chinese subject, CRLF line ends.
    static func mimeMessage(subject: String, to: String = "ops@example.org") -> String {
        let encoded = "=?UTF-8?B?" + Data(subject.utf8).base64EncodedString() + "?="
        return [
            "From: ECC <ecc@example.org>", "To: \(to)", "Cc: oncall@example.org", "Subject: \(encoded)",
            "Date: Thu, 03 Dec 2026 10:00:00 +0000", "Message-ID: <test-1@ecc.example.org>", "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"b1\"", "", "--b1",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "",
            Data("告警: core1 down\nsecond line".utf8).base64EncodedString(), "--b1",
            "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
            "<p>core1 =E5=91=8A=E8=AD=A6</p>", "--b1--", "",
        ].joined(separator: "\r\n")
    }

    static func simpleMessage(_ subject: String) -> String {
        "From: ecc@example.org\r\nTo: ops@example.org\r\nSubject: \(subject)\r\n\r\nbody of \(subject)\r\n"
    }

    @Test(
        "SMTP with STARTTLS and AUTH: curl's message arrives, parsed (RFC 2047 subject, both bodies)",
        .enabled(if: smtpAvailable, "needs /usr/bin/python3 with aiosmtpd (python3-aiosmtpd), openssl and curl"))
    func smtpStartTLS() throws {
        let server = try SMTPTestServer.start(mode: .starttls, user: "ecc", password: "s3cret")
        let mail = try Self.file(Self.mimeMessage(subject: "主机宕机 core1"))
        defer { try? FileManager.default.removeItem(atPath: mail) }
        let sent = try Self.curl([
            "--url", "smtp://127.0.0.1:\(server.port)", "--ssl-reqd", "--cacert", server.caFile,
            "--user", "ecc:s3cret", "--mail-from", "ecc@example.org", "--mail-rcpt", "ops@example.org",
            "--upload-file", mail,
        ])
        #expect(sent.status == 0, "\(sent.output)")
        let got = server.waitForMessages(count: 1)
        try #require(got.count == 1)
        let m = got[0]
        #expect(m.mailFrom == "ecc@example.org")
        #expect(m.rcptTos == ["ops@example.org"])
        #expect(m.authUser == "ecc")
        #expect(m.tls)
        #expect(m.subject == "主机宕机 core1")
        #expect(m.from == "ECC <ecc@example.org>")
        #expect(m.to == "ops@example.org")
        #expect(m.cc == "oncall@example.org")
        #expect(m.messageID == "<test-1@ecc.example.org>")
        #expect(m.mimeVersion == "1.0")
        #expect(m.contentType?.hasPrefix("multipart/alternative") == true)
        #expect(m.text == "告警: core1 down\nsecond line")
        #expect(m.html?.trimmingCharacters(in: .newlines) == "<p>core1 告警</p>")
        #expect(m.parts == ["multipart/alternative", "text/plain", "text/html"])
        #expect(m.raw.contains("=?UTF-8?B?"))

        // Without STARTTLS the server refuses to go on; a wrong password is refused too.
        let clear = try Self.curl([
            "--url", "smtp://127.0.0.1:\(server.port)", "--mail-from", "ecc@example.org",
            "--mail-rcpt", "ops@example.org", "--upload-file", mail,
        ])
        #expect(clear.status != 0)
        let badPassword = try Self.curl([
            "--url", "smtp://127.0.0.1:\(server.port)", "--ssl-reqd", "--cacert", server.caFile,
            "--user", "ecc:wrong", "--mail-from", "ecc@example.org", "--mail-rcpt", "ops@example.org",
            "--upload-file", mail,
        ])
        #expect(badPassword.status == 67, "\(badPassword.output)")  // CURLE_LOGIN_DENIED
        #expect(server.messages().count == 1)
    }

    @Test(
        "SMTP with implicit TLS (smtps): the session is TLS from the first byte",
        .enabled(if: smtpAvailable, "needs /usr/bin/python3 with aiosmtpd (python3-aiosmtpd), openssl and curl"))
    func smtpImplicitTLS() throws {
        let server = try SMTPTestServer.start(mode: .implicit, user: "ecc", password: "pw")
        let mail = try Self.file(Self.simpleMessage("implicit"))
        defer { try? FileManager.default.removeItem(atPath: mail) }
        let sent = try Self.curl([
            "--url", "smtps://127.0.0.1:\(server.port)", "--cacert", server.caFile, "--user", "ecc:pw",
            "--mail-from", "a@example.org", "--mail-rcpt", "b@example.org", "--upload-file", mail,
        ])
        #expect(sent.status == 0, "\(sent.output)")
        let got = server.waitForMessages(count: 1)
        try #require(got.count == 1)
        #expect(got[0].tls)
        #expect(got[0].authUser == "ecc")
        #expect(got[0].subject == "implicit")
        #expect(got[0].text == "body of implicit\n")
        #expect(got[0].html == nil)
        #expect(got[0].parts == ["text/plain"])
        // A client that speaks plain SMTP to it gets nowhere.
        let plain = try Self.curl([
            "--url", "smtp://127.0.0.1:\(server.port)", "--mail-from", "a@example.org",
            "--mail-rcpt", "b@example.org", "--upload-file", mail, "--max-time", "3",
        ])
        #expect(plain.status != 0)
    }

    @Test(
        "SMTP refusals: 550 for a rejected recipient, 451 for a deferred one, the rest delivered",
        .enabled(if: smtpAvailable, "needs /usr/bin/python3 with aiosmtpd (python3-aiosmtpd), openssl and curl"))
    func smtpRejectAndDefer() throws {
        let server = try SMTPTestServer.start(
            mode: .plain, rejecting: ["nobody@example.org"], deferring: ["later@example.org"])
        let mail = try Self.file(Self.simpleMessage("refusals"))
        defer { try? FileManager.default.removeItem(atPath: mail) }
        func send(_ rcpts: [String], allowFails: Bool = false) throws -> (status: Int32, output: String) {
            try Self.curl(
                ["--url", "smtp://127.0.0.1:\(server.port)", "--mail-from", "a@example.org", "--upload-file", mail]
                    + rcpts.flatMap { ["--mail-rcpt", $0] } + (allowFails ? ["--mail-rcpt-allowfails"] : []))
        }
        let rejected = try send(["nobody@example.org"])
        #expect(rejected.status == 55)  // CURLE_SEND_ERROR: "RCPT failed: 550"
        #expect(rejected.output.contains("550"), "\(rejected.output)")
        let deferred = try send(["later@example.org"])
        #expect(deferred.status == 55)
        #expect(deferred.output.contains("451"), "\(deferred.output)")
        let mixed = try send(["ops@example.org", "nobody@example.org", "later@example.org"], allowFails: true)
        #expect(mixed.status == 0, "\(mixed.output)")
        let got = server.waitForMessages(count: 1)
        try #require(got.count == 1)
        #expect(got[0].rcptTos == ["ops@example.org"])
        #expect(!got[0].tls)
        #expect(got[0].authUser == nil)
    }

    @Test(
        "SMTP outage: stopped, the port refuses connections; started again on the same port, mail flows",
        .enabled(if: smtpAvailable, "needs /usr/bin/python3 with aiosmtpd (python3-aiosmtpd), openssl and curl"))
    func smtpRestart() throws {
        let server = try SMTPTestServer.start(mode: .starttls, user: "u", password: "p")
        func send(_ subject: String) throws -> Int32 {
            let mail = try Self.file(Self.simpleMessage(subject))
            defer { try? FileManager.default.removeItem(atPath: mail) }
            return try Self.curl([
                "--url", "smtp://127.0.0.1:\(server.port)", "--ssl-reqd", "--cacert", server.caFile, "--user", "u:p",
                "--mail-from", "a@example.org", "--mail-rcpt", "b@example.org", "--upload-file", mail,
            ]).status
        }
        #expect(try send("before") == 0)
        server.stop()
        #expect(!server.isRunning)
        #expect(!TestServers.acceptsConnections(port: server.port))
        #expect(try send("during") == 7)  // CURLE_COULDNT_CONNECT
        try server.start()
        #expect(try send("after") == 0)
        let got = server.waitForMessages(count: 2)
        #expect(got.map(\.subject) == ["before", "after"])
    }

    @Test(
        "Webhook: requests recorded (method, path, headers, body); 503 for the first two, then 200; restart",
        .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3"))
    func webhook() throws {
        let server = try WebhookTestServer.start(failCount: 2, failStatus: 503)
        let body = #"{"alarm":"主机宕机","n":1}"#
        func post() throws -> String {
            try Self.curl([
                "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "-H",
                "X-ECC-Test: yes", "--data-binary", body, server.url("/hook/ops?x=1"),
            ]).output
        }
        #expect(try [post(), post(), post()] == ["503", "503", "200"])
        let got = server.waitForRequests(count: 3)
        try #require(got.count == 3)
        #expect(got.map(\.status) == [503, 503, 200])
        #expect(got.map(\.seq) == [1, 2, 3])
        #expect(got[2].method == "POST")
        #expect(got[2].path == "/hook/ops?x=1")
        #expect(got[2].body == body)
        #expect(got[2].bodyData == Data(body.utf8))
        #expect(got[2].header("content-type") == "application/json")
        #expect(got[2].header("X-ECC-Test") == "yes")

        // Binary bodies come through base64; GET works as well.
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-hook-\(UUID()).bin")
        try Data([0xFF, 0x00, 0xFE]).write(to: binary)
        defer { try? FileManager.default.removeItem(at: binary) }
        _ = try Self.curl(["-o", "/dev/null", "--data-binary", "@\(binary.path)", server.url("/bin")])
        _ = try Self.curl(["-o", "/dev/null", server.url("/get")])
        let more = server.waitForRequests(count: 5)
        try #require(more.count == 5)
        #expect(more[3].body == nil)
        #expect(more[3].bodyData == Data([0xFF, 0x00, 0xFE]))
        #expect(more[4].method == "GET")

        // Outage: stopped, connections are refused; started again on the same port, the counter starts over.
        server.stop()
        let refused = try Self.curl(["-o", "/dev/null", server.url()])
        #expect(refused.status == 7)
        try server.start()
        #expect(try post() == "503")
        #expect(server.waitForRequests(count: 6).count == 6)
    }

    @Test(
        "Webhook: always one status when failCount is 0",
        .enabled(if: WebhookTestServer.isAvailable, "needs /usr/bin/python3"))
    func webhookFixedStatus() throws {
        let server = try WebhookTestServer.start(status: 500, body: "broken")
        let r = try Self.curl(["-w", " %{http_code}", "-d", "x", server.url()])
        #expect(r.output == "broken 500")
        #expect(server.waitForRequests(count: 1).first?.status == 500)
    }

    static let kannelAvailable = KannelTestGateway.isAvailable && FileManager.default.isExecutableFile(atPath: curl)

    /// GET sendsms with these parameters (URL-encoded here); returns curl's exit status and "CODE BODY".
    static func sendsms(_ gateway: KannelTestGateway, _ params: [(String, String)]) throws -> (
        status: Int32, output: String
    ) {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = params.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
        return try Self.curl(["-w", " %{http_code}", "\(gateway.sendsmsURL)?\(query)"])
    }

    @Test(
        "Kannel: ASCII and Chinese (UTF-8, coding=2) SMS reach fakesmsc and decode; sendsms' answers",
        .enabled(if: kannelAvailable, "needs Kannel's bearerbox and smsbox (kannel), fakesmsc (kannel-extras), curl"))
    func kannel() throws {
        let k = try KannelTestGateway.start()
        let auth = [("username", k.username), ("password", k.password)]
        let ascii = try Self.sendsms(
            k, auth + [("from", "ECC"), ("to", "+4912345"), ("text", "core1 down: 100% loss")])
        #expect(ascii.output == "0: Accepted for delivery 202", "\(ascii.output)")
        let chinese = try Self.sendsms(
            k, auth + [("from", "ECC"), ("to", "13800000000"), ("charset", "UTF-8"), ("coding", "2"), ("text", "主机宕机")])
        #expect(chinese.output == "0: Accepted for delivery 202", "\(chinese.output)")
        let lines = try Self.sendsms(k, auth + [("from", "1"), ("to", "2"), ("text", "line one\nline two")])
        #expect(lines.output == "0: Accepted for delivery 202")
        let got = k.waitForMessages(count: 3)
        try #require(got.count == 3, "\(k.logTails())")
        #expect(
            got[0]
                == ReceivedSMS(
                    from: "ECC", to: "+4912345", text: "core1 down: 100% loss", coding: "text",
                    raw: "ECC +4912345 text core1 down: 100% loss"))
        #expect(got[1].text == "主机宕机")
        #expect(got[1].coding == "ucs-2")
        #expect(got[1].to == "13800000000")
        #expect(got[1].raw == "ECC 13800000000 ucs-2 N%3Bg%3A%5B%95g%3A")
        #expect(got[2].text == "line one\nline two")

        // Refusals: bad auth 403, no receiver / a bad one / no sender 400.
        let badAuth = try Self.sendsms(k, [("username", k.username), ("password", "no"), ("from", "1"), ("to", "2")])
        #expect(badAuth.output == "Authorization failed for sendsms 403")
        let noTo = try Self.sendsms(k, auth + [("from", "1"), ("text", "x")])
        #expect(noTo.output == "Missing receiver number, rejected 400")
        let badTo = try Self.sendsms(k, auth + [("from", "1"), ("to", "abc"), ("text", "x")])
        #expect(badTo.output == "Number(s) has/have been denied by white- and/or black-lists. 400")
        let noFrom = try Self.sendsms(k, auth + [("to", "2"), ("text", "x")])
        #expect(noFrom.output == "Sender missing and no global set, rejected 400")
        #expect(k.messages().count == 3)
    }

    @Test(
        "Kannel outages: SMSC down queues (202, 3:) and delivers later; all down refuses; restart on the same ports",
        .enabled(if: kannelAvailable, "needs Kannel's bearerbox and smsbox (kannel), fakesmsc (kannel-extras), curl"))
    func kannelOutage() throws {
        let k = try KannelTestGateway.start(globalSender: "ECC")
        let auth = [("username", k.username), ("password", k.password)]
        k.stopSMSC()
        #expect(!k.smscOnline)
        let queued = try Self.sendsms(k, auth + [("to", "2"), ("text", "queued while the SMSC is down")])
        #expect(queued.output == "3: Queued for later delivery 202", "\(queued.output)")
        try k.startSMSC()
        let later = k.waitForMessages(count: 1)
        #expect(later.map(\.text) == ["queued while the SMSC is down"])
        #expect(later.first?.from == "ECC")

        let ports = [k.adminPort, k.smsboxPort, k.smscPort, k.sendsmsPort]
        k.stop()
        #expect(!k.isRunning)
        let refused = try Self.sendsms(k, auth + [("to", "2"), ("text", "x")])
        #expect(refused.status == 7)  // CURLE_COULDNT_CONNECT
        try k.start()
        #expect([k.adminPort, k.smsboxPort, k.smscPort, k.sendsmsPort] == ports)
        let again = try Self.sendsms(k, auth + [("to", "2"), ("text", "after the restart")])
        #expect(again.output == "0: Accepted for delivery 202")
        #expect(k.waitForMessages(count: 2).map(\.text) == ["queued while the SMSC is down", "after the restart"])
    }

    @Test("fakesmsc's log lines: text as is, data and UCS-2 URL-encoded (+ is a space), a line break joined")
    func fakesmscParsing() {
        let log = """
            2026-12-03 17:32:41 [12971] [0] DEBUG: Connecting to <127.0.0.1>
            2026-12-03 17:32:42 [12971] [0] DEBUG: Got message 1: <1 2 ucs-2 %00a%00+%00b%00%2B%00c%00%25%00+N%3B>
            2026-12-03 17:32:42 [12971] [0] DEBUG: Got message 2: <1 2 data a+b%2Bc>
            2026-12-03 17:32:42 [12971] [0] DEBUG: Got message 3: <1 2 text a b+c>>
            2026-12-03 17:32:43 [12971] [0] DEBUG: Got message 4: <ECC +49 text line1>
            2026-12-03 17:32:43 [12971] [0] DEBUG: Got message 5: <line2 100% ok>
            2026-12-03 17:32:44 [12971] [0] DEBUG: Got message 6: <3 4 text >

            """
        let got = ReceivedSMS.parse(fakesmscLog: log)
        #expect(got.map(\.text) == ["a b+c% 主", "a b+c", "a b+c>", "line1\nline2 100% ok", ""])
        #expect(got.map(\.coding) == ["ucs-2", "data", "text", "text", "text"])
        #expect(got[3].from == "ECC")
        #expect(got[3].to == "+49")
        #expect(got[4].to == "4")
    }
}
