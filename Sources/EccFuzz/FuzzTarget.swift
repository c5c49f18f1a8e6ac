import Foundation

/// The parsers `EccFuzz` drives, by the name `ECC_FUZZ_TARGET` gives.
enum FuzzTarget: String, CaseIterable {
    /// JSON events: a TCP line (`decodeEvent`) and an HTTP body (`decodeEvents`), checked against each other.
    case json
    /// RFC 3339 timestamps; what parses must format and parse back to the same instant (to the millisecond).
    case rfc3339
    /// Rule files, through the loader `eccd` (start, SIGHUP) and `eccctl rules check` use.
    case rules
    /// CMDB imports (`eccctl cis import`): CSV and YAML.
    case cmdb
    /// Key and summary templates (`{host}/{ifIndex}`), compiled and rendered.
    case template
    /// Notification templates (Mustache), compiled with each escaping and rendered.
    case mustache
    /// Raw text lines through parsers (`- parser:`), and time formats.
    case lines
    /// HTTP API request bodies (EccAPI's request types), as the POST routes decode them; the first byte
    /// picks the type.
    case api
    /// Syslog messages (RFC 5424, RFC 3164 and vendor variants) and the events they become.
    case syslog
    /// Syslog streams (TCP, TLS): RFC 6587 framing over reads of sizes the input picks, checked against the
    /// same stream taken whole.
    case syslogStream = "syslog-stream"
    /// Followed files' records (lines, multi-line records, the line limit) over reads of sizes the input
    /// picks, checked against the file read whole.
    case fileRecords = "file-records"
    /// Suricata EVE JSON records (`files[].format: eve`) and the events alerts become.
    case eve

    /// The target of this process; libFuzzer runs inputs on one thread.
    nonisolated(unsafe) static var selected = FuzzTarget.json

    /// Reads `ECC_FUZZ_TARGET`; false (after saying why) when it is missing or unknown.
    static func selectFromEnvironment() -> Bool {
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        guard let raw = ProcessInfo.processInfo.environment["ECC_FUZZ_TARGET"], let t = FuzzTarget(rawValue: raw) else {
            FileHandle.standardError.write(Data("EccFuzz: set ECC_FUZZ_TARGET to one of \(names)\n".utf8))
            return false
        }
        selected = t
        return true
    }

    /// Runs one input through the target: it must be accepted or refused, never crash or hang.
    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .json: FuzzEvents.json(bytes)
        case .rfc3339: FuzzEvents.rfc3339(bytes)
        case .rules: FuzzFiles.rules(bytes)
        case .cmdb: FuzzFiles.cmdb(bytes)
        case .template: FuzzTemplates.key(bytes)
        case .mustache: FuzzTemplates.mustache(bytes)
        case .lines: FuzzLines.lines(bytes)
        case .api: FuzzAPI.requests(bytes)
        case .syslog: FuzzSyslog.messages(bytes)
        case .syslogStream: FuzzSyslog.stream(bytes)
        case .fileRecords: FuzzRecords.records(bytes)
        case .eve: FuzzSyslog.eve(bytes)
        }
    }
}
