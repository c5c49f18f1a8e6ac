/// A compiled `when` / `clear_when` clause: every condition must hold.
package struct Matcher: Sendable, Hashable {
    /// Numeric comparisons.
    package enum Comparison: String, Sendable, Hashable, CaseIterable {
        case eq, ne, gt, ge, lt, le

        @inlinable
        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .eq: a == b
            case .ne: a != b
            case .gt: a > b
            case .ge: a >= b
            case .lt: a < b
            case .le: a <= b
            }
        }
    }

    /// One condition.
    package indirect enum Condition: Sendable, Hashable {
        /// The field's text equals the value.
        case equals(Field, String)
        /// The field's text is one of the values.
        case oneOf(Field, Set<String>)
        /// The field is a number and compares so with the value.
        case compare(Field, Comparison, Double)
        /// The field is an IP address inside one of the networks.
        case inNetworks(Field, [CIDR])
        /// The field is present (true) or absent (false).
        case exists(Field, Bool)
        /// The field's text matches the expression; named groups become fields.
        case matches(Field, Pattern)
        /// The clause does not hold.
        case not(Matcher)
        /// At least one clause holds (captures of the first that holds are kept).
        case any([Matcher])
        /// Every clause holds.
        case all([Matcher])
    }

    /// All conditions; an empty list matches every event.
    package let conditions: [Condition]
    /// True when some regular expression has named groups, so a match yields fields.
    package let capturesFields: Bool

    package init(_ conditions: [Condition]) {
        // Cheap tests first; regular expressions last (they are the expensive ones).
        self.conditions = conditions.sorted { Self.cost($0) < Self.cost($1) }
        capturesFields = conditions.contains { Self.captures($0) }
    }

    static func cost(_ c: Condition) -> Int {
        switch c {
        case .equals, .exists: 0
        case .oneOf, .compare: 1
        case .inNetworks: 2
        case .not, .any, .all: 3
        case .matches: 4
        }
    }

    static func captures(_ c: Condition) -> Bool {
        switch c {
        case .matches(_, let p): !p.captureNames.isEmpty
        case .any(let ms), .all(let ms): ms.contains(where: \.capturesFields)
        case .not: false  // a negated clause yields nothing
        default: false
        }
    }

    /// The values an event's `type` must have for this matcher to match, if it says so; used to index rules.
    package var requiredTypes: [String]? {
        for c in conditions {
            switch c {
            case .equals(.type, let v): return [v]
            case .oneOf(.type, let vs): return vs.sorted()
            default: continue
            }
        }
        return nil
    }

    /// Tests an event.
    @inlinable
    package func matches(_ event: Event) -> Bool {
        var ignored: [(String, String)] = []
        return matches(event, captures: &ignored, wantCaptures: false)
    }

    /// Tests an event and collects named regex captures (when it matches).
    package func matches(_ event: Event, captures: inout [(String, String)]) -> Bool {
        matches(event, captures: &captures, wantCaptures: capturesFields)
    }

    @usableFromInline
    func matches(_ event: Event, captures: inout [(String, String)], wantCaptures: Bool) -> Bool {
        for c in conditions {
            switch c {
            case .equals(let f, let v):
                if !event.field(f, equals: v) { return false }
            case .oneOf(let f, let vs):
                guard let t = event.text(of: f), vs.contains(t) else { return false }
            case .compare(let f, let op, let v):
                guard let n = event.number(of: f), op.holds(n, v) else { return false }
            case .inNetworks(let f, let nets):
                guard let t = event.text(of: f), let a = IPAddress(t), nets.contains(where: { $0.contains(a) }) else {
                    return false
                }
            case .exists(let f, let present):
                if (event.text(of: f) != nil) != present { return false }
            case .matches(let f, let p):
                guard let t = event.text(of: f) else { return false }
                if wantCaptures {
                    guard let groups = p.match(t) else { return false }
                    captures += groups
                } else if !p.matches(t) {
                    return false
                }
            case .not(let m):
                if m.matches(event) { return false }
            case .any(let ms):
                var found = false
                for m in ms {
                    var local: [(String, String)] = []
                    if m.matches(event, captures: &local, wantCaptures: wantCaptures) {
                        captures += local
                        found = true
                        break
                    }
                }
                if !found { return false }
            case .all(let ms):
                for m in ms where !m.matches(event, captures: &captures, wantCaptures: wantCaptures) { return false }
            }
        }
        return true
    }
}

extension Event {
    /// A field as a number: integer and floating-point attributes directly, text when it parses.
    @inlinable
    package func number(of field: Field) -> Double? {
        if case .attribute(let k) = field {
            switch attributes[k] {
            case .int(let i)?: return Double(i)
            case .double(let d)?: return d
            case .string(let s)?: return Double(s)
            case .bool?, nil: return nil
            }
        }
        return text(of: field).flatMap(Double.init)
    }
}
