import EccCore
import EccRules
import EccYAML

/// `smtp:` keys as written (global defaults or a receiver's overrides), merged key by key.
struct SMTPSettings {
    static let keys = [
        "url", "tls", "username", "password", "password_file", "auth", "from", "message_id_domain", "ca_file",
        "verify", "connect_timeout", "timeout",
    ]
    var url: String?
    var tls: (SMTPTransport.TLSMode, YAMLValue)?
    var username: String?
    var password: String?
    var auth: SMTPTransport.AuthMechanism?
    var from: String?
    var messageIDDomain: String?
    var caFile: String?
    var verify: Bool?
    var connectTimeout: Int64?
    var timeout: Int64?

    static func parse(_ v: YAMLValue, _ what: String) throws(ConfigError) -> SMTPSettings {
        let m = try v.mapping(what, known: keys)
        var s = SMTPSettings()
        if let u = m["url"] { s.url = try NotifyConfig.url(u, "\(what).url", schemes: ["smtp", "smtps"]) }
        if let t = m["tls"] {
            let text = try t.string("tls")
            guard let mode = SMTPTransport.TLSMode(rawValue: text) else {
                throw t.error("tls must be starttls, try or none, not '\(text)'")
            }
            s.tls = (mode, t)
        }
        if let u = m["username"] { s.username = try u.string("username") }
        s.password = try NotifyConfig.secret(m, "password", "password_file")
        if let a = m["auth"] {
            let text = try a.string("auth")
            guard let mech = SMTPTransport.AuthMechanism(rawValue: text.uppercased()) else {
                throw a.error("auth must be PLAIN or LOGIN, not '\(text)'")
            }
            s.auth = mech
        }
        if let f = m["from"] {
            let from = try f.string("from")
            guard MIME.address(from).contains("@") else { throw f.error("from must be an address, not '\(from)'") }
            s.from = from
        }
        if let d = m["message_id_domain"] { s.messageIDDomain = try d.string("message_id_domain") }
        if let c = m["ca_file"] { s.caFile = try c.string("ca_file") }
        if let b = m["verify"] { s.verify = try b.bool("verify") }
        if let c = m["connect_timeout"] {
            s.connectTimeout = try NotifyConfig.positiveDuration(c, "connect_timeout", default: 0)
        }
        if let t = m["timeout"] { s.timeout = try NotifyConfig.positiveDuration(t, "timeout", default: 0) }
        return s
    }

    /// `self` with every key `o` sets replaced.
    func overridden(by o: SMTPSettings) -> SMTPSettings {
        SMTPSettings(
            url: o.url ?? url, tls: o.tls ?? tls, username: o.username ?? username, password: o.password ?? password,
            auth: o.auth ?? auth, from: o.from ?? from, messageIDDomain: o.messageIDDomain ?? messageIDDomain,
            caFile: o.caFile ?? caFile, verify: o.verify ?? verify, connectTimeout: o.connectTimeout ?? connectTimeout,
            timeout: o.timeout ?? timeout)
    }
}

/// `kannel:` keys as written, merged key by key like ``SMTPSettings``.
struct KannelSettings {
    static let keys = [
        "url", "username", "password", "password_file", "from", "smsc", "dlr_mask", "dlr_url", "ca_file", "verify",
        "connect_timeout", "timeout", "dlr_secret", "dlr_secret_file",
    ]
    var url: String?
    var username: String?
    var password: String?
    var from: String?
    var smsc: String?
    var dlrMask: Int?
    var dlrURL: NotificationTemplate?
    var dlrSecret: String?
    var caFile: String?
    var verify: Bool?
    var connectTimeout: Int64?
    var timeout: Int64?

    static func parse(_ v: YAMLValue, _ what: String) throws(ConfigError) -> KannelSettings {
        let m = try v.mapping(what, known: keys)
        var s = KannelSettings()
        if let u = m["url"] { s.url = try NotifyConfig.url(u, "\(what).url", schemes: ["http", "https"]) }
        if let u = m["username"] { s.username = try u.string("username") }
        s.password = try NotifyConfig.secret(m, "password", "password_file")
        if let f = m["from"] { s.from = try f.string("from") }
        if let c = m["smsc"] { s.smsc = try c.string("smsc") }
        if let d = m["dlr_mask"] {
            let mask = try d.int("dlr_mask")
            guard (1...127).contains(mask) else { throw d.error("dlr_mask is 1 to 127 (Kannel's bits), not \(mask)") }
            s.dlrMask = mask
        }
        s.dlrURL = try NotifyConfig.template(m, "dlr_url", "dlr_url_file", .url, default: nil)
        s.dlrSecret = try NotifyConfig.secret(m, "dlr_secret", "dlr_secret_file")
        if let secret = s.dlrSecret {
            let safe = secret.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-._~".unicodeScalars.contains($0))
            }
            guard secret.utf8.count >= 16, safe else {
                throw (m["dlr_secret"] ?? m["dlr_secret_file"] ?? v).error(
                    "dlr_secret: at least 16 characters of A-Z a-z 0-9 - . _ ~ (e.g. openssl rand -hex 32)")
            }
        }
        if let c = m["ca_file"] { s.caFile = try c.string("ca_file") }
        if let b = m["verify"] { s.verify = try b.bool("verify") }
        if let c = m["connect_timeout"] {
            s.connectTimeout = try NotifyConfig.positiveDuration(c, "connect_timeout", default: 0)
        }
        if let t = m["timeout"] { s.timeout = try NotifyConfig.positiveDuration(t, "timeout", default: 0) }
        return s
    }

    func overridden(by o: KannelSettings) -> KannelSettings {
        KannelSettings(
            url: o.url ?? url, username: o.username ?? username, password: o.password ?? password, from: o.from ?? from,
            smsc: o.smsc ?? smsc, dlrMask: o.dlrMask ?? dlrMask, dlrURL: o.dlrURL ?? dlrURL,
            dlrSecret: o.dlrSecret ?? dlrSecret, caFile: o.caFile ?? caFile,
            verify: o.verify ?? verify, connectTimeout: o.connectTimeout ?? connectTimeout,
            timeout: o.timeout ?? timeout)
    }
}

extension NotifyConfig {
    static func email(_ v: YAMLValue, defaults: SMTPSettings, _ name: String) throws(ConfigError) -> EmailChannel {
        let what = "receiver '\(name)' email"
        let m = try v.mapping(
            what,
            known: ["to", "cc", "bcc", "subject", "subject_file", "text", "text_file", "html", "html_file", "smtp"])
        let to = try strings(m["to"], "to")
        let cc = try strings(m["cc"], "cc")
        let bcc = try strings(m["bcc"], "bcc")
        for (key, list) in [("to", to), ("cc", cc), ("bcc", bcc)] {
            for a in list
            where !MIME.address(a).contains("@")
                || MIME.address(a).contains(where: { $0.isWhitespace || $0.isNewline || "<>,;\"".contains($0) })
                || a.contains(where: \.isNewline)
            {
                throw (m[key] ?? v).error("\(key): '\(a)' is not an e-mail address")
            }
        }
        guard !(to + cc + bcc).isEmpty else { throw v.error("\(what) needs at least one recipient (to, cc or bcc)") }
        let own = try m["smtp"].map { s throws(ConfigError) in try SMTPSettings.parse(s, "\(what).smtp") }
        let s = own.map(defaults.overridden) ?? defaults
        guard let url = s.url else { throw v.error("\(what): no SMTP url (set notify.smtp.url or smtp.url here)") }
        guard let from = s.from else { throw v.error("\(what): no from address (notify.smtp.from or smtp.from)") }
        if let (mode, at) = s.tls, mode != .none, url.lowercased().hasPrefix("smtps:") {
            throw at.error("tls: \(mode.rawValue) is for smtp:// URLs; smtps:// always uses implicit TLS")
        }
        if s.password != nil, s.username == nil { throw v.error("\(what): a password without a username") }
        let templates = EmailChannel.Templates(
            subject: try template(m, "subject", "subject_file", .text, default: DefaultTemplates.subject) ?? .empty,
            text: try template(m, "text", "text_file", .text, default: DefaultTemplates.text) ?? .empty,
            html: try template(m, "html", "html_file", .html, default: DefaultTemplates.html) ?? .empty)
        let transport = SMTPTransport(
            url: url, tls: s.tls?.0 ?? .starttls, username: s.username, password: s.password, auth: s.auth,
            caFile: s.caFile, verify: s.verify ?? true, connectTimeout: s.connectTimeout ?? 10_000_000_000,
            timeout: s.timeout ?? 30_000_000_000)
        return EmailChannel(
            from: from, to: to, cc: cc, bcc: bcc, messageIDDomain: s.messageIDDomain, templates: templates,
            smtp: transport)
    }

    static func sms(_ v: YAMLValue, defaults: KannelSettings, _ name: String) throws(ConfigError) -> SMSChannel {
        let what = "receiver '\(name)' sms"
        let m = try v.mapping(what, known: ["to", "text", "text_file", "numbered", "max_parts", "kannel", "gateway"])
        let to = try strings(m["to"], "to")
        guard !to.isEmpty else { throw v.error("\(what) needs at least one number in to") }
        for n in to where n.isEmpty || !n.allSatisfy({ $0.isASCII && ($0.isNumber || "+-. ()".contains($0)) }) {
            throw (m["to"] ?? v).error("to: '\(n)' is not a phone number")
        }
        let text = try template(m, "text", "text_file", .text, default: DefaultTemplates.sms) ?? .empty
        let numbered = try m["numbered"]?.bool("numbered") ?? true
        var maxParts = 6
        if let p = m["max_parts"] {
            maxParts = try p.int("max_parts")
            guard (1...20).contains(maxParts) else { throw p.error("max_parts is 1 to 20, not \(maxParts)") }
        }
        let gateway: SMSChannel.Gateway
        if let g = m["gateway"] {
            if let k = m["kannel"] { throw k.error("\(what) has both kannel and gateway") }
            gateway = .http(try httpGateway(g, "\(what).gateway"))
        } else {
            let own = try m["kannel"].map { k throws(ConfigError) in try KannelSettings.parse(k, "\(what).kannel") }
            let k = own.map(defaults.overridden) ?? defaults
            guard let url = k.url else {
                throw v.error("\(what): no Kannel url (set notify.kannel.url, kannel.url here, or a gateway)")
            }
            guard let user = k.username, let password = k.password else {
                throw v.error("\(what): Kannel needs username and password (or password_file)")
            }
            guard k.dlrURL == nil || k.dlrSecret != nil else {
                throw v.error(
                    "\(what): dlr_url needs dlr_secret (or dlr_secret_file): eccd's /v1/notify/dlr refuses delivery "
                        + "reports without it")
            }
            gateway = .kannel(
                KannelGateway(
                    url: url, username: user, password: password, from: k.from, smsc: k.smsc, dlrMask: k.dlrMask,
                    dlrURL: k.dlrURL, dlrSecret: k.dlrSecret,
                    http: HTTPTransport(
                        caFile: k.caFile, verify: k.verify ?? true, connectTimeout: k.connectTimeout ?? 10_000_000_000,
                        timeout: k.timeout ?? 30_000_000_000)))
        }
        return SMSChannel(to: to, text: text, numbered: numbered, maxParts: maxParts, gateway: gateway)
    }

    static func httpGateway(_ v: YAMLValue, _ what: String) throws(ConfigError) -> HTTPSMSGateway {
        let m = try v.mapping(
            what,
            known: [
                "method", "url", "headers", "headers_file", "body", "body_file", "success", "ca_file", "verify",
                "connect_timeout", "timeout",
            ])
        let method = try m["method"]?.string("method").uppercased() ?? "POST"
        guard !method.isEmpty, method.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw (m["method"] ?? v).error("method must be an HTTP method like POST, not '\(method)'")
        }
        guard let u = m["url"] else { throw v.error("\(what) needs a url") }
        _ = try url(u, "\(what).url", schemes: ["http", "https"])
        guard let urlTemplate = try template(m, "url", "url_file", .url, default: nil) else {
            throw v.error("\(what) needs a url")
        }
        var headers: [(name: String, value: NotificationTemplate)] = []
        var contentType: String?
        if let h = m["headers"] {
            for e in try h.anyMapping("\(what).headers").entries {
                try checkHeaderName(e.key, e.name)
                let text = try e.value.string("header \(e.name)")
                do {
                    headers.append((e.name, try NotificationTemplate(text, escaping: .text)))
                } catch {
                    throw e.value.error("header \(e.name): \(error)")
                }
                if e.name.lowercased() == "content-type" { contentType = text }
            }
        }
        for (name, value) in try headersFile(m, what) {
            do { headers.append((name, try NotificationTemplate(value, escaping: .text))) } catch {
                throw (m["headers_file"] ?? v).error("\(what).headers_file: header \(name) is not a valid template")
            }
            if name.lowercased() == "content-type" { contentType = value }
        }
        let body = try template(
            m, "body", "body_file", HTTPSMSGateway.bodyEscaping(contentType: contentType), default: nil)
        if body != nil, method == "GET" || method == "HEAD" {
            throw (m["body"] ?? m["body_file"] ?? v).error(
                "a \(method) request has no body: use POST (or PUT), or drop the body")
        }
        var success = HTTPSMSGateway.SuccessRule()
        if let s = m["success"] {
            let sm = try s.mapping("\(what).success", known: ["status", "body_contains", "body_matches"])
            if let st = sm["status"] {
                let list: [YAMLValue]
                if case .scalar = st.node { list = [st] } else { list = try st.list("status") }
                success.statuses = try list.map { x throws(ConfigError) in
                    let code = try x.int("a status")
                    guard (100...599).contains(code) else { throw x.error("a status is 100 to 599, not \(code)") }
                    return code
                }
                guard !success.statuses.isEmpty else { throw st.error("success.status lists no status") }
            }
            if let c = sm["body_contains"] { success.bodyContains = try c.string("body_contains") }
            if let r = sm["body_matches"] {
                let pattern = try r.string("body_matches")
                do { success.bodyMatches = try Pattern(pattern) } catch {
                    throw r.error("body_matches: \(error.message)")
                }
            }
        }
        return HTTPSMSGateway(
            method: method, url: urlTemplate, headers: headers, body: body, success: success,
            http: try httpTransport(m, defaultTimeout: 30_000_000_000))
    }

    static func webhook(_ v: YAMLValue, externalURL: String, _ name: String) throws(ConfigError) -> WebhookChannel {
        let what = "receiver '\(name)' webhook"
        let m = try v.mapping(
            what,
            known: [
                "url", "format", "secret", "secret_file", "headers", "headers_file", "ca_file", "verify",
                "connect_timeout", "timeout",
            ])
        guard let u = m["url"] else { throw v.error("\(what) needs a url") }
        let target = try url(u, "\(what).url", schemes: ["http", "https"])
        var format = WebhookChannel.Format.ecc
        if let f = m["format"] {
            let text = try f.string("format")
            guard let fm = WebhookChannel.Format(rawValue: text) else {
                throw f.error("format must be ecc or alertmanager, not '\(text)'")
            }
            format = fm
        }
        let secret = try secret(m, "secret", "secret_file").map { Array($0.utf8) }
        var headers: [(name: String, value: String)] = []
        if let h = m["headers"] {
            for e in try h.anyMapping("\(what).headers").entries {
                try checkHeaderName(e.key, e.name)
                let reserved = [
                    "content-type", "idempotency-key", "x-ecc-notification", "x-ecc-signature", "x-ecc-timestamp",
                ]
                guard !reserved.contains(e.name.lowercased()) else {
                    throw e.key.error("header \(e.name) is set by ECC")
                }
                headers.append((e.name, MIME.singleLine(try e.value.string("header \(e.name)"))))
            }
        }
        let reserved = ["content-type", "idempotency-key", "x-ecc-notification", "x-ecc-signature", "x-ecc-timestamp"]
        for (name, value) in try headersFile(m, what) {
            guard !reserved.contains(name.lowercased()) else {
                throw (m["headers_file"] ?? v).error("\(what).headers_file: header \(name) is set by ECC")
            }
            headers.append((name, MIME.singleLine(value)))
        }
        return WebhookChannel(
            url: target, format: format, secret: secret, headers: headers, externalURL: externalURL,
            http: try httpTransport(m, defaultTimeout: 10_000_000_000))
    }

    static func httpTransport(_ m: YAMLMapping, defaultTimeout: Int64) throws(ConfigError) -> HTTPTransport {
        HTTPTransport(
            caFile: try m["ca_file"]?.string("ca_file"), verify: try m["verify"]?.bool("verify") ?? true,
            connectTimeout: try positiveDuration(m["connect_timeout"], "connect_timeout", default: 10_000_000_000),
            timeout: try positiveDuration(m["timeout"], "timeout", default: defaultTimeout))
    }

    static func checkHeaderName(_ key: YAMLValue, _ name: String) throws(ConfigError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
            throw key.error("'\(name)' is not a header name")
        }
    }
}
