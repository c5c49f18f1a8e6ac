import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// File descriptors: eccd makes sure at start that its connection caps fit its descriptor limit, so a
/// flood of connections is refused by the caps (counted as `connections`) instead of running the
/// process out of descriptors, where `accept` fails and SwiftNIO's listener retries in a busy loop.
package enum DescriptorBudget {
    /// Descriptors besides connections: SQLite (database, WAL, shared memory, one per reader), the
    /// listeners, the SNMP socket, the engine file, libcurl's sockets — and per core an event loop's epoll,
    /// eventfd and timerfd.
    static var reserve: Int { 128 + 4 * System.coreCount }

    /// What the configuration needs: the caps of every listener that takes connections and the reserve.
    static func needed(_ config: DaemonConfig) -> Int {
        (config.tcp.enabled ? config.limits.tcpMaxConnections : 0) + config.limits.httpMaxConnections
            + syslogConnections(config) + reserve
    }

    /// The syslog TCP and TLS listeners' caps.
    static func syslogConnections(_ config: DaemonConfig) -> Int {
        guard config.syslog.enabled else { return 0 }
        return [config.syslog.tcp != nil, config.syslog.tls != nil].filter { $0 }.count * config.syslog.maxConnections
    }

    /// Raises the soft limit (`ulimit -n`, `LimitNOFILE=`) as far as needed, up to the hard limit; throws
    /// a message saying what to change when even the hard limit is too low.
    package static func ensure(_ config: DaemonConfig) throws(StartupError) {
        let need = needed(config)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur >= rlim_t(need) { return }
        guard limit.rlim_max >= rlim_t(need) else {
            throw StartupError(
                description:
                    "tcp.max_connections (\(config.limits.tcpMaxConnections)) and http.max_connections "
                    + "(\(config.limits.httpMaxConnections))"
                    + (syslogConnections(config) > 0
                        ? " with syslog.max_connections (\(syslogConnections(config)) for its TCP and TLS listeners)"
                        : "")
                    + " need \(need) file descriptors with eccd's own "
                    + "\(reserve), but the limit is \(limit.rlim_max) (ulimit -Hn, LimitNOFILE=): lower the caps "
                    + "or raise the limit")
        }
        limit.rlim_cur = rlim_t(need)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw StartupError(
                description: "cannot raise the file descriptor limit to \(need) (errno \(errno)): lower "
                    + "tcp.max_connections, http.max_connections and syslog.max_connections or raise LimitNOFILE=")
        }
    }
}
