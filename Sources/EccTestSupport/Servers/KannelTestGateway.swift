import Foundation
import Synchronization

/// A real Kannel 1.4.5 SMS gateway for tests: bearerbox, smsbox (whose `sendsms` HTTP interface the SMS
/// channel calls) and kannel-extras' `fakesmsc` as the SMS centre, which only receives (`-m 0`) and logs every
/// MT message it gets. All on 127.0.0.1, on free unprivileged ports, with config and logs in a temporary folder.
///
/// What Kannel 1.4.5's sendsms answers (found with curl against this gateway):
/// - accepted, the SMSC online: `202`, body `0: Accepted for delivery`;
/// - the SMSC (fakesmsc) down, bearerbox and smsbox up: `202`, body `3: Queued for later delivery`; bearerbox
///   keeps it (in memory: no store is configured) and delivers it when the SMSC connects again;
/// - wrong or missing username/password: `403`, body `Authorization failed for sendsms`;
/// - no `to`: `400`, `Missing receiver number, rejected`; a `to` with other characters than sendsms-chars
///   (default digits, `+`, `-`, space): `400`, `Number(s) has/have been denied by white- and/or black-lists.`;
/// - no `from` (and no `global-sender`): `400`, `Sender missing and no global set, rejected`;
/// - no `text`: `202`, `0: Accepted for delivery` (an empty SMS goes out);
/// - bearerbox stopped (SIGTERM) or killed: smsbox loses its bearerbox connection and closes its HTTP port
///   at once (and exits, after SIGTERM), as does fakesmsc: the client gets connection refused (curl exit 7);
///   everything down: connection refused as well. There is no "smsbox up, bearerbox down" state that
///   answers HTTP.
/// - POST with a form body: `400 Invalid content-type` (sendsms POST wants the text as the body and the
///   parameters in the query or X-Kannel headers); the channel should use GET.
/// - longer than 160 characters: truncated to 160 (the sendsms-user's `max-messages` defaults to 1).
///
/// Binding: in 1.4.5 `our-host` is not a smsbox key (smsbox refuses the config: "Group 'smsbox' may not
/// contain field 'our-host'"); loopback comes from `sendsms-interface` (smsbox), `admin-interface` and
/// `smsbox-interface` (core). The fake SMSC's port has no interface key and listens on all addresses; its
/// `connect-allow-ip = 127.0.0.1` refuses other peers.
///
/// ``stop()`` ends all three processes by pid; ``start()`` runs them again on the same ports, for outage
/// tests. ``stopSMSC()`` / ``startSMSC()`` stop and start only fakesmsc, for the "queued" case.
/// Deinitialising stops everything and removes the temporary folder.
package final class KannelTestGateway: Sendable {
    /// The sendsms user.
    package let username: String
    /// Its password.
    package let password: String
    /// The admin (and status) password of bearerbox's HTTP admin interface.
    package let adminPassword: String
    /// The sender smsbox uses when a request has no `from`; nil: such requests get 400.
    package let globalSender: String?
    /// bearerbox's HTTP admin port (`/status?password=...`).
    package let adminPort: Int
    /// bearerbox's port for smsbox.
    package let smsboxPort: Int
    /// bearerbox's port for the fake SMSC (fakesmsc connects to it).
    package let smscPort: Int
    /// smsbox's sendsms HTTP port.
    package let sendsmsPort: Int
    /// The temporary folder: kannel.conf and the logs.
    package let directory: URL

    /// `http://127.0.0.1:PORT/cgi-bin/sendsms`.
    /// Every port the gateway listens on or connects to.
    package var ports: [Int] { [adminPort, smsboxPort, smscPort, sendsmsPort] }

    package var sendsmsURL: String { "http://127.0.0.1:\(sendsmsPort)/cgi-bin/sendsms" }
    /// The config file bearerbox and smsbox read.
    package var configPath: String { path("kannel.conf") }
    /// fakesmsc's output: one `Got message N: <from to type text>` line per MT message, across restarts.
    package var smscLogPath: String { path("fakesmsc.log") }

    private static let bearerbox = "/usr/sbin/bearerbox"
    private static let smsbox = "/usr/sbin/smsbox"
    private static let fakesmsc = "/usr/lib/kannel/test/fakesmsc"

    private struct Children: Sendable {
        var bearerbox: ChildProcess?
        var smsbox: ChildProcess?
        var fakesmsc: ChildProcess?
    }
    private let children = Mutex(Children())

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private init(
        username: String, password: String, adminPassword: String, globalSender: String?, ports: [Int],
        directory: URL
    ) {
        self.username = username
        self.password = password
        self.adminPassword = adminPassword
        self.globalSender = globalSender
        self.adminPort = ports[0]
        self.smsboxPort = ports[1]
        self.smscPort = ports[2]
        self.sendsmsPort = ports[3]
        self.directory = directory
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether this machine has Kannel's bearerbox and smsbox (package kannel) and fakesmsc (kannel-extras).
    package static var isAvailable: Bool {
        [bearerbox, smsbox, fakesmsc].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts bearerbox, fakesmsc and smsbox on free ports and waits until a message can go through: the
    /// sendsms port accepts connections, smsbox is connected to bearerbox and the fake SMSC is online.
    package static func start(
        username: String = "ecc", password: String = "ecc-sms-pw", globalSender: String? = nil,
        timeout: TimeInterval = 60
    ) throws -> KannelTestGateway {
        var attempt = 0
        while true {
            attempt += 1
            let gateway = KannelTestGateway(
                username: username, password: password, adminPassword: "adm-\(UInt32.random(in: 1000...99999))",
                globalSender: globalSender, ports: try TestServers.freePorts(4),
                directory: try TestServers.makeTemporaryDirectory("ecc-kannel"))
            do {
                try gateway.writeConfig()
                try gateway.start(timeout: timeout)
                return gateway
            } catch {
                // Most likely a port taken in between: another set of ports, up to three times.
                if attempt >= 3 { throw error }
            }
        }
    }

    private func writeConfig() throws {
        var smsbox = """
            group = smsbox
            bearerbox-host = 127.0.0.1
            bearerbox-port = \(smsboxPort)
            sendsms-port = \(sendsmsPort)
            sendsms-interface = 127.0.0.1
            log-file = "\(path("smsbox.log"))"
            log-level = 0
            access-log = "\(path("smsbox-access.log"))"

            """
        if let globalSender { smsbox += "global-sender = \"\(globalSender)\"\n" }
        let config = """
            group = core
            admin-port = \(adminPort)
            admin-interface = 127.0.0.1
            admin-password = "\(adminPassword)"
            status-password = "\(adminPassword)"
            admin-allow-ip = "127.0.0.1"
            smsbox-port = \(smsboxPort)
            smsbox-interface = 127.0.0.1
            box-allow-ip = "127.0.0.1"
            log-file = "\(path("bearerbox.log"))"
            log-level = 0
            access-log = "\(path("bearerbox-access.log"))"
            dlr-storage = internal

            group = smsc
            smsc = fake
            smsc-id = fake
            host = 127.0.0.1
            port = \(smscPort)
            connect-allow-ip = "127.0.0.1"

            \(smsbox)
            group = sendsms-user
            username = "\(username)"
            password = "\(password)"

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// bearerbox's status page (`/status?password=...`), nil when bearerbox does not answer.
    package func status() -> String? {
        TestServers.httpGet(port: adminPort, path: "/status?password=\(adminPassword)").map(\.body)
    }

    /// Whether bearerbox reports the fake SMSC online.
    package var smscOnline: Bool { status()?.contains("FAKE:\(smscPort) (online") ?? false }

    /// Whether all three processes run.
    package var isRunning: Bool {
        children.withLock { c in
            [c.bearerbox, c.smsbox, c.fakesmsc].allSatisfy { $0.map { !$0.hasExited() } ?? false }
        }
    }

    /// The tails of the Kannel logs, for error messages.
    package func logTails(lines: Int = 15) -> String {
        ["bearerbox.stderr", "bearerbox.log", "smsbox.stderr", "smsbox.log", "fakesmsc.log"].map { name in
            "--- \(name):\n" + TestServers.tail(path(name), lines: lines)
        }.joined(separator: "\n")
    }

    /// Starts the gateway again (after ``stop()``) on the same ports; does nothing for processes that run.
    /// Waits until a message can go through, or throws with the tails of the logs.
    package func start(timeout: TimeInterval = 60) throws {
        try children.withLock { c in
            let deadline = Date().addingTimeInterval(timeout)
            func fail(_ what: String) -> TestServerError {
                TestServerError("the Kannel test gateway \(what); the logs end:\n\(logTails())")
            }
            func remaining() -> TimeInterval { max(1, deadline.timeIntervalSinceNow) }
            func running(_ p: ChildProcess?) -> Bool { p.map { !$0.hasExited() } ?? false }
            do {
                if !running(c.bearerbox) {
                    // Its boxes cannot outlive it.
                    c.smsbox?.stop(grace: 5)
                    c.fakesmsc?.stop(grace: 5)
                    (c.smsbox, c.fakesmsc) = (nil, nil)
                    let b = try ChildProcess.spawn(
                        Self.bearerbox, ["-v", "1", configPath], stdoutPath: path("bearerbox.stderr"),
                        stderrPath: path("bearerbox.stderr"))
                    c.bearerbox = b
                    let up = TestServers.poll(timeout: remaining()) {
                        b.hasExited() || (TestServers.acceptsConnections(port: adminPort) && status() != nil)
                    }
                    guard up, !b.hasExited() else { throw fail("did not start: bearerbox is not up") }
                }
                if !running(c.fakesmsc) {
                    c.fakesmsc = try spawnFakeSMSC()
                }
                if !running(c.smsbox) {
                    c.smsbox = try ChildProcess.spawn(
                        Self.smsbox, ["-v", "1", configPath], stdoutPath: path("smsbox.stderr"),
                        stderrPath: path("smsbox.stderr"))
                }
                let ready = TestServers.poll(timeout: remaining()) {
                    if !running(c.bearerbox) || !running(c.smsbox) || !running(c.fakesmsc) { return true }
                    guard TestServers.acceptsConnections(port: sendsmsPort), let s = status() else { return false }
                    return s.contains("FAKE:\(smscPort) (online") && s.contains("smsbox:")
                }
                guard ready else { throw fail("was not ready within \(timeout) s") }
                guard running(c.bearerbox), running(c.smsbox), running(c.fakesmsc) else {
                    throw fail("did not start: a process exited")
                }
            } catch {
                Self.stopAll(&c)
                throw error
            }
        }
    }

    private func spawnFakeSMSC() throws -> ChildProcess {
        // -m 0: generate no MO messages, only log what bearerbox sends (the message argument is required).
        try ChildProcess.spawn(
            Self.fakesmsc, ["-H", "127.0.0.1", "-r", String(smscPort), "-m", "0", "0 0 text unused"],
            stdoutPath: smscLogPath, stderrPath: smscLogPath)
    }

    /// Stops only fakesmsc (by pid): bearerbox and smsbox stay up and sendsms queues messages
    /// (`202 3: Queued for later delivery`). Waits until bearerbox sees the SMSC gone.
    package func stopSMSC(timeout: TimeInterval = 30) {
        children.withLock { c in
            c.fakesmsc?.stop()
            c.fakesmsc = nil
        }
        _ = TestServers.poll(timeout: timeout) { !smscOnline }
    }

    /// Starts fakesmsc again after ``stopSMSC()``; waits until bearerbox reports it online (queued messages
    /// are then delivered to it).
    package func startSMSC(timeout: TimeInterval = 60) throws {
        try children.withLock { c in
            if c.fakesmsc.map({ !$0.hasExited() }) ?? false { return }
            let f = try spawnFakeSMSC()
            c.fakesmsc = f
            let online = TestServers.poll(timeout: timeout) { f.hasExited() || smscOnline }
            guard online, !f.hasExited() else {
                throw TestServerError("fakesmsc did not come online; the logs end:\n\(logTails())")
            }
        }
    }

    /// Stops smsbox, fakesmsc and bearerbox, each by pid (SIGTERM, SIGKILL after `grace` seconds). The
    /// received messages stay readable.
    package func stop(grace: TimeInterval = 10) {
        children.withLock { Self.stopAll(&$0, grace: grace) }
    }

    private static func stopAll(_ c: inout Children, grace: TimeInterval = 10) {
        c.smsbox?.stop(grace: grace)
        c.fakesmsc?.stop(grace: grace)
        c.bearerbox?.stop(grace: grace)
        c = Children()
    }

    /// The MT messages fakesmsc received so far (across restarts), in order.
    package func messages() -> [ReceivedSMS] {
        ReceivedSMS.parse(fakesmscLog: TestServers.read(smscLogPath))
    }

    /// Waits until at least `count` messages arrived (polling), and returns all of them; returns what there is
    /// when `timeout` seconds pass first.
    package func waitForMessages(count: Int, timeout: TimeInterval = 30) -> [ReceivedSMS] {
        TestServers.waitFor(count: count, timeout: timeout) { messages() }
    }
}
