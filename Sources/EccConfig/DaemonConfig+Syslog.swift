import EccCollectors
import EccCore
import EccHTTP
import EccRules
import EccYAML

extension DaemonConfig {
    /// The `syslog:` section: listener, who may send, message size, the zone of RFC 3164 times.
    static func syslogSettings(_ sl: YAMLValue, into c: inout DaemonConfig) throws(ConfigError) {
        let m = try sl.mapping(
            "syslog",
            known: [
                "enabled", "listen", "tcp_listen", "tls", "max_connections", "idle_timeout", "receive_buffer",
                "max_message_bytes", "per_source_rate", "allow", "timezone",
            ])
        if let e = m["enabled"] { c.syslog.enabled = try e.bool("syslog.enabled") }
        if let l = m["listen"] {
            if case .scalar = l.node, try l.string("syslog.listen") == "off" {
                c.syslog.udp = false
            } else {
                (c.syslog.host, c.syslog.port) = try listen(l, "syslog.listen")
            }
        }
        if let l = m["tcp_listen"] {
            let (host, port) = try listen(l, "syslog.tcp_listen")
            c.syslog.tcp = ListenEndpoint(host: host, port: port)
        }
        if let t = m["tls"] {
            let files = try TLSFiles.parse(t, "syslog.tls", more: ["listen"], clientCertificates: true)
            let keys = try t.mapping("syslog.tls", known: ["listen", "cert_file", "key_file", "client_ca_file"])
            guard let l = keys["listen"] else {
                throw t.error("syslog.tls needs listen (host:port, 6514 is syslog over TLS's port)")
            }
            let (host, port) = try listen(l, "syslog.tls.listen")
            c.syslog.tls = TLSListener(endpoint: ListenEndpoint(host: host, port: port), files: files)
        }
        guard !c.syslog.listeners.isEmpty || !c.syslog.enabled else {
            throw sl.error("syslog listens nowhere: give listen, tcp_listen or tls, or say 'enabled: false'")
        }
        if let n = m["max_connections"] {
            c.syslog.maxConnections = try within(n, "syslog.max_connections", 1...100_000)
        }
        if let t = m["idle_timeout"] {
            let second: Int64 = 1_000_000_000
            c.syslog.idleTimeout = try duration(t, "syslog.idle_timeout", min: second, max: 7 * 86_400 * second)
        }
        if let b = m["receive_buffer"] {
            c.syslog.receiveBuffer = try positive(b, "syslog.receive_buffer", max: Maximum.syslogReceiveBuffer)
        }
        if let b = m["max_message_bytes"] {
            c.syslog.maxMessageBytes = try within(b, "syslog.max_message_bytes", 480...Maximum.syslogMessageBytes)
        }
        if let r = m["per_source_rate"] {
            c.syslog.perSourceRate = try positive(r, "syslog.per_source_rate", max: Maximum.perSourceRate)
        }
        if let list = m["allow"] {
            if case .scalar = list.node, try list.string("syslog.allow") == "any" {
                c.syslog.allowAny = true
                c.syslog.allow = nil
            } else {
                let networks = try list.list("syslog.allow").map { v throws(ConfigError) -> CIDR in
                    let text = try v.string("a sender network")
                    guard let n = CIDR(text) else {
                        throw v.error("'\(text)' is not an address or a network (192.0.2.7, 10.0.0.0/8, 2001:db8::/32)")
                    }
                    return n
                }
                guard !networks.isEmpty else {
                    throw list.error("syslog.allow is empty: list sender networks, or 'allow: any'")
                }
                c.syslog.allow = networks
            }
        }
        if m["timezone"] != nil { c.syslog.timezone = try ZoneOffsets.table(m["timezone"]) }
        if let problem = c.syslogSenderProblem { throw (m["listen"] ?? sl).error(problem) }
    }

    /// Why the syslog listener may not start as configured: off loopback it needs a decision on who may
    /// send (a list of networks, or `any`). nil when it may.
    package var syslogSenderProblem: String? {
        guard syslog.enabled, !syslog.allowAny, syslog.allow == nil,
            let open = syslog.listeners.first(where: { !ListenAddress.isLoopback($0.host) })
        else { return nil }
        return "syslog listens on \(open), which is not a loopback address, so anyone who can reach it could send "
            + "messages: list the senders to accept with 'allow: [192.0.2.0/24, ...]' (or 'allow: any')"
    }
}
