/// Bounds on what one event from outside may hold, so no sender can make eccd spend unbounded memory or
/// time on it. Every collector decodes with these; each refusal is counted by ``InputRefusal``.
package struct InputLimits: Sendable, Equatable {
    /// Deepest JSON nesting accepted anywhere in an event (only ignored values such as `receivedAt` nest).
    package var maxDepth = 32
    /// Most attributes one event may carry.
    package var maxAttributes = 256
    /// Longest string (a field, an attribute name or value) in bytes.
    package var maxStringBytes = 65_536

    /// A source events from outside may not claim (nil: any): eccd's own, so no sender can forge or clear
    /// its self-alarms. Set for every collector (``outside``), not for eccd's own reading of its store.
    package var reservedSource: String?

    /// The defaults.
    package init() {}

    /// Limits with the given bounds.
    package init(maxDepth: Int, maxAttributes: Int, maxStringBytes: Int) {
        self.maxDepth = maxDepth
        self.maxAttributes = maxAttributes
        self.maxStringBytes = maxStringBytes
    }

    /// The defaults, as a value.
    package static let standard = InputLimits()

    /// The defaults for events from outside: ``standard``, and eccd's own source reserved.
    package static let outside: InputLimits = {
        var l = InputLimits()
        l.reservedSource = Event.eccdSource
        return l
    }()
}

/// Why input from outside was refused: the `reason` label of `ecc_input_refused_total`.
package enum InputRefusal: String, Sendable, CaseIterable {
    /// Not well-formed JSON, or a field of the wrong kind (unknown field, bad severity, missing source).
    case syntax
    /// A time that is not a real date, or outside what eccd accepts (1970–2262).
    case timeRange = "time_range"
    /// JSON nested deeper than ``InputLimits/maxDepth``.
    case depth = "json_depth"
    /// More attributes than ``InputLimits/maxAttributes``.
    case attributes
    /// A string longer than ``InputLimits/maxStringBytes``.
    case stringLength = "string_length"
    /// A line longer than the collector's line limit.
    case lineLength = "line_length"
    /// A request body over the HTTP limit.
    case bodySize = "body_size"
    /// A connection refused because the collector holds as many as it may.
    case connections
    /// A connection closed after sending nothing for the idle timeout (or a header not finished in time).
    case idleTimeout = "idle_timeout"
    /// A stream subscriber refused because as many are connected as allowed.
    case subscribers
    /// A stream subscriber dropped because it did not keep up.
    case slowSubscriber = "slow_subscriber"
    /// `accept` failed (out of file descriptors): the listener backs off instead of spinning.
    case acceptFailed = "accept_failed"
    /// Not allowed by the sender's credentials: an SNMP community not listed, v1/v2c under `v3_only`,
    /// a USM failure (unknown user, wrong digest, not in time); a TCP connection without a good token.
    case credentials
    /// A TLS handshake that failed: plain text to a TLS port, a client that refused eccd's certificate, a
    /// protocol or cipher mismatch.
    case tls
    /// An event claiming eccd's own source (``Event/eccdSource``), which only eccd itself may use.
    case reservedSource = "reserved_source"
    /// A sender whose address the collector's allow list does not hold (`syslog.allow`).
    case notAllowed = "not_allowed"
    /// A datagram past its sender address's rate (`syslog.per_source_rate`).
    case rate
    /// A line a parser's expression matched but that it could not make an event of (a time its formats do
    /// not read, a severity that is none of eccd's).
    case parserRefused = "parser_refused"
}

extension String {
    /// The string cut to at most `cap` UTF-8 bytes, at a character boundary (what a limit on outside text
    /// keeps).
    package func clipped(toBytes cap: Int) -> String {
        guard utf8.count > cap else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: cap)
        while end > utf8.startIndex, end.samePosition(in: unicodeScalars) == nil { utf8.formIndex(before: &end) }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }
}
