/// An ordered, validated set of rules with an index from event type to candidate rules.
///
/// Rules are evaluated in file order (files sorted by name, rules in the order written). The index
/// only narrows which rules are looked at; it never changes that order.
public struct RuleSet: Sendable {
    /// The rules in evaluation order.
    public let rules: [Rule]
    /// Rules that may apply to an event of one type: indices ascending, so evaluation order is kept.
    public struct Candidates: Sendable {
        /// Rules whose `when` may match.
        public var when: [Int]
        /// Rules whose `clear_when` may match.
        public var clear: [Int]
    }

    // One lookup per event: type value -> candidates; events of other types get `anyType`.
    private let byType: [String: Candidates]
    private let anyType: Candidates

    /// A problem with the set as a whole.
    public struct ValidationError: Error, Sendable, Equatable {
        public var message: String
        public var location: SourceLocation?
    }

    /// Builds the set; throws on duplicate rule names.
    public init(_ rules: [Rule]) throws(ValidationError) {
        var seen: [String: Rule] = [:]
        for r in rules {
            if let first = seen[r.name] {
                let at = first.location.map { " (first defined at \($0))" } ?? ""
                throw ValidationError(message: "duplicate rule name '\(r.name)'\(at)", location: r.location)
            }
            seen[r.name] = r
        }
        self.rules = rules
        let (whenByType, whenAny) = Self.index(rules.map(\.when))
        let (clearByType, clearAny) = Self.index(rules.map { $0.clearWhen })
        var byType: [String: Candidates] = [:]
        for t in Set(whenByType.keys).union(clearByType.keys) {
            byType[t] = Candidates(when: whenByType[t] ?? whenAny, clear: clearByType[t] ?? clearAny)
        }
        self.byType = byType
        anyType = Candidates(when: whenAny, clear: clearAny)
    }

    /// An empty rule set.
    public static let empty: RuleSet = {
        do { return try RuleSet([]) } catch { preconditionFailure("an empty rule set is always valid") }
    }()

    private static func index(_ matchers: [Matcher?]) -> ([String: [Int]], [Int]) {
        var byType: [String: [Int]] = [:]
        var any: [Int] = []
        for (i, m) in matchers.enumerated() {
            guard let m else { continue }
            if let types = m.requiredTypes {
                for t in types { byType[t, default: []].append(i) }
            } else {
                any.append(i)
            }
        }
        // Merge the any-type rules into each list so one lookup yields every candidate in order.
        for (t, list) in byType { byType[t] = (list + any).sorted() }
        return (byType, any)
    }

    /// The rules that may apply to an event of this type, in evaluation order.
    public func candidates(type: String) -> Candidates {
        byType[type] ?? anyType
    }
}
