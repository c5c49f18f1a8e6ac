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
    /// Where the rule was defined; not part of its identity for hot reload.
    public var location: SourceLocation?

    public init(
        name: String, when: Matcher, key: Template, clearWhen: Matcher? = nil, alarm: AlarmSpec,
        stop: Bool = false, location: SourceLocation? = nil
    ) {
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
