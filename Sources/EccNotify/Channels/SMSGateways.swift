import EccCore
import Foundation

/// Kannel's smsbox `sendsms` HTTP interface: one GET per part and number.
///
/// Query: `username`, `password`, `from`, `to`, `text` (UTF-8, percent-encoded) with `charset=UTF-8`,
/// `coding=2` (UCS-2) when the part is not GSM-7, `dlr-mask` and `dlr-url` when configured, `smsc`.
/// Kannel answers 202 `0: Accepted for delivery` or `3: Queued for later delivery` (both delivered: the
/// gateway has it), 403 on an authorisation failure and 400 on missing or invalid parameters (permanent),
/// 5xx, refused connections and timeouts are temporary. The status class decides; the body is kept in the
/// result's text.
package struct KannelGateway: Sendable {
    /// `http://127.0.0.1:13013/cgi-bin/sendsms`.
    package var url: String
    package var username: String
    package var password: String
    /// The sender (`from`); nil lets Kannel use its default.
    package var from: String?
    /// The SMSC id to route through (`smsc`).
    package var smsc: String?
    /// `dlr-mask` (e.g. 31 for all reports); sent when set.
    package var dlrMask: Int?
    /// `dlr-url`, a template over ``SMSPart/context`` (e.g. `http://ecc:8080/v1/sms/dlr?id={{id}}&s=%d`);
    /// Kannel's `%` escapes pass through.
    package var dlrURL: NotificationTemplate?
    /// eccd's per-receiver secret for its delivery-report callback (`dlr_secret`): appended to the rendered
    /// `dlr-url` as `secret=…`; `/v1/notify/dlr` refuses a report without it.
    package var dlrSecret: String?
    package var http: HTTPTransport

    package init(
        url: String, username: String, password: String, from: String? = nil, smsc: String? = nil,
        dlrMask: Int? = nil, dlrURL: NotificationTemplate? = nil, dlrSecret: String? = nil,
        http: HTTPTransport = HTTPTransport()
    ) {
        self.dlrSecret = dlrSecret
        self.url = url
        self.username = username
        self.password = password
        self.from = from
        self.smsc = smsc
        self.dlrMask = dlrMask
        self.dlrURL = dlrURL
        self.http = http
    }

    /// The request URL for one part.
    package func requestURL(_ part: SMSPart) -> String {
        var q: [(String, String)] = [("username", username), ("password", password)]
        if let from { q.append(("from", from)) }
        q += [("to", part.to), ("text", part.text), ("charset", "UTF-8")]
        if SMSText.coding(part.text) == .ucs2 { q.append(("coding", "2")) }
        if let dlrMask { q.append(("dlr-mask", String(dlrMask))) }
        if let dlrURL {
            var callback = dlrURL.render(part.context)
            if let dlrSecret { callback += (callback.contains("?") ? "&" : "?") + "secret=" + dlrSecret }
            q.append(("dlr-url", callback))
        }
        if let smsc { q.append(("smsc", smsc)) }
        let query = q.map { "\($0.0)=\(URLEscaping.escape($0.1))" }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + query
    }

    package func send(_ part: SMSPart) -> DeliveryResult {
        HTTPTransport.classify(http.request(method: "GET", url: requestURL(part)), what: "Kannel")
    }
}

/// A commercial SMS API over HTTP: method, URL, headers and body are templates over ``SMSPart/context``.
/// A response is a success when its status is in `success.statuses` and the body passes the optional
/// `body_contains` / `body_matches` checks; a 2xx that fails them is permanent (the gateway rejected the
/// message), any other status is classified as for every HTTP service.
package struct HTTPSMSGateway: Sendable {
    /// What counts as accepted.
    package struct SuccessRule: Sendable {
        package var statuses: [Int]
        package var bodyContains: String?
        /// A regular expression that must match somewhere in the body: the gateway's answer is outside input,
        /// so it runs on RE2 (linear time, the syntax of rules' regexes), compiled once at load.
        package var bodyMatches: Pattern?

        package init(statuses: [Int] = [200, 201, 202, 204], bodyContains: String? = nil, bodyMatches: Pattern? = nil) {
            self.statuses = statuses
            self.bodyContains = bodyContains
            self.bodyMatches = bodyMatches
        }

        /// Nil when `body` passes, else why not.
        package func failure(status: Int, body: String) -> String? {
            if !statuses.contains(status) { return "status \(status) is not one of \(statuses)" }
            if let c = bodyContains, !body.contains(c) { return "the body does not contain '\(c)'" }
            if let pattern = bodyMatches, !pattern.matches(body) {
                return "the body does not match /\(pattern.source)/"
            }
            return nil
        }
    }

    package var method: String
    /// URL template (values percent-encoded).
    package var url: NotificationTemplate
    /// Header name and value template (values not escaped).
    package var headers: [(name: String, value: NotificationTemplate)]
    /// Body template (values escaped for the body's Content-Type: JSON, form or none); nil = no body.
    package var body: NotificationTemplate?
    package var success: SuccessRule
    package var http: HTTPTransport

    package init(
        method: String = "POST", url: NotificationTemplate, headers: [(name: String, value: NotificationTemplate)] = [],
        body: NotificationTemplate? = nil, success: SuccessRule = SuccessRule(), http: HTTPTransport = HTTPTransport()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.success = success
        self.http = http
    }

    /// The escaping a body template needs for its request's `Content-Type`.
    package static func bodyEscaping(contentType: String?) -> NotificationTemplate.Escaping {
        let t = (contentType ?? "").lowercased()
        if t.contains("json") { return .json }
        // With no Content-Type libcurl sends a body as a form; values are escaped for one (an alarm summary
        // with '&to=' in it must not add a recipient).
        if t.contains("x-www-form-urlencoded") || t.isEmpty { return .url }
        return .text
    }

    package func send(_ part: SMSPart) -> DeliveryResult {
        let ctx = part.context
        let target = url.render(ctx)
        // One line per header whatever the alarm's text holds (no header injection through CR/LF).
        let hs = headers.map { (name: $0.name, value: MIME.singleLine($0.value.render(ctx))) }
        let result = http.request(
            method: method, url: target, headers: hs, body: body.map { Array($0.render(ctx).utf8) })
        guard case .success(let r) = result else { return HTTPTransport.classify(result, what: "SMS gateway") }
        let text = r.text
        guard let why = success.failure(status: r.status, body: text) else {
            return .delivered(detail: "SMS gateway \(r.status): \(HTTPTransport.excerpt(text))")
        }
        if (200..<300).contains(r.status) {
            return .permanent("SMS gateway rejected the message (\(why)): \(HTTPTransport.excerpt(text))")
        }
        return HTTPTransport.classify(status: r.status, body: text, what: "SMS gateway")
    }
}
