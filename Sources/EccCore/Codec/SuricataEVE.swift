/// Suricata's EVE JSON output (`eve.json`, one object a line), read into events: an `alert` record becomes
/// an intrusion-detection event; the other record types (flow, dns, http, tls, stats, …) are not alerts and
/// are left to the caller to count.
///
/// The fields read are the ones Suricata documents for EVE alerts (docs.suricata.io, "EVE JSON Format"):
/// `timestamp` (`2026-12-07T11:00:00.123456+0000`), `event_type`, `src_ip`, `src_port`, `dest_ip`,
/// `dest_port`, `proto`, `in_iface`, `flow_id`, `app_proto`, `host` (the sensor's name when configured),
/// and `alert`: `action`, `gid`, `signature_id`, `rev`, `signature`, `category`, `severity` (1 is the
/// highest). Everything else is skipped, nesting bounded as for events.
package enum SuricataEVE {
    /// What became of one record.
    package enum Outcome: Sendable {
        case alert(Event)
        /// A valid record of another type (its `event_type`).
        case other(String)
        /// Not an EVE record: bad JSON, or an alert without its signature; why, for the log.
        case refused(String, InputRefusal)
    }

    /// ECC's severity for Suricata's: 1 is critical, 2 major, 3 minor, anything else warning.
    package static func severity(_ suricata: Int64) -> Severity {
        switch suricata {
        case 1: .critical
        case 2: .major
        case 3: .minor
        default: .warning
        }
    }

    static let timeFormat: TimeFormat = {
        do { return try TimeFormat("%Y-%m-%dT%H:%M:%S.%f%z") } catch { preconditionFailure("\(error)") }
    }()

    /// Reads one record. `host` is the event's host when the record names no sensor; the event's time is the
    /// record's `timestamp`, else `receivedAt`.
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, receivedAt: EventTime, host: String, limits: InputLimits = .outside
    ) -> Outcome {
        var s = JSONScanner(bytes, limits: limits)
        var fields: [String: JSONScanner.Scalar] = [:]
        var alert: [String: JSONScanner.Scalar] = [:]
        do throws(JSONScanner.Failure) {
            try readObject(&s, depth: 1) { key, s throws(JSONScanner.Failure) in
                if key == "alert" {
                    try readObject(&s, depth: 2) { k, s throws(JSONScanner.Failure) in
                        if alertKeys.contains(k) { alert[k] = try s.readScalar() } else { try s.skipValue(depth: 3) }
                    }
                } else if recordKeys.contains(key) {
                    fields[key] = try s.readScalar()
                } else {
                    try s.skipValue(depth: 2)
                }
            }
            s.skipWhitespace()
            guard s.atEnd else { throw s.fail("text after the record") }
        } catch {
            return .refused("\(error.message) at byte \(error.offset)", error.reason)
        }
        guard case .string(let type) = fields["event_type"] else {
            return .refused("no event_type: not an EVE record", .syntax)
        }
        guard type == "alert" else { return .other(type) }
        guard case .string(let signature) = alert["signature"] else {
            return .refused("an alert without alert.signature", .syntax)
        }
        var a = Attributes()
        func put(_ name: String, _ value: JSONScanner.Scalar?) {
            switch value {
            case .string(let v): a[name] = .string(v)
            case .int(let v): a[name] = .int(v)
            case .double(let v): a[name] = .double(v)
            case .bool(let v): a[name] = .bool(v)
            case .null, nil: break
            }
        }
        put("signature", .string(signature))
        put("signature_id", alert["signature_id"])
        put("gid", alert["gid"])
        put("rev", alert["rev"])
        put("category", alert["category"])
        put("action", alert["action"])
        let level: Int64 = if case .int(let n) = alert["severity"] { n } else { 3 }
        put("ids_severity", .int(level))
        put("src", fields["src_ip"])
        put("src_port", fields["src_port"])
        put("dst", fields["dest_ip"])
        put("dst_port", fields["dest_port"])
        put("proto", fields["proto"])
        put("in_iface", fields["in_iface"])
        put("flow_id", fields["flow_id"])
        put("app_proto", fields["app_proto"])
        var time = receivedAt
        if case .string(let t) = fields["timestamp"] {
            guard let parsed = timeFormat.parse(t, reference: receivedAt) else {
                return .refused("timestamp '\(t)' is not Suricata's (2026-12-07T11:00:00.123456+0000)", .timeRange)
            }
            time = parsed
        }
        var sensor = host
        if case .string(let h) = fields["host"], !h.isEmpty { sensor = h }
        func text(_ v: JSONScanner.Scalar?) -> String {
            switch v {
            case .string(let s): s
            case .int(let n): String(n)
            default: "?"
            }
        }
        let ports = fields["src_port"] == nil ? "" : ":\(text(fields["src_port"]))"
        let dstPorts = fields["dest_port"] == nil ? "" : ":\(text(fields["dest_port"]))"
        return .alert(
            Event(
                time: time, receivedAt: receivedAt, source: "suricata", host: sensor, type: "ids_alert",
                severity: severity(level),
                summary: "\(signature) (\(text(fields["src_ip"]))\(ports) → \(text(fields["dest_ip"]))\(dstPorts))"
                    .clipped(toBytes: limits.maxStringBytes),
                attributes: a))
    }

    static let recordKeys: Set<String> = [
        "timestamp", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "in_iface", "flow_id",
        "app_proto", "host",
    ]
    static let alertKeys: Set<String> = ["action", "gid", "signature_id", "rev", "signature", "category", "severity"]

    /// Reads an object, handing each key to `field`, which must read its value.
    private static func readObject(
        _ s: inout JSONScanner, depth: Int,
        _ field: (String, inout JSONScanner) throws(JSONScanner.Failure) -> Void
    ) throws(JSONScanner.Failure) {
        guard depth < s.maxDepth else {
            throw JSONScanner.Failure(
                message: "nested deeper than the limit of \(s.maxDepth)", offset: s.index, reason: .depth)
        }
        try s.expect(UInt8(ascii: "{"), "'{'")
        if s.consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try s.readString()
            try s.expect(UInt8(ascii: ":"), "':'")
            try field(key, &s)
        } while s.consume(UInt8(ascii: ","))
        try s.expect(UInt8(ascii: "}"), "',' or '}'")
    }
}
