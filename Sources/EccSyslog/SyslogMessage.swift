import EccCore

/// One syslog message as eccd read it: RFC 5424, or RFC 3164 ("BSD") with the variants devices really send
/// (sequence numbers and `*` clock markers from Cisco, years and `%%` tags from Huawei, fractions and zones,
/// RFC 3339 times in a BSD header, no hostname). A message eccd cannot fully read keeps its text and says
/// why (``problem``): it still becomes an event, counted as malformed.
package struct SyslogMessage: Sendable, Equatable {
    /// Which header the message had.
    package enum Format: String, Sendable, Hashable, CaseIterable {
        case rfc5424
        case rfc3164
        /// No header eccd recognises after the priority (or no priority): all of it is the message.
        case unknown
        /// Not received but read from the systemd journal, whose entries carry the same fields by name.
        case journal
    }

    /// Why a message is malformed (the `reason` of `ecc_syslog_malformed_total`).
    package enum Problem: String, Sendable, Hashable, CaseIterable {
        /// Nothing but line ends.
        case empty
        /// No `<PRI>` at the start: read as `user.notice`, RFC 3164's default.
        case noPriority = "no_priority"
        /// A `<PRI>` that is not 0–191 or not closed.
        case badPriority = "bad_priority"
        /// An RFC 5424 timestamp that is not RFC 3339 (the event takes the time it arrived).
        case badTimestamp = "bad_timestamp"
        /// An RFC 5424 header that ends before its structured data.
        case truncatedHeader = "truncated_header"
        /// RFC 5424 structured data that does not parse: the rest of the message is kept as text.
        case badStructuredData = "bad_structured_data"
        /// An RFC 5424 version other than 1.
        case badVersion = "bad_version"
    }

    /// One parameter of an RFC 5424 structured-data element.
    package struct Parameter: Sendable, Hashable {
        package var name: String
        package var value: String

        package init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// An RFC 5424 structured-data element: `[origin ip="192.0.2.1"]`.
    package struct Element: Sendable, Hashable {
        package var id: String
        package var parameters: [Parameter]

        package init(id: String, parameters: [Parameter]) {
            self.id = id
            self.parameters = parameters
        }
    }

    package var format: Format
    /// 0 (`kern`) to 23 (`local7`).
    package var facility: Int
    /// 0 (`emerg`) to 7 (`debug`).
    package var severity: Int
    /// The header's time; nil when it has none (or one eccd cannot read).
    package var time: EventTime?
    package var hostname: String?
    /// RFC 5424's APP-NAME, RFC 3164's TAG (`sshd`, Cisco's `%LINK-3-UPDOWN`).
    package var appName: String?
    package var procID: String?
    package var msgID: String?
    /// A sequence number before the header (Cisco's `123: `).
    package var sequence: String?
    package var structuredData: [Element]
    /// The text after the header (without a UTF-8 BOM; bytes that are not UTF-8 replaced by U+FFFD). For a
    /// message with an unknown format, all of it.
    package var message: String
    package var problem: Problem?

    package init(
        format: Format, facility: Int, severity: Int, time: EventTime? = nil, hostname: String? = nil,
        appName: String? = nil, procID: String? = nil, msgID: String? = nil, sequence: String? = nil,
        structuredData: [Element] = [], message: String, problem: Problem? = nil
    ) {
        self.format = format
        self.facility = facility
        self.severity = severity
        self.time = time
        self.hostname = hostname
        self.appName = appName
        self.procID = procID
        self.msgID = msgID
        self.sequence = sequence
        self.structuredData = structuredData
        self.message = message
        self.problem = problem
    }

    /// RFC 5424's facility names, by number (RFC 3164's are the same).
    package static let facilityNames = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
        "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ]

    /// ECC's severity for a syslog severity: emergency, alert and critical are critical, error is major,
    /// warning is warning, notice, informational and debug are info (the map `rules/enrich.yaml` applies to
    /// events that carry only `syslog_severity`).
    package static func severity(_ syslog: Int) -> Severity {
        switch syslog {
        case ...2: .critical
        case 3: .major
        case 4: .warning
        default: .info
        }
    }
}

extension SyslogMessage {
    /// The event of a message from `sender` that arrived at `receivedAt`: source `syslog`, type `syslog`, the
    /// header's hostname (else the sender's address) and time (else the arrival), ECC's severity for its own,
    /// the message as summary; the header's fields and the structured data as attributes (`facility`,
    /// `syslog_severity`, `app`, `procid`, `msgid`, `sequence`, `sender`, `<sd-id>.<name>`), and for a
    /// malformed message `syslog_problem` and the whole text as `raw`. At most `limits.maxAttributes`
    /// attributes and `limits.maxStringBytes` bytes a string.
    package func event(sender: String, receivedAt: EventTime, raw: String?, limits: InputLimits = .outside) -> Event {
        let cap = limits.maxStringBytes
        var attributes = Attributes()
        func add(_ key: String, _ value: AttributeValue) {
            guard attributes.count < limits.maxAttributes else { return }
            attributes[Self.clip(key, cap)] = value
        }
        func text(_ key: String, _ value: String?) {
            if let value { add(key, .string(Self.clip(value, cap))) }
        }
        text("facility", Self.facilityNames[min(max(facility, 0), 23)])
        add("syslog_severity", .int(Int64(severity)))
        text("sender", sender)
        text("syslog_format", format.rawValue)
        if let problem {
            text("syslog_problem", problem.rawValue)
            text("raw", raw)
        }
        text("app", appName)
        text("procid", procID)
        text("msgid", msgID)
        text("sequence", sequence)
        for element in structuredData {
            for p in element.parameters { text(element.id + "." + p.name, p.value) }
        }
        return Event(
            time: time ?? receivedAt, receivedAt: receivedAt, source: "syslog",
            host: Self.clip(hostname ?? sender, cap),
            type: "syslog", severity: Self.severity(severity), summary: Self.clip(message, cap), attributes: attributes)
    }

    /// `s` cut to at most `cap` bytes, at a character boundary.
    static func clip(_ s: String, _ cap: Int) -> String { s.clipped(toBytes: cap) }
}
