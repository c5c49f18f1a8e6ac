import CEccRE2

/// Turns a raw text line (a log line, SEC-style input) into an event: a `- parser: NAME` entry of the rule
/// files. Its regular expression's named captures become attributes; one of them may give the event's time
/// (with a ``TimeFormat``) and one may be split into `key=value` attributes; templates over them give the
/// source, host, type, severity and summary.
package struct LineParser: Sendable, Hashable {
    package var name: String
    /// Matched anywhere in the line (anchor with `^`); its named captures become attributes.
    package var pattern: Pattern
    /// The capture that holds the event's time, and how to read it; without one the event takes the time the
    /// line arrived (and a replay refuses the line).
    package var time: TimeField?
    /// The event's fields. A capture named `source`, `host`, `type`, `severity` or `summary` gives the field
    /// (not an attribute); a template given here is rendered afterwards, over the captures, and wins. Without
    /// either, the source is `text`, the host empty, the severity `info` and the summary the whole line. A
    /// severity must be one of eccd's names.
    package var source: Template?
    package var host: Template?
    package var type: Template?
    package var severity: Template?
    package var summary: Template?
    /// A capture split into `key=value` attributes.
    package var split: KeyValueSplit?
    /// Attributes set on every event the parser makes (`service: sshd`), templates over the captures.
    package var set: [String: Template] = [:]
    package var location: SourceLocation?

    package struct TimeField: Sendable, Hashable {
        package var capture: String
        /// Tried in order (a syslog file may hold RFC 3339 and traditional timestamps).
        package var formats: [TimeFormat]

        package init(capture: String, formats: [TimeFormat]) {
            self.capture = capture
            self.formats = formats
        }

        func parse(_ b: UnsafeRawBufferPointer, reference: EventTime) -> EventTime? {
            for f in formats { if let t = f.parse(b, reference: reference) { return t } }
            return nil
        }
    }

    /// `user=alice src="10.0.0.1" action=deny`: pairs split at `separator` (runs of it count as one), key and
    /// value at the first `equals`; a value in double quotes may hold the separator. At most
    /// ``InputLimits/maxAttributes`` attributes are taken in all.
    package struct KeyValueSplit: Sendable, Hashable {
        package var capture: String
        package var separator: UInt8
        package var equals: UInt8

        package init(capture: String, separator: UInt8 = 0x20, equals: UInt8 = UInt8(ascii: "=")) {
            self.capture = capture
            self.separator = separator
            self.equals = equals
        }
    }

    package init(
        name: String, pattern: Pattern, time: TimeField? = nil, source: Template? = nil, host: Template? = nil,
        type: Template? = nil, severity: Template? = nil, summary: Template? = nil, split: KeyValueSplit? = nil,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.pattern = pattern
        self.time = time
        self.source = source
        self.host = host
        self.type = type
        self.severity = severity
        self.summary = summary
        self.split = split
        self.location = location
    }

    package static func == (a: LineParser, b: LineParser) -> Bool {
        a.name == b.name && a.pattern == b.pattern && a.time == b.time && a.source == b.source && a.host == b.host
            && a.type == b.type && a.severity == b.severity && a.summary == b.summary && a.split == b.split
            && a.set == b.set
    }

    package func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(pattern)
    }
}

/// The parsers of a rule set, tried in order: the first whose expression matches a line makes its event.
///
/// Every expression is also in one RE2 set, so a line is scanned once to learn which parser (if any)
/// matches, and only that parser's expression then runs again for its captures: a line no parser wants
/// costs one linear pass, however many parsers there are.
package struct LineParsers: Sendable {
    package let parsers: [LineParser]
    private let set: PatternSet?
    /// Per parser, what each capture (by group index) is for; worked out once, not per line.
    private let plans: [Plan]

    /// What a capture gives.
    enum Role: Sendable {
        case source, host, type, severity, summary, time, split, attribute
    }

    /// A parser's captures' roles, and its templates that are plain text (no field) as that text.
    struct Plan: Sendable {
        var roles: [Role]
        var source: String?
        var type: String?

        init(_ p: LineParser) {
            roles = p.pattern.captureNames.map { name in
                switch name {
                case p.time?.capture: .time
                case p.split?.capture: .split
                case "source": .source
                case "host": .host
                case "type": .type
                case "severity": .severity
                case "summary": .summary
                default: .attribute
                }
            }
            source = p.source.flatMap(\.constant)
            type = p.type.flatMap(\.constant)
        }
    }

    /// What became of a line.
    package enum Outcome: Sendable {
        case event(Event)
        /// No parser's expression matches.
        case unmatched
        /// A parser matched but could not make an event (a time that does not fit its format, a severity
        /// that is none).
        case refused(parser: String, reason: String)
    }

    package static let none = LineParsers()

    private init() {
        parsers = []
        set = nil
        plans = []
    }

    /// Builds the set; nil only when RE2 runs out of memory for it.
    package init?(_ parsers: [LineParser]) {
        self.parsers = parsers
        plans = parsers.map(Plan.init)
        guard !parsers.isEmpty else {
            set = nil
            return
        }
        guard let s = PatternSet(parsers.map(\.pattern)) else { return nil }
        set = s
    }

    package var isEmpty: Bool { parsers.isEmpty }

    /// Whether `other` is this very set (the same rule load), cheaply: for caching what is derived from it.
    package func isSame(as other: LineParsers) -> Bool {
        switch (set, other.set) {
        case (nil, nil): parsers.isEmpty && other.parsers.isEmpty
        case (let a?, let b?): a === b
        default: false
        }
    }

    /// Only the parsers named, in their order (a source configured with `parsers:`); names no parser has are
    /// ignored (``missing(_:)`` says which).
    package func only(_ names: [String]) -> LineParsers {
        let wanted = Set(names)
        return LineParsers(parsers.filter { wanted.contains($0.name) }) ?? .none
    }

    /// The names no parser here has.
    package func missing(_ names: [String]) -> [String] {
        let have = Set(parsers.map(\.name))
        return names.filter { !have.contains($0) }
    }

    /// Parses one line (without its newline). `receivedAt` is the event's time when the parser reads none;
    /// `reference` places year-less times (the arrival, or a replayed file's modification time).
    package func parse(_ line: String, receivedAt: EventTime, reference: EventTime? = nil) -> Outcome {
        var line = line
        return line.withUTF8 { parse($0, receivedAt: receivedAt, reference: reference ?? receivedAt) }
    }

    package func parse(_ line: UnsafeBufferPointer<UInt8>, receivedAt: EventTime, reference: EventTime) -> Outcome {
        guard let set else { return .unmatched }
        var i = set.first(line)
        if i == -2 { i = parsers.firstIndex { $0.pattern.matches(line) } ?? -1 }
        guard i >= 0 else { return .unmatched }
        // Borrowed, not copied: a copy of a parser retains and releases each of its dozen references.
        return parsers.withUnsafeBufferPointer { ps in
            plans.withUnsafeBufferPointer { plans in
                // The captures' byte offsets, on the stack: a line allocates only what its event keeps.
                withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(1, 2 * ps[i].pattern.captureNames.count)) {
                    spans in
                    guard ps[i].pattern.spans(line, into: spans) else { return .unmatched }
                    return Self.make(ps[i], plans[i], line, spans, receivedAt: receivedAt, reference: reference)
                }
            }
        }
    }

    private static func make(
        _ p: borrowing LineParser, _ plan: borrowing Plan, _ line: UnsafeBufferPointer<UInt8>,
        _ spans: UnsafeMutableBufferPointer<Int64>, receivedAt: EventTime, reference: EventTime
    ) -> Outcome {
        let names = p.pattern.captureNames
        var attributes = AttributesBuilder(limit: InputLimits.standard.maxAttributes)
        attributes.reserveCapacity(names.count + p.set.count)
        var e = Event(time: receivedAt, receivedAt: receivedAt, source: "text", host: "", type: "")
        var severityText: String?
        var summary: String?
        for g in names.indices where spans[2 * g] >= 0 {
            let bytes = UnsafeBufferPointer(rebasing: line[Int(spans[2 * g])..<Int(spans[2 * g + 1])])
            switch plan.roles[g] {
            case .source: e.source = String(decoding: bytes, as: UTF8.self)
            case .host: e.host = String(decoding: bytes, as: UTF8.self)
            case .type: e.type = String(decoding: bytes, as: UTF8.self)
            case .severity: severityText = String(decoding: bytes, as: UTF8.self)
            case .summary: summary = String(decoding: bytes, as: UTF8.self)
            case .split: if let s = p.split { Self.split(bytes, s, into: &attributes) }
            case .attribute: _ = attributes.set(names[g], .string(String(decoding: bytes, as: UTF8.self)))
            case .time:
                guard let t = p.time, let parsed = t.parse(UnsafeRawBufferPointer(bytes), reference: reference) else {
                    let formats = p.time?.formats.map { "'\($0.source)'" }.joined(separator: " or ") ?? ""
                    return .refused(
                        parser: p.name,
                        reason: "time '\(String(decoding: bytes, as: UTF8.self))' does not fit \(formats)")
                }
                e.time = parsed
            }
        }
        e.attributes = attributes.attributes
        if !p.set.isEmpty {
            for (name, t) in p.set.sorted(by: { $0.key < $1.key }) {
                _ = attributes.set(name, .string(t.render(e)))
            }
            e.attributes = attributes.attributes
        }
        if let c = plan.source { e.source = c } else if let t = p.source { e.source = t.render(e) }
        if let t = p.host { e.host = t.render(e) }
        if let c = plan.type { e.type = c } else if let t = p.type { e.type = t.render(e) }
        if let t = p.severity { severityText = t.render(e) }
        if let text = severityText {
            guard let s = Severity(name: text) else {
                return .refused(parser: p.name, reason: "severity '\(text)' is not one of eccd's")
            }
            e.severity = s
        }
        e.summary = p.summary.map { $0.render(e) } ?? summary ?? String(decoding: line, as: UTF8.self)
        guard !e.type.isEmpty else { return .refused(parser: p.name, reason: "no type (the event's type is empty)") }
        // A line may not pass for eccd's own self-monitoring (a capture or template could say `eccd`).
        guard e.source != Event.eccdSource else {
            return .refused(parser: p.name, reason: "'\(Event.eccdSource)' is eccd's own source; choose another")
        }
        return .event(e)
    }

    static func split(_ b: UnsafeBufferPointer<UInt8>, _ s: LineParser.KeyValueSplit, into out: inout AttributesBuilder)
    {
        var i = 0
        while i < b.count {
            while i < b.count, b[i] == s.separator { i += 1 }
            let start = i
            var eq = -1
            var quoted = false
            while i < b.count {
                let c = b[i]
                if c == 0x22 && eq >= 0 { quoted.toggle() }
                if c == s.separator && !quoted { break }
                if c == s.equals && eq < 0 { eq = i }
                i += 1
            }
            guard eq > start else { continue }  // a word without '=', or an empty key: skipped
            var v = (eq + 1)..<i
            if v.count >= 2, b[v.lowerBound] == 0x22, b[v.upperBound - 1] == 0x22 {
                v = (v.lowerBound + 1)..<(v.upperBound - 1)
            }
            let key = String(decoding: UnsafeBufferPointer(rebasing: b[start..<eq]), as: UTF8.self)
            guard out.set(key, .string(String(decoding: UnsafeBufferPointer(rebasing: b[v]), as: UTF8.self))) else {
                return
            }
        }
    }
}

/// Several patterns matched in one pass (RE2::Set): which of them is the first to match a text.
final class PatternSet: Sendable {
    // Immutable once compiled, and RE2 documents a compiled set as safe to match from many threads.
    nonisolated(unsafe) private let set: OpaquePointer

    init?(_ patterns: [Pattern]) {
        guard let s = ecc_re2_set_new() else { return nil }
        for p in patterns {
            var text = p.re2Source
            let added = text.withUTF8 { ecc_re2_set_add(s, Pattern.chars($0), $0.count) }
            guard added >= 0 else {
                ecc_re2_set_free(s)
                return nil
            }
        }
        guard ecc_re2_set_compile(s) != 0 else {
            ecc_re2_set_free(s)
            return nil
        }
        set = s
    }

    /// The index of the first pattern that matches, or -1.
    func first(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        Int(ecc_re2_set_first(set, Pattern.chars(utf8), utf8.count))
    }

    deinit { ecc_re2_set_free(set) }
}
