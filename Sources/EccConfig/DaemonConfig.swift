import EccCollectors
import EccCore
import EccIncidents
import EccNotify
import EccRules
import EccSNMP
import EccStore
import EccYAML
import Foundation
import Logging

/// eccd's configuration: embedded defaults, overridden by a YAML file (`eccd --config FILE`).
///
/// Relative paths are relative to eccd's working directory. Every key is documented in
/// `docs/configuration.md`; unknown keys are errors with `file:line:column`.
package struct DaemonConfig: Sendable, Equatable {
    /// `database:`.
    package var database = DatabaseSection()
    /// Rule files and directories (`rules:`).
    package var rulePaths = ["./rules"]
    /// `http:` (its limits are in ``limits``).
    package var http = HTTPSection()
    /// `tcp:`, the JSON-lines collector (its limits are in ``limits``).
    package var tcp = TCPSection()
    /// `snmp:`, the SNMP notification receiver (UDP).
    package var snmp = SNMPSection()
    /// `syslog:`, the syslog receiver (UDP, TCP, TLS).
    package var syslog = SyslogSection()
    /// `files:`, the log files to follow (none by default).
    package var files: [FileSource] = []
    /// `journal:`, the systemd journal to follow (nil: not followed, the default).
    package var journal: JournalSource?
    /// `integrity:`, the files watched for changes (nil: none, the default).
    package var integrity: IntegritySettings?
    /// Bus slots (rounded up to a power of two): `bus.capacity`.
    package var busCapacity = 65_536
    /// `log.level`.
    package var logLevel = Logger.Level.info
    /// Incident SLA targets, reopen window, near-breach point, business hours.
    package var incidents = IncidentSettings()
    /// How long closed incidents, cleared alarms and the alarm change journal are kept.
    package var retention = RetentionPolicy(
        closedIncidents: 730 * 86_400_000_000_000, clearedAlarms: 180 * 86_400_000_000_000,
        alarmChanges: 90 * 86_400_000_000_000, archiveDirectory: nil, notifications: 90 * 86_400_000_000_000)
    /// How often retention runs: `retention.interval`.
    package var retentionInterval: Duration = .seconds(3600)
    /// Receivers and retries (nil: no `notify:` section, notifications off).
    package var notify: NotifyConfig?
    /// Bounds on what strangers may make eccd hold (`input:`, and limit keys of `http:` and `tcp:`).
    package var limits = EdgeLimits()
    /// What eccd watches in itself: `self_monitoring:`.
    package var selfMonitoring = SelfMonitoring()

    /// The `database:` section.
    package struct DatabaseSection: Sendable, Equatable {
        /// SQLite database file.
        package var path = "./var/ecc.db"
        /// How SQLite syncs: `normal` (survives kill -9) or `full` (survives power loss too).
        package var synchronous = AlarmStore.Synchronous.normal
        /// Largest database size in MiB (nil: as large as the disk allows). Past it, writes fail as on a
        /// full disk: eccd raises its self-alarm, queues within its bounds and retries.
        package var maxSizeMB: Int?
        /// How far the engine may run ahead of the store: `max_uncommitted`, `max_uncommitted_age`.
        package var lag = StoreLag()

        package init() {}
    }

    /// The `http:` section: the API's address, body size and access (tokens, origins, TLS).
    package struct HTTPSection: Sendable, Equatable {
        package var host = "127.0.0.1"
        package var port = 8470
        /// Largest `POST /v1/events` body in bytes.
        package var maxBodyBytes = 64 << 20
        /// API tokens, allowed browser origins and TLS (DaemonConfig+Auth.swift).
        package var auth = HTTPAuthSettings()

        package init() {}
    }

    /// The `tcp:` section: the JSON-lines collector; `enabled: false` turns it off.
    package struct TCPSection: Sendable, Equatable {
        package var enabled = true
        package var host = "127.0.0.1"
        package var port = 8471
        /// The collector's TLS (`tcp.tls`); its tokens are the API's (`http.tokens_file`).
        package var tls: TLSFiles?
        /// Longest accepted JSON line in bytes.
        package var maxLineBytes = 1 << 20

        package init() {}
    }

    /// The `snmp:` section: the notification receiver (UDP); `enabled: false` turns it off.
    package struct SNMPSection: Sendable, Equatable {
        package var enabled = true
        package var host = "127.0.0.1"
        /// 1162 for a demo (unprivileged); 162 under systemd with CAP_NET_BIND_SERVICE.
        package var port = 1162
        /// Socket receive buffer asked of the kernel (bursts wait there while eccd reads).
        package var receiveBuffer = 8 << 20
        /// v1/v2c communities accepted (nil: none decided — any, allowed on loopback only).
        package var communities: [String]?
        /// `communities: any`, `v3_only` and the SNMP limits (DaemonConfig+SNMP.swift).
        package var policy = SNMPPolicy()
        /// SNMPv3 users accepted (USM); none: v3 messages are dropped as from unknown users.
        package var users: [USMUser] = []
        /// eccd's SNMP engine ID (nil: generated once and kept in ``engineFile``).
        package var engineID: [UInt8]?
        /// Where the engine ID and boot counter are kept (nil: `snmp-engine` beside the database).
        package var engineFile: String?
        /// Directories of MIB modules to load for names (none: the built-in names of the generic traps).
        package var mibDirectories: [String] = []

        package init() {}
    }

    /// The `syslog:` section: the syslog receiver over UDP (RFC 5424 and RFC 3164); `enabled: false` turns it
    /// off (DaemonConfig+Syslog.swift).
    package struct SyslogSection: Sendable, Equatable {
        package var enabled = true
        /// `listen: off`: no UDP listener (TCP or TLS only).
        package var udp = true
        package var host = "127.0.0.1"
        /// 1514 for a demo (unprivileged); 514 under systemd with CAP_NET_BIND_SERVICE.
        package var port = 1514
        /// `tcp_listen`: syslog over TCP (RFC 6587); nil: none.
        package var tcp: ListenEndpoint?
        /// `tls`: syslog over TLS (RFC 5425), optionally with client certificates; nil: none.
        package var tls: TLSListener?
        /// Most TCP and TLS connections open at once, each listener (`max_connections`).
        package var maxConnections = 1024
        /// A TCP or TLS connection silent this long is closed (`idle_timeout`).
        package var idleTimeout: Duration = .seconds(600)
        /// Socket receive buffer asked of the kernel.
        package var receiveBuffer = 8 << 20
        /// Longest message taken, in bytes; a longer one is dropped and counted (`line_length`).
        package var maxMessageBytes = 8192
        /// Most UDP messages taken from one sender address a second (`per_source_rate`).
        package var perSourceRate = 10_000
        /// Sender networks accepted (nil: none decided: any sender, allowed on loopback only).
        package var allow: [CIDR]?
        /// `allow: any`: every sender, on any address (a decision, not a default).
        package var allowAny = false
        /// The zone of RFC 3164 times, which say none.
        package var timezone = UTCOffsets.utc

        package init() {}

        /// `udp 127.0.0.1:1514, tcp 127.0.0.1:1514, tls 0.0.0.0:6514`, for logs.
        package var listenerNames: String {
            let named: [(String, ListenEndpoint?)] = [
                ("udp", udp ? ListenEndpoint(host: host, port: port) : nil), ("tcp", tcp), ("tls", tls?.endpoint),
            ]
            return named.compactMap { name, e in e.map { "\(name) \($0)" } }.joined(separator: ", ")
        }

        /// Every address the receiver listens on.
        package var listeners: [ListenEndpoint] {
            (udp ? [ListenEndpoint(host: host, port: port)] : []) + [tcp, tls?.endpoint].compactMap { $0 }
        }
    }

    /// A TLS listener: where, and its certificate (with the client CA when clients must show one).
    package struct TLSListener: Sendable, Equatable {
        package var endpoint: ListenEndpoint
        package var files: TLSFiles

        package init(endpoint: ListenEndpoint, files: TLSFiles) {
            self.endpoint = endpoint
            self.files = files
        }
    }

    /// The `incidents:` section.
    package struct IncidentSettings: Sendable, Equatable {
        /// Targets by priority (1 = P1 … 5 = P5).
        package var sla = IncidentPolicy.defaultSLA
        package var reopenWindow: Int64 = 3_600_000_000_000
        package var nearBreach = 0.8
        package var businessHours: BusinessHours?
        /// How often SLA clocks are checked.
        package var slaCheckInterval: Duration = .seconds(10)
        /// Where a symptom's alarm goes: its root cause's incident, or one of its own.
        package var symptoms = Symptoms.link

        /// `incidents.symptoms`.
        package enum Symptoms: String, Sendable, CaseIterable {
            /// Symptoms join their root cause's incident.
            case link
            /// Each alarm its own incident.
            case own
        }

        package init() {}
    }

    /// The embedded defaults (what `make run` uses).
    package init() {}

    /// Reads and validates a configuration file over the defaults.
    package static func load(path: String) throws(ConfigErrors) -> DaemonConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigErrors([ConfigError("cannot read configuration: \(error.localizedDescription)", file: path)])
        }
        do { return try parse(text, file: path) } catch { throw ConfigErrors([error]) }
    }

    /// Parses configuration text over the defaults.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        var c = DaemonConfig()
        guard let doc = try YAMLValue.parse(text, file: file) else { return c }
        let top = try doc.mapping(
            "the configuration",
            known: [
                "database", "rules", "http", "tcp", "bus", "log", "incidents", "retention", "snmp", "syslog", "files",
                "journal", "integrity", "notify",
                "input",
                "self_monitoring",
            ])
        if let v = top["self_monitoring"] { c.selfMonitoring = try selfMonitoring(v) }
        if let i = top["input"] { c.limits.input = try inputLimits(i) }
        if let n = top["notify"] { c.notify = try NotifyConfig.parseNotify(n) }
        if let db = top["database"] {
            let m = try db.mapping(
                "database", known: ["path", "synchronous", "max_size_mb", "max_uncommitted", "max_uncommitted_age"])
            if let v = m["max_uncommitted"] {
                c.database.lag.maxChanges = try within(v, "database.max_uncommitted", 100...10_000_000)
            }
            if let v = m["max_uncommitted_age"] {
                let ms: Int64 = 1_000_000
                c.database.lag.maxAge = try duration(
                    v, "database.max_uncommitted_age", min: 100 * ms, max: 3_600_000 * ms)
            }
            if let v = m["max_size_mb"] {
                c.database.maxSizeMB = try positive(v, "database.max_size_mb", max: Maximum.databaseMaxSizeMB)
            }
            if let p = m["path"] { c.database.path = try p.string("database.path") }
            if let s = m["synchronous"] {
                switch try s.string("database.synchronous") {
                case "normal": c.database.synchronous = .normal
                case "full": c.database.synchronous = .full
                default: throw s.error("database.synchronous must be normal or full")
                }
            }
        }
        if let r = top["rules"] {
            if case .sequence = r.node {
                c.rulePaths = try r.list("rules").map { v throws(ConfigError) in try v.string("rules entry") }
            } else {
                c.rulePaths = [try r.string("rules")]
            }
        }
        if let h = top["http"] {
            let m = try h.mapping(
                "http",
                known: ["listen", "max_body_bytes", "max_connections", "idle_timeout", "body_timeout", "stream"]
                    + httpAuthKeys)
            try httpAuthSettings(m, into: &c)
            if let l = m["listen"] { (c.http.host, c.http.port) = try listen(l, "http.listen") }
            try httpLimits(m, into: &c)
            if let b = m["max_body_bytes"] {
                c.http.maxBodyBytes = try positive(b, "http.max_body_bytes", max: Maximum.httpMaxBodyBytes)
            }
        }
        if let t = top["tcp"] {
            let m = try t.mapping(
                "tcp",
                known: [
                    "enabled", "listen", "max_line_bytes", "max_connections", "idle_timeout", "auth_timeout", "tls",
                ])
            try tcpLimits(m, into: &c)
            if let tls = m["tls"] { c.tcp.tls = try TLSFiles.parse(tls, "tcp.tls") }
            if let e = m["enabled"] { c.tcp.enabled = try e.bool("tcp.enabled") }
            if let l = m["listen"] { (c.tcp.host, c.tcp.port) = try listen(l, "tcp.listen") }
            if let b = m["max_line_bytes"] {
                c.tcp.maxLineBytes = try positive(b, "tcp.max_line_bytes", max: Maximum.tcpMaxLineBytes)
            }
            if let problem = c.tcpListenProblem { throw (m["listen"] ?? t).error(problem) }
        }
        if let sn = top["snmp"] { try snmpSettings(sn, into: &c) }
        if let sl = top["syslog"] { try syslogSettings(sl, into: &c) }
        if let f = top["files"] { try fileSources(f, into: &c) }
        if let j = top["journal"] { c.journal = try journalSource(j) }
        if let i = top["integrity"] { c.integrity = try integritySettings(i) }
        if let b = top["bus"] {
            let m = try b.mapping("bus", known: ["capacity"])
            if let cap = m["capacity"] { c.busCapacity = try positive(cap, "bus.capacity", max: Maximum.busCapacity) }
        }
        if let l = top["log"] {
            let m = try l.mapping("log", known: ["level"])
            if let lv = m["level"] {
                let v = try lv.string("log.level")
                guard let level = Logger.Level(rawValue: v) else {
                    let levels = Logger.Level.allCases.map(\.rawValue)
                    throw lv.error("log.level must be one of \(levels.joined(separator: ", "))")
                }
                c.logLevel = level
            }
        }
        if let i = top["incidents"] { c.incidents = try incidentSettings(i) }
        if let r = top["retention"] {
            let m = try r.mapping(
                "retention",
                known: [
                    "closed_incidents", "cleared_alarms", "alarm_changes", "notifications", "archive", "interval",
                ])
            func keep(_ key: String) throws(ConfigError) -> Int64?? {
                guard let v = m[key] else { return .none }
                if (try? v.string("retention.\(key)")) == "forever" { return .some(nil) }
                let d = try v.duration("retention.\(key)")
                guard d >= 86_400_000_000_000 else {
                    throw v.error("retention.\(key) must be at least 1d (or forever)")
                }
                return .some(d)
            }
            if let k = try keep("closed_incidents") { c.retention.closedIncidents = k }
            if let k = try keep("cleared_alarms") { c.retention.clearedAlarms = k }
            if let k = try keep("alarm_changes") { c.retention.alarmChanges = k }
            if let k = try keep("notifications") { c.retention.notifications = k }
            if let a = m["archive"] { c.retention.archiveDirectory = try a.string("retention.archive") }
            if let iv = m["interval"] {
                let ns = try iv.duration("retention.interval")
                guard ns >= 60_000_000_000 else { throw iv.error("retention.interval must be at least 1m") }
                c.retentionInterval = .nanoseconds(ns)
            }
        }
        return c
    }

    private static func incidentSettings(_ v: YAMLValue) throws(ConfigError) -> IncidentSettings {
        var out = IncidentSettings()
        let m = try v.mapping(
            "incidents",
            known: ["sla", "reopen_window", "near_breach", "business_hours", "sla_check_interval", "symptoms"])
        if let sy = m["symptoms"] {
            guard let v = IncidentSettings.Symptoms(rawValue: try sy.string("incidents.symptoms")) else {
                throw sy.error("incidents.symptoms must be link (one incident per root cause) or own (one per alarm)")
            }
            out.symptoms = v
        }
        if let r = m["reopen_window"] { out.reopenWindow = try r.duration("incidents.reopen_window") }
        if let n = m["near_breach"] {
            let text = try n.string("incidents.near_breach")
            let number = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
            guard let f = number, f >= 0, f < 1 else {
                throw n.error("incidents.near_breach must be a fraction below 1 (0.8 or 80%), or 0 to turn it off")
            }
            out.nearBreach = f
        }
        if let iv = m["sla_check_interval"] {
            let ns = try iv.duration("incidents.sla_check_interval")
            guard ns > 0 else { throw iv.error("incidents.sla_check_interval must be positive") }
            out.slaCheckInterval = .nanoseconds(ns)
        }
        if let bh = m["business_hours"] {
            let b = try bh.mapping("incidents.business_hours", known: ["days", "from", "to", "timezone"])
            var days: Set<Int> = [2, 3, 4, 5, 6]
            if let d = b["days"] {
                days = []
                for n in try d.list("business_hours.days") {
                    let text = try n.string("a day").lowercased()
                    guard let wd = ["sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7][text] else {
                        throw n.error("unknown day '\(text)' (mon, tue, wed, thu, fri, sat, sun)")
                    }
                    days.insert(wd)
                }
            }
            func minutes(_ key: String, _ fallback: Int) throws(ConfigError) -> Int {
                guard let n = b[key] else { return fallback }
                let text = try n.string("business_hours.\(key)")
                let hm = text.split(separator: ":").compactMap { Int($0) }
                guard hm.count == 2, (0...24).contains(hm[0]), (0..<60).contains(hm[1]), hm[0] * 60 + hm[1] <= 1440
                else { throw n.error("business_hours.\(key) must be a local time HH:MM, not '\(text)'") }
                return hm[0] * 60 + hm[1]
            }
            let from = try minutes("from", 8 * 60)
            let to = try minutes("to", 18 * 60)
            guard to > from else { throw bh.error("business_hours: 'to' must be after 'from'") }
            var zone = TimeZone(identifier: "UTC") ?? .current
            if let tz = b["timezone"] {
                let id = try tz.string("business_hours.timezone")
                guard let z = TimeZone(identifier: id) else {
                    throw tz.error("unknown time zone '\(id)' (an IANA name such as Europe/Berlin, or UTC)")
                }
                zone = z
            }
            out.businessHours = BusinessHours(days: days, start: from, end: to, timeZone: zone)
        }
        if let sla = m["sla"] {
            let per = try sla.mapping("incidents.sla", known: ["P1", "P2", "P3", "P4", "P5"])
            for (_, name, value) in per.entries {
                guard let p = Int(name.dropFirst()) else { continue }
                let t = try value.mapping("incidents.sla.\(name)", known: ["response", "resolution", "business_hours"])
                var target = out.sla[p] ?? SLATarget(response: 0, resolution: 0)
                if let r = t["response"] { target.response = try r.duration("\(name).response") }
                if let r = t["resolution"] { target.resolution = try r.duration("\(name).resolution") }
                if let b = t["business_hours"] {
                    target.businessHours = try b.bool("\(name).business_hours")
                    if target.businessHours && m["business_hours"] == nil {
                        throw b.error("\(name) counts business hours, but incidents.business_hours is not set")
                    }
                }
                guard target.response > 0, target.resolution >= target.response else {
                    throw value.error("\(name): response must be positive and resolution at least as long")
                }
                out.sla[p] = target
            }
        }
        return out
    }

    /// Parses `host:port`, `[v6]:port` or `:port`.
    static func listen(_ v: YAMLValue, _ what: String) throws(ConfigError) -> (String, Int) {
        let text = try v.string(what)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw v.error("\(what) must be host:port, e.g. 127.0.0.1:8470, not '\(text)'") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }
}

/// How far the engine may run ahead of the store (`database.max_uncommitted`, `max_uncommitted_age`).
package struct StoreLag: Sendable, Equatable {
    /// Most alarm changes handed to the store and not yet committed: `database.max_uncommitted`.
    package var maxChanges = 20_000
    /// Longest an uncommitted change may wait before the engine stops: `database.max_uncommitted_age`.
    package var maxAge: Duration = .seconds(1)

    package init() {}
}
