import EccRules
import EccYAML

extension DaemonConfig {
    /// The largest value each numeric key accepts. A value past it is refused by `eccd --check-config` and
    /// at start, with its `file:line:column`, instead of overflowing or exhausting memory later (a huge
    /// `bus.capacity` used to pass the check and then hang eccd at start).
    package enum Maximum {
        /// `bus.capacity`: 4 Mi slots (about 400 MiB of events).
        package static let busCapacity = 1 << 22
        /// `http.max_body_bytes`: 1 GiB.
        package static let httpMaxBodyBytes = 1 << 30
        /// `tcp.max_line_bytes`: 64 MiB.
        package static let tcpMaxLineBytes = 1 << 26
        /// `database.max_size_mb`: 16 TiB, SQLite's own limit with its default page size.
        package static let databaseMaxSizeMB = 1 << 24
        /// `snmp.receive_buffer`: 1 GiB (the kernel caps it further at `net.core.rmem_max`).
        package static let snmpReceiveBuffer = 1 << 30
        /// `syslog.receive_buffer`: 1 GiB, as for SNMP.
        package static let syslogReceiveBuffer = 1 << 30
        /// `files[].max_line_bytes`: 16 MiB (a record longer is cut there).
        package static let fileLineBytes = 1 << 24
        /// `syslog.max_message_bytes`: the largest UDP payload.
        package static let syslogMessageBytes = 65_507
        /// `syslog.per_source_rate`: 10 million messages a second (more than one socket takes).
        package static let perSourceRate = 10_000_000
        /// `integrity.max_file_bytes`: 16 GiB (hashing a larger file takes minutes).
        package static let integrityFileBytes = 1 << 34
        /// `integrity.max_files`: a million (each an inode looked at every rescan).
        package static let integrityFiles = 1_000_000
    }

    /// A whole number from 1 to `max`.
    static func positive(_ v: YAMLValue, _ what: String, max: Int) throws(ConfigError) -> Int {
        try within(v, what, 1...max)
    }

    /// A whole number in `range`: every bounded numeric key of the configuration reads through this.
    static func within(_ v: YAMLValue, _ what: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let n = try v.int(what)
        if n < range.lowerBound {
            throw v.error(
                range.lowerBound == 1
                    ? "\(what) must be positive" : "\(what) must be at least \(range.lowerBound), not \(n)")
        }
        guard n <= range.upperBound else { throw v.error("\(what) must be at most \(range.upperBound), not \(n)") }
        return n
    }
}
