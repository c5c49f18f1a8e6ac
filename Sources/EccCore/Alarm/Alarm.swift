/// Whether an alarm still needs attention.
package enum AlarmState: String, Sendable, Hashable, Codable {
    case active
    case cleared
}

/// An alarm: the state of one (rule, key) pair, raised by the first matching event and updated by repeats.
package struct Alarm: Sendable, Hashable {
    /// Unique and increasing over the life of a store.
    package var id: UInt64
    /// The name of the rule that raised it.
    package var rule: String
    /// The rendered key template: one alarm per (rule, key).
    package var key: String
    package var state: AlarmState
    package var severity: Severity
    package var summary: String
    /// Source, host and type of the event that raised it.
    package var source: String
    package var host: String
    package var type: String
    /// Event time of the first and the latest matching event.
    package var firstSeen: EventTime
    package var lastSeen: EventTime
    /// How many matching events it has absorbed, including the first.
    package var count: Int64
    /// Event time of the clearing event, when cleared.
    package var clearedAt: EventTime?
    /// Why the alarm is not notified (maintenance, a root cause, an inhibiting alarm); nil when it is.
    package var suppression: Suppression? {
        get { extras?.suppression }
        set { setExtras(newValue, flapping, members) }
    }
    /// True while the alarm flaps (raised and cleared too often); clears are absorbed until it settles.
    package var flapping: Bool {
        get { extras?.flapping ?? false }
        set { setExtras(suppression, newValue, members) }
    }
    /// Group alarms: the keys of the members that make it up, sorted.
    package var members: [String] {
        get { extras?.members ?? [] }
        set { setExtras(suppression, flapping, newValue) }
    }
    // Suppression, flapping and members are rare: boxed together, they cost every other alarm (copied into
    // every change) one nil reference.
    private var extras: AlarmExtras?

    private mutating func setExtras(_ suppression: Suppression?, _ flapping: Bool, _ members: [String]) {
        extras =
            suppression == nil && !flapping && members.isEmpty
            ? nil : AlarmExtras(suppression: suppression, flapping: flapping, members: members)
    }

    package init(
        id: UInt64, rule: String, key: String, state: AlarmState = .active, severity: Severity, summary: String,
        source: String, host: String, type: String, firstSeen: EventTime, lastSeen: EventTime, count: Int64 = 1,
        clearedAt: EventTime? = nil, suppression: Suppression? = nil, flapping: Bool = false, members: [String] = []
    ) {
        self.id = id
        self.rule = rule
        self.key = key
        self.state = state
        self.severity = severity
        self.summary = summary
        self.source = source
        self.host = host
        self.type = type
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.clearedAt = clearedAt
        setExtras(suppression, flapping, members)
    }
}

/// The rare parts of an alarm, immutable (a value in every respect).
final class AlarmExtras: Sendable, Hashable {
    let suppression: Suppression?
    let flapping: Bool
    let members: [String]

    init(suppression: Suppression?, flapping: Bool, members: [String]) {
        self.suppression = suppression
        self.flapping = flapping
        self.members = members
    }

    static func == (a: AlarmExtras, b: AlarmExtras) -> Bool {
        a.suppression == b.suppression && a.flapping == b.flapping && a.members == b.members
    }

    func hash(into h: inout Hasher) {
        h.combine(suppression)
        h.combine(flapping)
        h.combine(members)
    }
}

extension Event {
    /// A stand-in for an alarm's raising event when that is not at hand (restored after a restart, or a
    /// prototype from a snapshot): the alarm's own source, host, type, severity, summary and first-seen time.
    package init(standingInFor a: Alarm) {
        self.init(
            time: a.firstSeen, source: a.source, host: a.host, type: a.type, severity: a.severity, summary: a.summary)
    }
}

/// Why an alarm is kept from notification. A suppressed alarm is still raised, stored and shown: it is
/// marked, never lost, and released (notified) if it outlives its cause.
///
/// A class with immutable fields (so a value in every respect): an optional reference keeps ``Alarm`` — copied
/// into every change — small.
package final class Suppression: Sendable, Hashable, CustomStringConvertible {
    package enum Reason: String, Sendable, Hashable {
        /// Raised inside a maintenance window (`name` is the window).
        case maintenance
        /// A symptom of a root-cause alarm on the same configuration item or a parent (`cause`).
        case symptom
        /// Inhibited by an active alarm (`cause`) under the inhibition rule `name`.
        case inhibited
    }

    package let reason: Reason
    /// The maintenance window, the inhibition rule, or the root cause's rule.
    package let name: String
    /// The alarm that causes it (root cause or inhibitor); nil for maintenance.
    package let cause: UInt64?

    package init(reason: Reason, name: String, cause: UInt64? = nil) {
        self.reason = reason
        self.name = name
        self.cause = cause
    }

    /// `maintenance:core-upgrade`, `symptom:node-down#12`, `inhibited:site-power#7` — the form rule tests
    /// and the API use.
    package var description: String {
        "\(reason.rawValue):\(name)" + (cause.map { "#\($0)" } ?? "")
    }

    package static func == (a: Suppression, b: Suppression) -> Bool {
        a.reason == b.reason && a.name == b.name && a.cause == b.cause
    }

    package func hash(into h: inout Hasher) {
        h.combine(reason)
        h.combine(name)
        h.combine(cause)
    }

    /// Parses ``description`` back.
    package convenience init?(text: String) {
        guard let colon = text.firstIndex(of: ":"), let reason = Reason(rawValue: String(text[..<colon])) else {
            return nil
        }
        var rest = String(text[text.index(after: colon)...])
        var cause: UInt64?
        if let hash = rest.lastIndex(of: "#"), let id = UInt64(rest[rest.index(after: hash)...]) {
            cause = id
            rest = String(rest[..<hash])
        }
        self.init(reason: reason, name: rest, cause: cause)
    }
}
