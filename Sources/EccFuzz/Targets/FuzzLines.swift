import EccCore
import EccRules
import EccYAML

/// Raw text lines through parsers (`- parser:` entries), and time formats.
enum FuzzLines {
    static let receivedAt = EventTime(nanoseconds: 1_796_292_000_000_000_000)

    /// The shipped syslog parsers' expressions and formats, and parsers that use every other feature: a
    /// key=value split, a template severity, a time zone, a list of formats with most directives.
    static let parsers: LineParsers = {
        let yaml = """
            - parser: sshd-failed-password
              match: '^(?P<time>\\d{4}-\\d\\d-\\d\\dT\\S+|\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) (?P<host>\\S+) sshd\\[(?P<pid>\\d+)\\]: Failed (?P<method>password|publickey) for (?:invalid user )?(?P<user>\\S*) from (?P<src>\\S+) port (?P<port>\\d+)'
              time: {capture: time, format: [rfc3339, "%b %e %H:%M:%S"]}
              set: {service: sshd}
              event: {source: syslog, type: auth_failure, severity: warning, summary: "failed {method} for {user}"}
            - parser: kv
              match: '^(?P<time>\\S+ \\S+) (?P<host>\\S+) (?P<type>[a-z]+) (?P<severity>[a-z]*) ?(?P<kv>.*)$'
              time: {capture: time, format: ["%Y-%m-%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S", "%a %b %e %T", "%y%j %I:%M%p"], timezone: Europe/Berlin}
              split: {capture: kv}
              event: {source: "{host}-kv"}
            - parser: epoch
              match: '^@(?P<time>[0-9.]+) (?P<summary>.*)$'
              time: {capture: time, format: [unix, unix_ms, "%s"]}
              split: {capture: summary, separator: ';', equals: ':'}
              event: {type: epoch, severity: "{level}"}
            """
        // A fixed, valid set: a failure here is a bug in the target, not an input.
        guard let set = try? RuleLoader.load(sources: [("fuzz-parsers.yaml", yaml)]) else {
            preconditionFailure("the fuzz target's parsers do not load")
        }
        return set.parsers
    }()

    /// A line (`%`… first line: a time format, then the text it reads) must give an event, be refused or be
    /// left unmatched; an event's time is in range, its attributes within the limit.
    static func lines(_ bytes: UnsafeRawBufferPointer) {
        if bytes.first == UInt8(ascii: "%"), let nl = bytes.firstIndex(of: 0x0A) {
            let source = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<nl]), as: UTF8.self)
            guard let format = try? TimeFormat(source) else { return }
            if let t = format.parse(UnsafeRawBufferPointer(rebasing: bytes[(nl + 1)...]), reference: receivedAt) {
                precondition(t.isInRange, "format '\(source)' gave a time out of range")
            }
            return
        }
        let outcome = bytes.withMemoryRebound(to: UInt8.self) {
            parsers.parse($0, receivedAt: receivedAt, reference: receivedAt)
        }
        if case .event(let e) = outcome {
            precondition(e.time.isInRange, "a parsed line's time is out of range")
            precondition(e.attributes.count <= InputLimits.standard.maxAttributes, "too many attributes")
            precondition(!e.type.isEmpty, "an event without a type")
        }
    }
}
