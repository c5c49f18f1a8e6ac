import EccCore
import EccRules
import EccYAML
import Foundation

/// A receiver's rate limit: a token bucket that fills at `rate` tokens per second up to `burst`; each
/// message takes one. Parsed from `rate_limit: {rate: 10, per: 1m, burst: 20}`; the dispatcher applies it.
package struct RateLimit: Sendable, Hashable {
    /// Tokens per second (`rate` / `per`).
    package var rate: Double
    /// The bucket's size: how many messages may go out at once after a quiet time.
    package var burst: Int
    /// How long held messages wait before one digest lists them (nanoseconds; `digest_after`, default 1m).
    package var digestAfter: Int64

    package init(rate: Double, burst: Int, digestAfter: Int64 = 60_000_000_000) {
        self.rate = rate
        self.burst = burst
        self.digestAfter = digestAfter
    }
}

/// A configured receiver: its name, how it delivers, where it was defined.
package struct ReceiverDefinition: Sendable {
    /// Unique among receivers; routes and escalation policies name it.
    package var name: String
    /// `EmailChannel`, `SMSChannel` or `WebhookChannel`.
    package var channel: any Channel
    /// Where the receiver's entry starts in the config file.
    package var location: SourceLocation
    /// `rate_limit:` (nil = none). DISPATCHER: consume this.
    package var rateLimit: RateLimit?

    package init(name: String, channel: any Channel, location: SourceLocation, rateLimit: RateLimit? = nil) {
        self.name = name
        self.channel = channel
        self.location = location
        self.rateLimit = rateLimit
    }
}

/// The `notify:` section of eccd.yaml.
///
/// ```yaml
/// notify:
///   external_url: http://ecc.example.com:8080   # Alertmanager bodies: externalURL and generatorURL
///   smtp: {...}        # defaults for every e-mail receiver (see below); a receiver's `smtp:` overrides keys
///   kannel: {...}      # defaults for every SMS receiver using Kannel; a receiver's `kannel:` overrides keys
///   receivers: [...]   # the receivers, each with a unique `name` and one of `email`, `sms`, `webhook`
/// ```
///
/// `smtp:` keys: `url` (`smtp://host:port`, or `smtps://host:465` for implicit TLS; required), `tls`
/// (`starttls` = required, the default; `try` = when offered; `none`; only for `smtp://`), `username`,
/// `password` or `password_file` (its first line), `auth` (`PLAIN` or `LOGIN` to force a mechanism),
/// `from` (`"ECC <ecc@example.com>"`, required), `message_id_domain` (default: the From domain), `ca_file`,
/// `verify` (certificate and host name, default true), `connect_timeout` (default 10s), `timeout` (the
/// whole transaction, default 30s).
///
/// `kannel:` keys: `url` (smsbox's `http://host:13013/cgi-bin/sendsms`; required), `username`, `password`
/// or `password_file` (the sendsms user; required), `from`, `smsc`, `dlr_mask` (e.g. 31), `dlr_url` (a
/// template; `{{id}}` is the message id), `ca_file`, `verify`, `connect_timeout`, `timeout`.
///
/// Each receiver: `name`, `rate_limit` (`{rate: 10, per: 1m, burst: 20}`: `rate` messages per `per`
/// (default 1s), bursts of `burst` (default: `rate` rounded up)), and one of:
/// - `email`: `to`, `cc`, `bcc` (lists of addresses; at least one recipient; `bcc` only in the envelope),
///   `subject`, `text`, `html` (templates) or `subject_file`, `text_file`, `html_file`, `smtp` (overrides).
/// - `sms`: `to` (numbers), `text` or `text_file` (template), `numbered` (`(1/3) ` prefixes, default true),
///   `max_parts` (default 6), and `kannel` (overrides of `notify.kannel`; the default gateway) or `gateway`:
///   `method` (default POST), `url` (template, values percent-encoded), `headers` (name: template),
///   `body` or `body_file` (template; values JSON-escaped when the Content-Type header is JSON,
///   percent-encoded when it is a form), `success` (`status: [200, 201]`, `body_contains`, `body_matches`),
///   `ca_file`, `verify`, `connect_timeout`, `timeout`.
/// - `webhook`: `url` (http or https), `format` (`ecc`, the default, or `alertmanager`), `secret` or
///   `secret_file` (HMAC-SHA256 signature headers), `headers` (name: value), `ca_file`, `verify`,
///   `connect_timeout`, `timeout` (default 10s).
///
/// Templates are compiled at load; a syntax error is reported at the template's value (or in its file).
package struct NotifyConfig: Sendable, Equatable {
    /// In file order.
    package var receivers: [ReceiverDefinition]
    /// `external_url`.
    package var externalURL: String
    /// `retry`: how temporary failures are retried.
    package var retry = RetryPolicy()

    package init(receivers: [ReceiverDefinition] = [], externalURL: String = "") {
        self.receivers = receivers
        self.externalURL = externalURL
    }

    /// The receiver called `name`.
    package func receiver(_ name: String) -> ReceiverDefinition? { receivers.first { $0.name == name } }

    /// Equal when they define the same receivers (by name, in order), retries and external URL.
    package static func == (a: NotifyConfig, b: NotifyConfig) -> Bool {
        a.receivers.map(\.name) == b.receivers.map(\.name) && a.retry == b.retry && a.externalURL == b.externalURL
    }

    /// Every receiver the rules' routes and escalation policies name that is not defined here, as
    /// `file:line:column` errors (eccd refuses such rules at start and on reload).
    package func unknownReceivers(in rules: RuleSet) -> [ConfigError] {
        let known = Set(receivers.map(\.name))
        var seen = Set<String>()
        var out: [ConfigError] = []
        for use in rules.receiverUses where !known.contains(use.receiver) {
            guard seen.insert("\(use.user)/\(use.receiver)").inserted else { continue }
            out.append(
                ConfigError(
                    "\(use.user) names receiver '\(use.receiver)', which the configuration does not define "
                        + "(notify.receivers: \(known.sorted().joined(separator: ", ")))",
                    file: use.location?.file ?? "rules", at: use.location))
        }
        return out
    }

    /// Parses the `notify:` mapping strictly: unknown keys, missing required keys, bad values, template
    /// syntax errors and duplicate receiver names are errors at their position.
    package static func parseNotify(_ v: YAMLValue) throws(ConfigError) -> NotifyConfig {
        let m = try v.mapping("notify", known: ["external_url", "smtp", "kannel", "receivers", "retry"])
        var out = NotifyConfig()
        if let r = m["retry"] {
            let rm = try r.mapping("notify.retry", known: ["initial", "max", "give_up_after"])
            out.retry.initial = try positiveDuration(rm["initial"], "notify.retry.initial", default: out.retry.initial)
            out.retry.maximum = try positiveDuration(rm["max"], "notify.retry.max", default: out.retry.maximum)
            out.retry.giveUpAfter = try positiveDuration(
                rm["give_up_after"], "notify.retry.give_up_after", default: out.retry.giveUpAfter)
            if out.retry.maximum < out.retry.initial {
                throw r.error("notify.retry.max must not be shorter than notify.retry.initial")
            }
        }
        if let u = m["external_url"] {
            out.externalURL = String(try u.string("notify.external_url").reversed().drop { $0 == "/" }.reversed())
        }
        let smtp = try m["smtp"].map { s throws(ConfigError) in try SMTPSettings.parse(s, "notify.smtp") }
        let kannel = try m["kannel"].map { k throws(ConfigError) in try KannelSettings.parse(k, "notify.kannel") }
        guard let list = m["receivers"] else { return out }
        var seen: [String: SourceLocation] = [:]
        for r in try list.list("notify.receivers") {
            let def = try receiver(r, smtp: smtp ?? SMTPSettings(), kannel: kannel ?? KannelSettings(), out.externalURL)
            if let first = seen[def.name] {
                throw r.error("receiver '\(def.name)' is defined twice (first at \(first))")
            }
            seen[def.name] = def.location
            out.receivers.append(def)
        }
        return out
    }

    static func receiver(_ v: YAMLValue, smtp: SMTPSettings, kannel: KannelSettings, _ externalURL: String)
        throws(ConfigError) -> ReceiverDefinition
    {
        let m = try v.mapping("a receiver", known: ["name", "rate_limit", "email", "sms", "webhook"])
        guard let n = m["name"] else { throw v.error("a receiver needs a name") }
        let name = try n.string("a receiver's name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw n.error("a receiver's name has letters, digits, '-', '_' and '.', not '\(name)'")
        }
        let kinds = ["email", "sms", "webhook"].compactMap { k in m[k].map { (k, $0) } }
        guard kinds.count == 1, let (kind, body) = kinds.first else {
            if kinds.count > 1 { throw kinds[1].1.error("receiver '\(name)' has both \(kinds[0].0) and \(kinds[1].0)") }
            throw v.error("receiver '\(name)' needs one of email, sms, webhook")
        }
        let channel: any Channel
        switch kind {
        case "email": channel = try email(body, defaults: smtp, name)
        case "sms": channel = try sms(body, defaults: kannel, name)
        default: channel = try webhook(body, externalURL: externalURL, name)
        }
        let limit = try m["rate_limit"].map { r throws(ConfigError) in try rateLimit(r, name) }
        return ReceiverDefinition(name: name, channel: channel, location: v.location, rateLimit: limit)
    }

    /// The largest `rate` and `burst` of a rate limit.
    package static let maxRateLimit = 1_000_000

    /// `rate_limit: {rate: 10, per: 1m, burst: 20}`.
    static func rateLimit(_ v: YAMLValue, _ name: String) throws(ConfigError) -> RateLimit {
        let what = "receiver '\(name)' rate_limit"
        let m = try v.mapping(what, known: ["rate", "per", "burst", "digest_after"])
        guard let r = m["rate"] else { throw v.error("\(what) needs a rate (messages per `per`)") }
        let text = try r.string("rate")
        // Bounded so the default burst (the rate, rounded up) and the rate per second stay finite numbers.
        guard let rate = Double(text), rate > 0, rate <= Double(maxRateLimit) else {
            throw r.error("rate must be a positive number of at most \(maxRateLimit), not '\(text)'")
        }
        var per: Int64 = 1_000_000_000
        if let p = m["per"] {
            per = try p.duration("per")
            guard per > 0 else { throw p.error("per must be longer than 0s") }
        }
        var burst = max(1, Int(rate.rounded(.up)))
        if let b = m["burst"] {
            burst = try b.int("burst")
            guard (1...maxRateLimit).contains(burst) else { throw b.error("burst must be 1 to \(maxRateLimit)") }
        }
        var digestAfter: Int64 = 60_000_000_000
        if let d = m["digest_after"] { digestAfter = try d.duration("digest_after") }
        return RateLimit(rate: rate / (Double(per) / 1e9), burst: burst, digestAfter: digestAfter)
    }

    // MARK: Helpers shared by the channel sections

    /// A template from `key` (inline) or `fileKey` (a file), or the default; never both.
    static func template(
        _ m: YAMLMapping, _ key: String, _ fileKey: String, _ escaping: NotificationTemplate.Escaping,
        default fallback: String?
    ) throws(ConfigError) -> NotificationTemplate? {
        switch (m[key], m[fileKey]) {
        case (.some, .some(let f)): throw f.error("give \(key) or \(fileKey), not both")
        case (.some(let t), nil):
            let text = try t.string(key)
            do {
                return try NotificationTemplate(text, escaping: escaping)
            } catch {
                throw t.error("\(key): \(error)")
            }
        case (nil, .some(let f)):
            let path = try f.string(fileKey)
            let text = try readFile(f, path, fileKey)
            do {
                return try NotificationTemplate(text, escaping: escaping)
            } catch {
                let at = SourceLocation(file: path, line: error.line, column: error.column)
                throw ConfigError("\(error.message) (the \(key) template of \(f.location))", file: path, at: at)
            }
        case (nil, nil):
            guard let fallback else { return nil }
            do {
                return try NotificationTemplate(fallback, escaping: escaping)
            } catch {
                throw ConfigError("the default \(key) template: \(error)", file: m.file)
            }
        }
    }

    static func readFile(_ v: YAMLValue, _ path: String, _ what: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw v.error("\(what): cannot read '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw v.error("\(what): '\(path)' is not UTF-8") }
        return text
    }

    /// `key` inline or the first line of `fileKey`'s file.
    static func secret(_ m: YAMLMapping, _ key: String, _ fileKey: String) throws(ConfigError) -> String? {
        switch (m[key], m[fileKey]) {
        case (.some, .some(let f)): throw f.error("give \(key) or \(fileKey), not both")
        case (.some(let s), nil): return try s.string(key)
        case (nil, .some(let f)):
            let text = try readFile(f, try f.string(fileKey), fileKey)
            let line = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? ""
            guard !line.isEmpty else { throw f.error("\(fileKey): the file's first line is empty") }
            return String(line)
        case (nil, nil): return nil
        }
    }

    static func strings(_ v: YAMLValue?, _ what: String) throws(ConfigError) -> [String] {
        guard let v else { return [] }
        if case .scalar = v.node { return [try v.string(what)] }
        return try v.list(what).map { s throws(ConfigError) in try s.string(what) }
    }

    static func positiveDuration(_ v: YAMLValue?, _ what: String, default d: Int64) throws(ConfigError) -> Int64 {
        guard let v else { return d }
        let ns = try v.duration(what)
        guard ns > 0 else { throw v.error("\(what) must be longer than 0s") }
        return ns
    }

    static func url(_ v: YAMLValue, _ what: String, schemes: [String]) throws(ConfigError) -> String {
        let u = try v.string(what)
        let scheme = u.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard schemes.contains(scheme), u.contains("://"), u.count > scheme.count + 3 else {
            throw v.error("\(what) must be a \(schemes.joined(separator: " or ")) URL, not '\(u)'")
        }
        return u
    }
}
