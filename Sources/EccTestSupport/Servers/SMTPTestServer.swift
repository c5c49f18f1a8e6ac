import Foundation
import Synchronization

/// A real SMTP server for tests: aiosmtpd (`Tests/servers/smtp_server.py`, run by /usr/bin/python3) on
/// 127.0.0.1, with a self-signed certificate made by the `openssl` CLI. Each accepted message is kept as one
/// JSON file in ``outputDirectory``; ``messages()`` decodes them.
///
/// ``stop()`` ends the server (SIGTERM by pid, SIGKILL after a grace period) and ``start()`` runs it again on
/// the same port with the same output folder, for outage tests. Deinitialising stops it and removes its
/// temporary folder (certificate, logs, messages).
package final class SMTPTestServer: Sendable {
    /// How the server speaks TLS.
    package enum Mode: String, Sendable, CaseIterable {
        /// Plain SMTP until STARTTLS, which is required before MAIL; AUTH only over TLS.
        case starttls
        /// TLS from the first byte (smtps, port 465 style).
        case implicit
        /// No TLS at all (AUTH, when configured, allowed in the clear).
        case plain
    }

    /// The TLS mode.
    package let mode: Mode
    /// The user AUTH PLAIN / LOGIN accepts; nil: no AUTH, none required.
    package let user: String?
    /// That user's password.
    package let password: String?
    /// Recipients refused at RCPT with `550 5.1.1 no such user`.
    package let rejecting: [String]
    /// Recipients refused at RCPT with `451 4.3.0 try again later`.
    package let deferring: [String]
    /// The TCP port on 127.0.0.1, the same across ``stop()`` and ``start()``.
    package let port: Int
    /// The server's self-signed certificate (PEM; CN and subjectAltName 127.0.0.1 and localhost), for a
    /// client to trust as its CA file.
    package let caFile: String
    /// Where the received messages are kept, one JSON file each.
    package let outputDirectory: URL
    /// The server's temporary folder (certificate, key, logs, the output folder).
    package let directory: URL

    private let child = Mutex<ChildProcess?>(nil)
    private var stdoutPath: String { directory.appendingPathComponent("smtp.stdout").path }
    /// The server's log (Python's stderr: aiosmtpd's messages and any traceback).
    package var logPath: String { directory.appendingPathComponent("smtp.log").path }

    private init(
        mode: Mode, user: String?, password: String?, rejecting: [String], deferring: [String], port: Int,
        directory: URL
    ) {
        self.mode = mode
        self.user = user
        self.password = password
        self.rejecting = rejecting
        self.deferring = deferring
        self.port = port
        self.directory = directory
        self.caFile = directory.appendingPathComponent("cert.pem").path
        self.outputDirectory = directory.appendingPathComponent("messages", isDirectory: true)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether this machine can run the server: /usr/bin/python3 with aiosmtpd, and the `openssl` CLI.
    package static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") && TestServers.pythonHas("aiosmtpd")
    }

    /// Starts a server and waits until it accepts connections.
    /// - Parameters:
    ///   - mode: TLS mode.
    ///   - user: with `password`, the only account AUTH accepts, and AUTH becomes required; nil: no AUTH.
    ///   - rejecting: recipients answered `550 5.1.1 no such user` at RCPT.
    ///   - deferring: recipients answered `451 4.3.0 try again later` at RCPT.
    ///   - port: the port on 127.0.0.1; nil: a free one.
    ///   - timeout: how long to wait for it to come up.
    package static func start(
        mode: Mode = .starttls, user: String? = nil, password: String? = nil, rejecting: [String] = [],
        deferring: [String] = [], port: Int? = nil, timeout: TimeInterval = 60
    ) throws -> SMTPTestServer {
        // A port free a moment ago can be taken before the server binds it: then try another one. Each
        // attempt has its own folder, which the failed server's deinit removes.
        var attempt = 0
        while true {
            attempt += 1
            let chosen = try port ?? TestServers.freePort()
            let dir = try TestServers.makeTemporaryDirectory("ecc-smtp")
            let server = SMTPTestServer(
                mode: mode, user: user, password: password, rejecting: rejecting, deferring: deferring,
                port: chosen, directory: dir)
            do {
                try FileManager.default.createDirectory(at: server.outputDirectory, withIntermediateDirectories: true)
                try makeCertificate(in: dir)
                try server.start(timeout: timeout)
                return server
            } catch {
                if port != nil || attempt >= 3 { throw error }
            }
        }
    }

    /// Generates the self-signed certificate and key (`cert.pem`, `key.pem`) in `dir`.
    static func makeCertificate(in dir: URL) throws {
        let (status, output) = try ChildProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", dir.appendingPathComponent("key.pem").path,
                "-out", dir.appendingPathComponent("cert.pem").path,
            ])
        guard status == 0 else { throw TestServerError("openssl req failed (\(status)):\n\(output)") }
    }

    /// Whether the server process is running.
    package var isRunning: Bool { child.withLock { $0.map { !$0.hasExited() } ?? false } }

    /// Starts the server again (after ``stop()``) on the same port with the same output folder; does nothing
    /// when it runs. Waits until it accepts connections, or throws with the tail of its log.
    package func start(timeout: TimeInterval = 60) throws {
        try child.withLock { current in
            if let c = current, !c.hasExited() { return }
            current = nil
            var args = [
                TestServers.scriptsDirectory.appendingPathComponent("smtp_server.py").path,
                "--port", String(port), "--mode", mode.rawValue, "--out", outputDirectory.path,
                "--cert", caFile, "--key", directory.appendingPathComponent("key.pem").path,
            ]
            if let user {
                args += ["--user", user, "--password", password ?? ""]
            }
            for r in rejecting { args += ["--reject", r] }
            for d in deferring { args += ["--defer", d] }
            try? FileManager.default.removeItem(atPath: stdoutPath)
            let c = try ChildProcess.spawn(
                TestServers.python, args, stdoutPath: stdoutPath, stderrPath: logPath,
                environment: ["PYTHONUNBUFFERED": "1"])
            var exited = false
            let ready = TestServers.poll(timeout: timeout) {
                if c.hasExited() {
                    exited = true
                    return true
                }
                return TestServers.read(stdoutPath).contains("ready \(port)")
                    && TestServers.acceptsConnections(port: port)
            }
            guard ready, !exited else {
                c.stop(grace: 2)
                let why = exited ? "exited" : "did not accept connections within \(timeout) s"
                throw TestServerError(
                    "the SMTP test server (\(mode.rawValue), port \(port)) \(why); its log ends:\n"
                        + TestServers.tail(logPath))
            }
            current = c
        }
    }

    /// Stops the server: SIGTERM by pid, SIGKILL after `grace` seconds. Received messages stay.
    package func stop(grace: TimeInterval = 10) {
        child.withLock { current in
            current?.stop(grace: grace)
            current = nil
        }
    }

    /// The messages received so far (across restarts), in order of arrival.
    package func messages() -> [ReceivedMail] {
        TestServers.decodeAll(ReceivedMail.self, in: outputDirectory)
    }

    /// Waits until at least `count` messages arrived (polling), and returns all of them; returns what there
    /// is when `timeout` seconds pass first.
    package func waitForMessages(count: Int, timeout: TimeInterval = 30) -> [ReceivedMail] {
        TestServers.waitFor(count: count, timeout: timeout) { messages() }
    }
}

/// A message the SMTP test server accepted, as `smtp_server.py` recorded it.
package struct ReceivedMail: Decodable, Sendable, Hashable {
    /// The message's number since the server (re)started.
    package let seq: Int
    /// When it arrived (nanoseconds since the epoch).
    package let receivedAtNanoseconds: Int64
    /// The envelope sender (MAIL FROM).
    package let mailFrom: String
    /// The accepted envelope recipients (RCPT TO), refused ones excluded.
    package let rcptTos: [String]
    /// The user that authenticated, nil without AUTH.
    package let authUser: String?
    /// Whether the session was TLS (after STARTTLS, or implicit).
    package let tls: Bool
    /// The message as received (UTF-8, invalid bytes replaced).
    package let raw: String
    /// Decoded headers (RFC 2047 words decoded): Subject, From, To, Cc, Date, Message-ID, Content-Type and
    /// MIME-Version, those present.
    package let headers: [String: String]
    /// The decoded text/plain body (line ends `\n`), nil when there is none.
    package let text: String?
    /// The decoded text/html body (line ends `\n`), nil when there is none.
    package let html: String?
    /// The content types of all parts, the message itself first (`multipart/alternative`, `text/plain`, ...).
    package let parts: [String]

    /// The decoded Subject.
    package var subject: String? { headers["Subject"] }
    /// The From header.
    package var from: String? { headers["From"] }
    /// The To header.
    package var to: String? { headers["To"] }
    /// The Cc header.
    package var cc: String? { headers["Cc"] }
    /// The Date header.
    package var date: String? { headers["Date"] }
    /// The Message-ID header.
    package var messageID: String? { headers["Message-ID"] }
    /// The Content-Type header.
    package var contentType: String? { headers["Content-Type"] }
    /// The MIME-Version header.
    package var mimeVersion: String? { headers["MIME-Version"] }

    enum CodingKeys: String, CodingKey {
        case seq, tls, raw, headers, text, html, parts
        case receivedAtNanoseconds = "received_at_ns"
        case mailFrom = "mail_from"
        case rcptTos = "rcpt_tos"
        case authUser = "auth_user"
    }
}
