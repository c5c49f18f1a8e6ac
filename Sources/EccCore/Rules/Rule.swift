/// Where something was written in a rule or config file, for `file:line:column` messages.
package struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package var description: String { "\(file):\(line):\(column)" }
}

/// A compiled correlation rule.
package struct Rule: Sendable, Hashable {
    /// What the alarm looks like.
    package struct AlarmSpec: Sendable, Hashable {
        /// Fixed severity; nil takes the raising event's severity.
        package var severity: Severity?
        /// Summary template.
        package var summary: Template

        package init(severity: Severity?, summary: Template) {
            self.severity = severity
            self.summary = summary
        }
    }

    /// A count of events within a sliding window of event time.
    package struct Threshold: Sendable, Hashable {
        /// Raise when this many matching events for one key fall within `within`.
        package var count: Int
        /// Window length in nanoseconds.
        package var within: Int64
        /// Optional second threshold: clear once fewer than this many events remain in the window.
        package var clearBelow: Int?

        package init(count: Int, within: Int64, clearBelow: Int? = nil) {
            self.count = count
            self.within = within
            self.clearBelow = clearBelow
        }
    }

    /// Time-driven behaviour; all durations in nanoseconds of event time.
    package struct Timing: Sendable, Hashable {
        /// Flap filter: raise only if no clearing event arrives within this delay.
        package var hold: Int64?
        /// Clear an active alarm after this long without a matching event.
        package var autoClear: Int64?
        /// Raise only when enough events arrive within a window.
        package var threshold: Threshold?
        /// Absence rule: `when` describes an expected event; raise when none arrived for this long.
        package var absentFor: Int64?
        /// Severity steps taken while the alarm stays active, by time since it was raised, ascending.
        package var escalate: [Escalation] = []
        /// Flap detection: raised and cleared this often within a window → one flapping alarm.
        package var flap: Flap?
        /// Sequence: `when` (A) then another event (B) for the same key.
        package var sequence: Sequence?
        /// Group: distinct keys sharing a field → one aggregate alarm.
        package var group: Group?
        /// Once per window from the first: the alarm closes this long after its first event however many
        /// repeats came meanwhile, and the next match raises a new one (`once_per`).
        package var oncePer: Int64?

        package init(
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
        package var isPlain: Bool {
            hold == nil && autoClear == nil && threshold == nil && absentFor == nil && escalate.isEmpty
                && flap == nil && sequence == nil && group == nil && oncePer == nil
        }
    }

    /// Raise the severity once the alarm has been active this long.
    package struct Escalation: Sendable, Hashable {
        package var after: Int64
        package var severity: Severity

        package init(after: Int64, severity: Severity) {
            self.after = after
            self.severity = severity
        }
    }

    /// Flap detection: `count` raise/clear transitions within `within` make the alarm "flapping": it stays
    /// active (one alarm instead of a storm) until no transition happened for `within`.
    package struct Flap: Sendable, Hashable {
        package var count: Int
        package var within: Int64

        package init(count: Int, within: Int64) {
            self.count = count
            self.within = within
        }
    }

    /// A then B within a time, for the same key. With `absent`, A *not* followed by B raises instead
    /// (and a late B clears it).
    package struct Sequence: Sendable, Hashable {
        package var then: Matcher
        package var within: Int64
        package var absent: Bool
        /// Which first event the wait is measured from when several arrive before the second: the first of
        /// them, or the latest (each restarts the wait).
        package var from: Anchor

        package enum Anchor: String, Sendable, Hashable, CaseIterable {
            case first, latest
        }

        /// `from` defaults to the first first event for the absent form (the job that started first must
        /// finish) and to the latest otherwise (a second event pairs with the newest first one).
        package init(then: Matcher, within: Int64, absent: Bool, from: Anchor? = nil) {
            self.then = then
            self.within = within
            self.absent = absent
            self.from = from ?? (absent ? .first : .latest)
        }
    }

    /// `count` distinct member keys (the rule's `key`) sharing the value of `by` within `within` raise one
    /// alarm keyed by that value, listing its members. It clears when fewer than `clearBelow` members are
    /// left (members leave on the rule's `clear_when`).
    package struct Group: Sendable, Hashable {
        package var by: Template
        package var count: Int
        package var within: Int64
        package var clearBelow: Int

        package init(by: Template, count: Int, within: Int64, clearBelow: Int = 1) {
            self.by = by
            self.count = count
            self.within = within
            self.clearBelow = clearBelow
        }
    }

    /// Unique name; alarms and logs refer to it.
    package var name: String
    /// Events that raise or repeat the alarm.
    package var when: Matcher
    /// The dedup key: one alarm per rendered key.
    package var key: Template
    /// Events that clear the alarm with the same key.
    package var clearWhen: Matcher?
    package var alarm: AlarmSpec
    /// When true, an event this rule matched is not offered to later rules.
    package var stop: Bool
    /// Hold, auto-clear, threshold, absence.
    package var timing: Timing {
        didSet { isPlain = timing.isPlain }
    }
    /// ``Timing/isPlain``, kept beside it: the hot path asks for every event, and reading `timing` itself
    /// (arrays, matchers, templates inside) would copy it.
    package private(set) var isPlain: Bool
    /// Where the rule was defined; not part of its identity for hot reload.
    package var location: SourceLocation?
    /// The configuration item an alarm belongs to (topology, maintenance); nil means `{host}`.
    package var ci: Template?
    /// While an alarm of this rule is active, alarms on its configuration item and every descendant in the
    /// CMDB are raised as symptoms of it.
    package var rootCause = false
    /// False (`incident: false`): its alarms are stored, streamed and notified but open no incident (e.g.
    /// alarms about SLA breaches, which are about incidents already).
    package var opensIncident = true
    /// What is recorded of the events that repeat an active alarm.
    package var record = Record.changes
    /// A calendar rule: raised, cleared or emitting an event on a cron schedule instead of by events.
    package var schedule: Schedule?

    /// `schedule:` — cron schedules in a time zone. `raise` raises (or repeats) the rule's alarm, as if an
    /// event from source `calendar`, host empty, type the rule's name had arrived at the occurrence (its
    /// `key`, summary, conditions, `once_per`, `auto_clear` apply); `clear` clears it; `emit` hands
    /// `event` to every rule at the occurrence instead.
    package struct Schedule: Sendable, Hashable {
        package var raise: CronSchedule?
        package var clear: CronSchedule?
        package var emit: CronSchedule?
        /// What `emit` sends (its time is the occurrence's).
        package var event: Event?

        package init(
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
    package func calendarEvent(at time: EventTime) -> Event {
        Event(
            time: time, source: "calendar", host: "", type: name,
            attributes: ["schedule": .string(schedule?.raise?.description ?? "")])
    }

    /// Never true: the `when` of a calendar rule (its occurrences are handed to it directly).
    package static let never = Matcher([.any([])])

    /// Alarms of other rules that must be active (`while_alarm`) or not (`unless_alarm`) for a matching event
    /// to count, looked up when the event arrives.
    package var alarmConditions: [AlarmCondition] = []

    /// `while_alarm: {rule: site-on-battery, key: "{site}"}`: the rule's alarm under the key rendered from
    /// this event must be active (`active: true`), or must not be (`unless_alarm`, `active: false`).
    package struct AlarmCondition: Sendable, Hashable, CustomStringConvertible {
        package var rule: String
        package var key: Template
        package var active: Bool
        package var location: SourceLocation?

        package init(rule: String, key: Template, active: Bool, location: SourceLocation? = nil) {
            self.rule = rule
            self.key = key
            self.active = active
            self.location = location
        }

        package var description: String {
            "while \(active ? "an" : "no") alarm of '\(rule)' [\(key.source)] is active"
        }

        package static func == (a: Self, b: Self) -> Bool { a.rule == b.rule && a.key == b.key && a.active == b.active }
        package func hash(into h: inout Hasher) {
            h.combine(rule)
            h.combine(key)
            h.combine(active)
        }
    }

    /// `record:` — by default repeats are coalesced (the store journals a repeated alarm at most every few
    /// seconds); `every` records each matching event as a change of its own, with the summary rendered from
    /// it (an audit rule that must log every match).
    package enum Record: String, Sendable, Hashable, CaseIterable {
        case changes, every
    }

    package init(
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
    package func sameDefinition(as other: Rule) -> Bool {
        var a = self
        var b = other
        a.location = nil
        b.location = nil
        return a == b
    }
}
