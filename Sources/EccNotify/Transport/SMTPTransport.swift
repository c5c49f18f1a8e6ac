import EccCore

/// Sends one message over SMTP with libcurl: STARTTLS (required or opportunistic) or implicit TLS, AUTH,
/// several recipients. Blocking; safe to call from several threads at once (one easy handle per call).
package struct SMTPTransport: Sendable {
    /// How `smtp://` URLs use TLS (`smtps://` is always implicit TLS).
    package enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// STARTTLS is required: the message is not sent in clear text (CURLUSESSL_ALL).
        case starttls
        /// STARTTLS when the server offers it (CURLUSESSL_TRY).
        case `try`
        /// No TLS.
        case none
    }

    /// Forces an AUTH mechanism (libcurl otherwise picks the best the server offers).
    package enum AuthMechanism: String, Sendable, Hashable, CaseIterable {
        case plain = "PLAIN"
        case login = "LOGIN"
    }

    /// `smtp://host:port` or `smtps://host:port`.
    package var url: String
    package var tls: TLSMode
    package var username: String?
    package var password: String?
    package var auth: AuthMechanism?
    /// A CA bundle for the server's certificate (nil = the system's).
    package var caFile: String?
    /// Verify the server's certificate and name.
    package var verify: Bool
    /// Connect timeout in nanoseconds.
    package var connectTimeout: Int64
    /// Whole-transaction timeout in nanoseconds.
    package var timeout: Int64

    package init(
        url: String, tls: TLSMode = .starttls, username: String? = nil, password: String? = nil,
        auth: AuthMechanism? = nil, caFile: String? = nil, verify: Bool = true,
        connectTimeout: Int64 = 10_000_000_000, timeout: Int64 = 30_000_000_000
    ) {
        self.url = url
        self.tls = tls
        self.username = username
        self.password = password
        self.auth = auth
        self.caFile = caFile
        self.verify = verify
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// Sends `message` (RFC 5322 bytes, CRLF line ends) from `from` to every address in `recipients`
    /// (bare addresses, e.g. `noc@example.com`). Every recipient must be accepted: one refused recipient
    /// fails the whole transaction (as SMTP reports it: 4xx temporary, 5xx permanent).
    package func send(from: String, recipients: [String], message: [UInt8]) -> DeliveryResult {
        guard !recipients.isEmpty else { return .permanent("no recipients") }
        guard let t = CurlTransfer() else { return .temporary("libcurl could not make a transfer handle") }
        t.url(url)
        t.protocols("smtp,smtps")
        t.useSSL(url.lowercased().hasPrefix("smtps:") ? 0 : tls.curlLevel)
        if let username {
            t.login(user: username, password: password ?? "", options: auth.map { "AUTH=\($0.rawValue)" })
        }
        t.tls(caFile: caFile, verify: verify)
        t.timeouts(connect: connectTimeout, total: timeout)
        t.mailFrom("<\(from)>")
        for r in recipients { t.recipient("<\(r)>") }
        t.upload(message)
        return Self.classify(t.perform(), url: url)
    }

    /// Maps libcurl's result and the SMTP reply code to a delivery result.
    static func classify(_ r: CurlResult, url: String) -> DeliveryResult {
        let reply = lastReply(r.rawHeaders)
        let code = r.responseCode
        if r.failure == .none {
            if (400..<500).contains(code) { return .temporary("SMTP \(reply ?? String(code))") }
            if (500..<600).contains(code) { return .permanent("SMTP \(reply ?? String(code))") }
            return .delivered(detail: reply ?? "SMTP \(code)")
        }
        let said = reply.map { "; server said: \($0)" } ?? ""
        let what = "\(HTTPTransport.redacted(url)): \(r.curlDescription)\(said)"
        // A 4xx/5xx reply explains the failure better than libcurl's code (RCPT refused is a SEND_ERROR).
        if (400..<500).contains(code) { return .temporary(what) }
        if (500..<600).contains(code) { return .permanent(what) }
        switch r.failure {
        case .none, .connect, .timeout, .io, .tls, .other: return .temporary(what)
        case .loginDenied, .badRequest: return .permanent(what)
        }
    }

    /// The last reply line (`250 2.0.0 Ok: queued as …`), without the line end.
    static func lastReply(_ raw: String) -> String? {
        let lines = raw.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
        guard let last = lines.last(where: { !$0.isEmpty }) else { return nil }
        return String(last.prefix(300))
    }
}

extension SMTPTransport.TLSMode {
    var curlLevel: Int32 {
        switch self {
        case .starttls: 2
        case .try: 1
        case .none: 0
        }
    }
}
