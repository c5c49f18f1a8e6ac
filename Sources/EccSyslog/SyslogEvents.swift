import EccCore

/// What a received syslog message becomes on the bus.
package enum SyslogEvents {
    /// The event of message `m` (read from `bytes`) from `sender`, arrived at `now`. When a rule file's
    /// parser (`- parser:` entries, written for syslog files) takes the message as a file would hold it
    /// (`TIME HOST TAG[PID]: MSG`), its event, with the header's attributes it does not set itself (an
    /// sshd failure becomes `auth_failure`, as from `/var/log/auth.log`); otherwise the generic event
    /// (``SyslogMessage/event(sender:receivedAt:raw:limits:)``, type `syslog`). A malformed message keeps
    /// its whole text as `raw`.
    package static func event(
        _ m: SyslogMessage, bytes: UnsafeRawBufferPointer, sender: String, at now: EventTime, parsers: LineParsers,
        limits: InputLimits = .outside
    ) -> Event {
        let raw = m.problem == nil ? nil : String(decoding: bytes, as: UTF8.self)
        let generic = m.event(sender: sender, receivedAt: now, raw: raw, limits: limits)
        guard !parsers.isEmpty, m.format != .unknown, let app = m.appName else { return generic }
        let pid = m.procID.map { "[\($0)]" } ?? ""
        let line = "\(RFC3339.format(generic.time)) \(generic.host) \(app)\(pid): \(m.message)"
        guard case .event(var e) = parsers.parse(line, receivedAt: now, reference: now) else { return generic }
        e.receivedAt = now
        for a in generic.attributes where e.attributes[a.key] == nil {
            guard e.attributes.count < limits.maxAttributes else { break }
            e.attributes[a.key] = a.value
        }
        return e
    }
}
