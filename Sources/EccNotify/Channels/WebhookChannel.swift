import CEccCrypto
import EccCore
import Foundation

/// A JSON POST per message: ECC's own body or an Alertmanager-compatible (webhook v4) one, optionally
/// signed with HMAC-SHA256.
///
/// Signature: with a `secret`, each request carries `X-ECC-Timestamp: T` (unix seconds) and
/// `X-ECC-Signature: sha256=HEX`, HEX being the lowercase hex HMAC-SHA256 keyed with the secret over the
/// bytes `T` `.` BODY (the timestamp, a dot, the raw body as sent). A receiver recomputes it over the raw
/// body it read, compares in constant time, and refuses timestamps more than a few minutes from its clock
/// (against replays); `Idempotency-Key` (the message id, the same on every retry) lets it drop duplicates.
/// For example: `printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`.
package struct WebhookChannel: Channel {
    /// The body's shape.
    package enum Format: String, Sendable, Hashable, CaseIterable {
        /// ECC's JSON: id, kind, receiver, route, group, alarms, held, created_at.
        case ecc
        /// Alertmanager's webhook payload, version 4.
        case alertmanager
    }

    package var url: String
    package var format: Format
    package var secret: [UInt8]?
    /// Extra request headers (name, value), sent after ECC's own.
    package var headers: [(name: String, value: String)]
    /// `externalURL` of Alertmanager bodies and the base of `generatorURL` (`…/v1/alarms/ID/why`).
    package var externalURL: String
    package var http: HTTPTransport

    package init(
        url: String, format: Format = .ecc, secret: [UInt8]? = nil, headers: [(name: String, value: String)] = [],
        externalURL: String = "", http: HTTPTransport = HTTPTransport()
    ) {
        self.url = url
        self.format = format
        self.secret = secret
        self.headers = headers
        self.externalURL = externalURL
        self.http = http
    }

    package var kind: String { "webhook" }

    package func deliver(_ message: OutgoingMessage) -> DeliveryResult {
        let body = self.body(message)
        let request = requestHeaders(message, body: body, timestamp: Int64(Date().timeIntervalSince1970))
        return HTTPTransport.classify(
            http.request(method: "POST", url: url, headers: request, body: body),
            what: "webhook \(HTTPTransport.redacted(url)):")
    }

    /// The request headers for `body` signed at `timestamp`.
    package func requestHeaders(_ message: OutgoingMessage, body: [UInt8], timestamp: Int64)
        -> [(name: String, value: String)]
    {
        var h: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("Idempotency-Key", message.id),
            ("X-ECC-Notification", message.id),
        ]
        if let secret {
            h.append(("X-ECC-Timestamp", String(timestamp)))
            h.append(("X-ECC-Signature", "sha256=" + Self.signature(secret: secret, timestamp: timestamp, body: body)))
        }
        return h + headers
    }

    /// Lowercase hex HMAC-SHA256(secret, "TIMESTAMP." + body); empty if libcrypto fails.
    package static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        let data = Array("\(timestamp).".utf8) + body
        var out = [UInt8](repeating: 0, count: 32)
        let rc = secret.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    ecc_hmac(Int32(ECC_SHA256.rawValue), k.baseAddress, k.count, d.baseAddress, d.count, o.baseAddress)
                }
            }
        }
        guard rc == 0 else { return "" }
        return out.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The JSON body in the configured format.
    package func body(_ message: OutgoingMessage) -> [UInt8] {
        switch format {
        case .ecc: Self.eccBody(message)
        case .alertmanager: alertmanagerBody(message)
        }
    }

    /// ECC's body: keys in a fixed order, times RFC 3339 UTC.
    package static func eccBody(_ message: OutgoingMessage) -> [UInt8] {
        let c = message.content
        var w = JSONWriter()
        w.beginObject()
        w.field("id", message.id)
        w.field("kind", c.kind.rawValue)
        w.field("receiver", c.receiver)
        w.field("route", c.route)
        w.key("group")
        object(&w, c.group)
        w.key("escalation_step")
        if let s = c.escalationStep { w.value(Int64(s)) } else { w.null() }
        w.key("alarms")
        w.beginArray()
        for a in c.alarms {
            w.beginObject()
            w.field("id", Int64(truncatingIfNeeded: a.id))
            w.field("rule", a.rule)
            w.field("key", a.key)
            w.field("state", a.state.rawValue)
            w.field("severity", a.severity.name)
            w.field("summary", a.summary)
            w.field("host", a.host)
            w.field("source", a.source)
            w.field("type", a.type)
            w.field("first_seen", RFC3339.format(a.firstSeen))
            w.field("last_seen", RFC3339.format(a.lastSeen))
            w.field("count", a.count)
            w.key("cleared_at")
            if let t = a.clearedAt { w.value(RFC3339.format(t)) } else { w.null() }
            w.key("incident")
            if let i = a.incident { w.value(i) } else { w.null() }
            w.key("priority")
            if let p = a.priority { w.value(Int64(p)) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("held")
        w.beginArray()
        for h in c.held {
            w.beginObject()
            w.field("id", h.id)
            w.field("kind", h.kind.rawValue)
            w.field("route", h.route)
            w.field("line", h.line)
            w.field("created_at", RFC3339.format(h.createdAt))
            w.endObject()
        }
        w.endArray()
        w.field("created_at", RFC3339.format(c.createdAt))
        w.endObject()
        return w.bytes
    }

    /// Alertmanager's webhook v4 body. Labels: `alertname` (the rule), `severity`, `host`, `key`, `source`,
    /// `type`, `incident`, and the group's `group_by` values; annotations: `summary`, `count`,
    /// `first_seen`, `last_seen`, `priority`. Maps are written with sorted keys, as Alertmanager does.
    package func alertmanagerBody(_ message: OutgoingMessage) -> [UInt8] {
        let c = message.content
        let alerts = c.alarms.map { a -> (labels: [String: String], annotations: [String: String], a: AlarmInfo) in
            var labels = c.group
            labels["alertname"] = a.rule
            labels["severity"] = a.severity.name
            for (k, v) in [("host", a.host), ("key", a.key), ("source", a.source), ("type", a.type)] where !v.isEmpty {
                labels[k] = v
            }
            if let i = a.incident { labels["incident"] = String(i) }
            var ann = ["summary": a.summary, "count": String(a.count), "first_seen": RFC3339.format(a.firstSeen)]
            ann["last_seen"] = RFC3339.format(a.lastSeen)
            if let p = a.priority { ann["priority"] = "P\(p)" }
            return (labels, ann, a)
        }
        let resolved = c.kind == .resolved || (!c.alarms.isEmpty && c.alarms.allSatisfy { $0.state == .cleared })
        var w = JSONWriter()
        w.beginObject()
        w.field("version", "4")
        let groupKey =
            "{}/\(c.route):{"
            + c.group.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
            .joined(separator: ", ") + "}"
        w.field("groupKey", groupKey)
        w.field("truncatedAlerts", 0)
        w.field("status", resolved ? "resolved" : "firing")
        w.field("receiver", c.receiver)
        w.key("groupLabels")
        Self.object(&w, c.group)
        w.key("commonLabels")
        Self.object(&w, Self.common(alerts.map(\.labels)))
        w.key("commonAnnotations")
        Self.object(&w, Self.common(alerts.map(\.annotations)))
        w.field("externalURL", externalURL)
        w.key("alerts")
        w.beginArray()
        for alert in alerts {
            let cleared = alert.a.state == .cleared || (c.kind == .resolved && alert.a.clearedAt != nil)
            w.beginObject()
            w.field("status", cleared ? "resolved" : "firing")
            w.key("labels")
            Self.object(&w, alert.labels)
            w.key("annotations")
            Self.object(&w, alert.annotations)
            w.field("startsAt", RFC3339.format(alert.a.firstSeen))
            w.field("endsAt", cleared ? RFC3339.format(alert.a.clearedAt ?? alert.a.lastSeen) : "0001-01-01T00:00:00Z")
            w.field("generatorURL", externalURL.isEmpty ? "" : "\(externalURL)/v1/alarms/\(alert.a.id)/why")
            w.field("fingerprint", Self.fingerprint(alert.labels))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// 16 hex digits over the sorted labels (FNV-1a 64), stable for an alarm's label set.
    static func fingerprint(_ labels: [String: String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            for b in k.utf8 + [0xff] + v.utf8 + [0xfe] { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The pairs every map has with the same value.
    static func common(_ maps: [[String: String]]) -> [String: String] {
        guard var out = maps.first else { return [:] }
        for m in maps.dropFirst() { out = out.filter { m[$0.key] == $0.value } }
        return out
    }

    static func object(_ w: inout JSONWriter, _ map: [String: String]) {
        w.beginObject()
        for (k, v) in map.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
        w.endObject()
    }
}
