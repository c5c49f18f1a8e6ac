import EccRules

/// eccd's configuration: embedded defaults, overridden by a YAML file (`eccd --config FILE`).
///
/// Relative paths are relative to eccd's working directory. Every key is documented in
/// `docs/configuration.md`; unknown keys are errors with `file:line:column`.
public struct DaemonConfig: Sendable, Equatable {
    /// SQLite database file.
    public var databasePath = "./var/ecc.db"
    /// How SQLite syncs: `normal` (survives kill -9) or `full` (survives power loss too).
    public var synchronous = "normal"
    /// Rule files and directories.
    public var rulePaths = ["./rules"]
    /// HTTP API address.
    public var httpHost = "127.0.0.1"
    public var httpPort = 8470
    /// JSON-lines TCP collector address; `enabled: false` turns it off.
    public var tcpEnabled = true
    public var tcpHost = "127.0.0.1"
    public var tcpPort = 8471
    /// Longest accepted JSON line in bytes.
    public var tcpMaxLineBytes = 1 << 20
    /// Bus slots (rounded up to a power of two).
    public var busCapacity = 65_536
    /// Largest `POST /v1/events` body in bytes.
    public var httpMaxBodyBytes = 64 << 20
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"

    /// The embedded defaults (what `make run` uses).
    public init() {}

    /// Reads and validates a configuration file over the defaults.
    public static func load(path: String) throws(ConfigErrors) -> DaemonConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigErrors([ConfigError("cannot read configuration: \(error.localizedDescription)", file: path)])
        }
        do { return try parse(text, file: path) } catch { throw ConfigErrors([error]) }
    }

    /// Parses configuration text over the defaults.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        var c = DaemonConfig()
        guard let doc = try YAMLValue.parse(text, file: file) else { return c }
        let top = try doc.mapping("the configuration", known: ["database", "rules", "http", "tcp", "bus", "log"])
        if let db = top["database"] {
            let m = try db.mapping("database", known: ["path", "synchronous"])
            if let p = m["path"] { c.databasePath = try p.string("database.path") }
            if let s = m["synchronous"] {
                let v = try s.string("database.synchronous")
                guard ["normal", "full"].contains(v) else {
                    throw s.error("database.synchronous must be normal or full")
                }
                c.synchronous = v
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
            let m = try h.mapping("http", known: ["listen", "max_body_bytes"])
            if let l = m["listen"] { (c.httpHost, c.httpPort) = try listen(l, "http.listen") }
            if let b = m["max_body_bytes"] { c.httpMaxBodyBytes = try positive(b, "http.max_body_bytes") }
        }
        if let t = top["tcp"] {
            let m = try t.mapping("tcp", known: ["enabled", "listen", "max_line_bytes"])
            if let e = m["enabled"] { c.tcpEnabled = try e.bool("tcp.enabled") }
            if let l = m["listen"] { (c.tcpHost, c.tcpPort) = try listen(l, "tcp.listen") }
            if let b = m["max_line_bytes"] { c.tcpMaxLineBytes = try positive(b, "tcp.max_line_bytes") }
        }
        if let b = top["bus"] {
            let m = try b.mapping("bus", known: ["capacity"])
            if let cap = m["capacity"] { c.busCapacity = try positive(cap, "bus.capacity") }
        }
        if let l = top["log"] {
            let m = try l.mapping("log", known: ["level"])
            if let lv = m["level"] {
                let v = try lv.string("log.level")
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(v) else {
                    throw lv.error("log.level must be one of \(levels.joined(separator: ", "))")
                }
                c.logLevel = v
            }
        }
        return c
    }

    private static func positive(_ v: YAMLValue, _ what: String) throws(ConfigError) -> Int {
        let n = try v.int(what)
        guard n > 0 else { throw v.error("\(what) must be positive") }
        return n
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
