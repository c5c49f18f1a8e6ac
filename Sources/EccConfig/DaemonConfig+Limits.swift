import EccCollectors
import EccCore
import EccHTTP
import EccIncidents
import EccRules
import EccYAML

/// What strangers may make eccd hold: the bounds of the collectors and the HTTP API. Every bound has a
/// default here, a key in `docs/configuration.md`, a reason in `ecc_input_refused_total` and a test.
package struct EdgeLimits: Sendable, Equatable {
    /// What one event may hold (every collector): `input.*`.
    package var input = InputLimits.outside
    /// Most JSON-lines TCP connections at once: `tcp.max_connections`.
    package var tcpMaxConnections = 1024
    /// A TCP connection silent this long is closed: `tcp.idle_timeout`.
    package var tcpIdleTimeout: Duration = .seconds(300)
    /// With tokens, a TCP connection not authenticated this long after it opened is closed:
    /// `tcp.auth_timeout`.
    package var tcpAuthTimeout: Duration = .seconds(10)
    /// Most HTTP connections at once: `http.max_connections`.
    package var httpMaxConnections = 1024
    /// An HTTP connection with no request in progress (or a request head not finished) this long is
    /// closed: `http.idle_timeout`.
    package var httpIdleTimeout: Duration = .seconds(60)
    /// A request body must arrive within this: `http.body_timeout`.
    package var httpBodyTimeout: Duration = .seconds(30)
    /// Most live-stream (SSE) subscribers at once: `http.stream.max_subscribers`.
    package var streamMaxSubscribers = 64
    /// Alarm changes queued for one subscriber; one that falls further behind is dropped:
    /// `http.stream.backlog`.
    package var streamBacklog = 1024

    package init() {}

    /// The TCP collector's limits.
    package func tcp(maxLineBytes: Int) -> JSONLinesServer.Limits {
        var l = JSONLinesServer.Limits()
        l.maxLineBytes = maxLineBytes
        l.maxConnections = tcpMaxConnections
        l.idleTimeout = tcpIdleTimeout
        l.authTimeout = tcpAuthTimeout
        l.input = input
        return l
    }
}

extension DaemonConfig {
    /// Why the JSON-lines TCP collector may not start as configured: off loopback it needs TLS (`tcp.tls`)
    /// and tokens (`http.tokens_file`), or anyone who can reach it could inject events. nil when it may.
    package var tcpListenProblem: String? {
        guard tcp.enabled, !ListenAddress.isLoopback(tcp.host) else { return nil }
        let missing = [
            tcp.tls == nil ? "tcp.tls (cert_file, key_file)" : nil,
            http.auth.tokensFile == nil ? "http.tokens_file (eccctl token create)" : nil,
        ].compactMap { $0 }
        guard !missing.isEmpty else { return nil }
        return "tcp.listen \(tcp.host):\(tcp.port) is off loopback, where the JSON-lines collector needs TLS and a "
            + "token on every connection, but \(missing.joined(separator: " and ")) "
            + (missing.count == 1 ? "is" : "are") + " not set: anyone who can reach it could inject events. "
            + "Set them, or listen on 127.0.0.1"
    }

    /// The `self_monitoring:` section.
    static func selfMonitoring(_ v: YAMLValue) throws(ConfigError) -> SelfMonitoring {
        let m = try v.mapping("self_monitoring", known: ["collector_silent_after", "clock_jump"])
        var out = SelfMonitoring()
        let second: Int64 = 1_000_000_000
        if let t = m["collector_silent_after"] {
            if try t.duration("self_monitoring.collector_silent_after") == 0 {
                out.collectorSilentAfter = nil
            } else {
                out.collectorSilentAfter = try duration(
                    t, "self_monitoring.collector_silent_after", min: 60 * second, max: 7 * 86_400 * second)
            }
        }
        if let t = m["clock_jump"] {
            out.clockJump = try duration(t, "self_monitoring.clock_jump", min: second, max: 3600 * second)
        }
        return out
    }

    /// The `input:` section.
    static func inputLimits(_ v: YAMLValue) throws(ConfigError) -> InputLimits {
        let m = try v.mapping("input", known: ["json_depth", "attributes", "string_bytes"])
        var out = InputLimits.outside
        if let n = m["json_depth"] { out.maxDepth = try within(n, "input.json_depth", 2...256) }
        if let n = m["attributes"] { out.maxAttributes = try within(n, "input.attributes", 1...4096) }
        if let n = m["string_bytes"] { out.maxStringBytes = try within(n, "input.string_bytes", 16...(16 << 20)) }
        return out
    }

    /// A duration in `range` (nanoseconds), as a `Duration`.
    static func duration(_ v: YAMLValue, _ what: String, min: Int64, max: Int64) throws(ConfigError) -> Duration {
        let ns = try v.duration(what)
        guard ns >= min, ns <= max else {
            throw v.error("\(what) must be from \(Durations.format(min)) to \(Durations.format(max))")
        }
        return .nanoseconds(ns)
    }

    /// The limit keys of the `http:` section.
    static func httpLimits(_ m: YAMLMapping, into c: inout DaemonConfig) throws(ConfigError) {
        let second: Int64 = 1_000_000_000
        if let n = m["max_connections"] {
            c.limits.httpMaxConnections = try within(n, "http.max_connections", 1...100_000)
        }
        if let t = m["idle_timeout"] {
            c.limits.httpIdleTimeout = try duration(t, "http.idle_timeout", min: second, max: 86_400 * second)
        }
        if let t = m["body_timeout"] {
            c.limits.httpBodyTimeout = try duration(t, "http.body_timeout", min: second, max: 3600 * second)
        }
        if let s = m["stream"] {
            let sm = try s.mapping("http.stream", known: ["max_subscribers", "backlog"])
            if let n = sm["max_subscribers"] {
                c.limits.streamMaxSubscribers = try within(n, "http.stream.max_subscribers", 0...10_000)
            }
            if let n = sm["backlog"] { c.limits.streamBacklog = try within(n, "http.stream.backlog", 16...100_000) }
        }
    }

    /// The limit keys of the `tcp:` section.
    static func tcpLimits(_ m: YAMLMapping, into c: inout DaemonConfig) throws(ConfigError) {
        if let n = m["max_connections"] {
            c.limits.tcpMaxConnections = try within(n, "tcp.max_connections", 1...100_000)
        }
        if let t = m["idle_timeout"] {
            let second: Int64 = 1_000_000_000
            c.limits.tcpIdleTimeout = try duration(t, "tcp.idle_timeout", min: second, max: 7 * 86_400 * second)
        }
        if let t = m["auth_timeout"] {
            let second: Int64 = 1_000_000_000
            c.limits.tcpAuthTimeout = try duration(t, "tcp.auth_timeout", min: second, max: 3600 * second)
        }
    }
}

/// What eccd watches in itself once a second (`self_monitoring:` in eccd.yaml), besides the store and the
/// outbox, which report their own trouble.
package struct SelfMonitoring: Sendable, Equatable {
    /// A collector that has received events and then none for this long is silent (nil: not watched):
    /// `self_monitoring.collector_silent_after`.
    package var collectorSilentAfter: Duration? = .seconds(900)
    /// The wall clock moving this much more or less than elapsed time between two looks is a jump:
    /// `self_monitoring.clock_jump`.
    package var clockJump: Duration = .seconds(5)
    /// Events dropped (bus full, kernel buffer overflow) raise `eventsDropped`; this long without a
    /// drop clears it.
    package var dropsClearAfter: Duration = .seconds(60)

    package init() {}
}
