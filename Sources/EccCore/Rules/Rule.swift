/// Where something was written in a rule or config file, for `file:line:column` messages.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A compiled correlation rule.
public struct Rule: Sendable, Hashable {
    /// What the alarm looks like.
    public struct AlarmSpec: Sendable, Hashable {
        /// Fixed severity; nil takes the raising event's severity.
        public var severity: Severity?
        /// Summary template.
        public var summary: Template

        public init(severity: Severity?, summary: Template) {
            self.severity = severity
            self.summary = summary
        }
    }

    /// A count of events within a sliding window of event time.
    public struct Threshold: Sendable, Hashable {
        /// Raise when this many matching events for one key fall within `within`.
        public var count: Int
        /// Window length in nanoseconds.
        public var within: Int64
        /// Optional second threshold: clear once fewer than this many events remain in the window.
        public var clearBelow: Int?

        public init(count: Int, within: Int64, clearBelow: Int? = nil) {
            self.count = count
            self.within = within
            self.clearBelow = clearBelow
        }
    }

    /// Time-driven behaviour; all durations in nanoseconds of event time.
    public struct Timing: Sendable, Hashable {
        /// Flap filter: raise only if no clearing event arrives within this delay.
        public var hold: Int64?
        /// Clear an active alarm after this long without a matching event.
        public var autoClear: Int64?
        /// Raise only when enough events arrive within a window.
        public var threshold: Threshold?
        /// Absence rule: `when` describes an expected event; raise when none arrived for this long.
        public var absentFor: Int64?
        /// Severity steps taken while the alarm stays active, by time since it was raised, ascending.
        public var escalate: [Escalation] = []
        /// Flap detection: raised and cleared this often within a window → one flapping alarm.
        public var flap: Flap?
        /// Sequence: `when` (A) then another event (B) for the same key.
        public var sequence: Sequence?
        /// Group: distinct keys sharing a field → one aggregate alarm.
        public var group: Group?
        /// Once per window from the first: the alarm closes this long after its first event however many
        /// repeats came meanwhile, and the next match raises a new one (`once_per`).
        public var oncePer: Int64?

        public init(
            hold: Int64? = nil, autoClear: Int64? = nil, threshold: Threshold? = nil, absentFor: Int64? = nil,
            escalate: [Escalation] = [], flap: Flap? = nil, sequence: Sequence? = nil, group: Group? = nil
        ) {
            self.hold = hold
            self.autoClear = autoClear
            self.threshold = threshold
            self.absentFor = absentFor
            self.escalate = escalate
            self.flap = flap
            self.sequence = sequence
            self.group = group
        }

        /// True for a rule that raises on the first event and needs no timers.
        public var isPlain: Bool {
            hold == nil && autoClear == nil && threshold == nil && absentFor == nil && escalate.isEmpty
                && flap == nil && sequence == nil && group == nil && oncePer == nil
        }
    }

    /// Raise the severity once the alarm has been active this long.
    public struct Escalation: Sendable, Hashable {
        public var after: Int64
        public var severity: Severity

        public init(after: Int64, severity: Severity) {
            self.after = after
            self.severity = severity
        }
    }

    /// Flap detection: `count` raise/clear transitions within `within` make the alarm "flapping": it stays
    /// active (one alarm instead of a storm) until no transition happened for `within`.
    public struct Flap: Sendable, Hashable {
        public var count: Int
        public var within: Int64

        public init(count: Int, within: Int64) {
            self.count = count
            self.within = within
        }
    }

    /// A then B within a time, for the same key. With `absent`, A *not* followed by B raises instead
    /// (and a late B clears it).
    public struct Sequence: Sendable, Hashable {
        public var then: Matcher
        public var within: Int64
        public var absent: Bool
        /// Which first event the wait is measured from when several arrive before the second: the first of
        /// them, or the latest (each restarts the wait).
        public var from: Anchor

        public enum Anchor: String, Sendable, Hashable, CaseIterable {
            case first, latest
        }

        /// `from` defaults to the first first event for the absent form (the job that started first must
        /// finish) and to the latest otherwise (a second event pairs with the newest first one).
        public init(then: Matcher, within: Int64, absent: Bool, from: Anchor? = nil) {
            self.then = then
            self.within = within
            self.absent = absent
            self.from = from ?? (absent ? .first : .latest)
        }
    }

    /// `count` distinct member keys (the rule's `key`) sharing the value of `by` within `within` raise one
    /// alarm keyed by that value, listing its members. It clears when fewer than `clearBelow` members are
    /// left (members leave on the rule's `clear_when`).
    public struct Group: Sendable, Hashable {
        public var by: Template
        public var count: Int
        public var within: Int64
        public var clearBelow: Int

        public init(by: Template, count: Int, within: Int64, clearBelow: Int = 1) {
            self.by = by
            self.count = count
            self.within = within
            self.clearBelow = clearBelow
        }
    }

    /// Unique name; alarms and logs refer to it.
    public var name: String
    /// Events that raise or repeat the alarm.
    public var when: Matcher
    /// The dedup key: one alarm per rendered key.
    public var key: Template
    /// Events that clear the alarm with the same key.
    public var clearWhen: Matcher?
    public var alarm: AlarmSpec
    /// When true, an event this rule matched is not offered to later rules.
    public var stop: Bool
    /// Hold, auto-clear, threshold, absence.
    public var timing: Timing {
        didSet { isPlain = timing.isPlain }
    }
    /// ``Timing/isPlain``, kept beside it: the hot path asks for every event, and reading `timing` itself
    /// (arrays, matchers, templates inside) would copy it.
    public private(set) var isPlain: Bool
    /// Where the rule was defined; not part of its identity for hot reload.
    public var location: SourceLocation?
    /// The configuration item an alarm belongs to (topology, maintenance); nil means `{host}`.
    public var ci: Template?
    /// While an alarm of this rule is active, alarms on its configuration item and every descendant in the
    /// CMDB are raised as symptoms of it.
    public var rootCause = false
    /// False (`incident: false`): its alarms are stored, streamed and notified but open no incident (e.g.
    /// alarms about SLA breaches, which are about incidents already).
    public var opensIncident = true
    /// What is recorded of the events that repeat an active alarm.
    public var record = Record.changes
    /// A calendar rule: raised, cleared or emitting an event on a cron schedule instead of by events.
    public var schedule: Schedule?

    /// `schedule:` — cron schedules in a time zone. `raise` raises (or repeats) the rule's alarm, as if an
    /// event from source `calendar`, host empty, type the rule's name had arrived at the occurrence (its
    /// `key`, summary, conditions, `once_per`, `auto_clear` apply); `clear` clears it; `emit` hands
    /// `event` to every rule at the occurrence instead.
    public struct Schedule: Sendable, Hashable {
        public var raise: CronSchedule?
        public var clear: CronSchedule?
        public var emit: CronSchedule?
        /// What `emit` sends (its time is the occurrence's).
        public var event: Event?

        public init(
            raise: CronSchedule? = nil, clear: CronSchedule? = nil, emit: CronSchedule? = nil, event: Event? = nil
        ) {
            self.raise = raise
            self.clear = clear
            self.emit = emit
            self.event = event
        }

        /// The schedules by action, in a fixed order (the timer's `step`).
        var actions: [(Action, CronSchedule)] {
            [(.raise, raise), (.clear, clear), (.emit, emit)].compactMap { a, c in c.map { (a, $0) } }
        }

        enum Action: Int, Sendable {
            case raise, clear, emit
        }
    }

    /// The event a calendar rule's occurrence stands for.
    public func calendarEvent(at time: EventTime) -> Event {
        Event(
            time: time, source: "calendar", host: "", type: name,
            attributes: ["schedule": .string(schedule?.raise?.description ?? "")])
    }

    /// Never true: the `when` of a calendar rule (its occurrences are handed to it directly).
    public static let never = Matcher([.any([])])

    /// Alarms of other rules that must be active (`while_alarm`) or not (`unless_alarm`) for a matching event
    /// to count, looked up when the event arrives.
    public var alarmConditions: [AlarmCondition] = []

    /// `while_alarm: {rule: site-on-battery, key: "{site}"}`: the rule's alarm under the key rendered from
    /// this event must be active (`active: true`), or must not be (`unless_alarm`, `active: false`).
    public struct AlarmCondition: Sendable, Hashable, CustomStringConvertible {
        public var rule: String
        public var key: Template
        public var active: Bool
        public var location: SourceLocation?

        public init(rule: String, key: Template, active: Bool, location: SourceLocation? = nil) {
            self.rule = rule
            self.key = key
            self.active = active
            self.location = location
        }

        public var description: String {
            "while \(active ? "an" : "no") alarm of '\(rule)' [\(key.source)] is active"
        }

        public static func == (a: Self, b: Self) -> Bool { a.rule == b.rule && a.key == b.key && a.active == b.active }
        public func hash(into h: inout Hasher) {
            h.combine(rule)
            h.combine(key)
            h.combine(active)
        }
    }

    /// `record:` — by default repeats are coalesced (the store journals a repeated alarm at most every few
    /// seconds); `every` records each matching event as a change of its own, with the summary rendered from
    /// it (an audit rule that must log every match).
    public enum Record: String, Sendable, Hashable, CaseIterable {
        case changes, every
    }

    public init(
        name: String, when: Matcher, key: Template, clearWhen: Matcher? = nil, alarm: AlarmSpec,
        stop: Bool = false, timing: Timing = Timing(), location: SourceLocation? = nil
    ) {
        self.timing = timing
        self.isPlain = timing.isPlain
        self.name = name
        self.when = when
        self.key = key
        self.clearWhen = clearWhen
        self.alarm = alarm
        self.stop = stop
        self.location = location
    }

    /// True when two rules behave identically (their location may differ).
    public func sameDefinition(as other: Rule) -> Bool {
        var a = self
        var b = other
        a.location = nil
        b.location = nil
        return a == b
    }
}
