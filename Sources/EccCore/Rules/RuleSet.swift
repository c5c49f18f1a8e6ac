/// An ordered, validated set of rules with an index from event type to candidate rules.
///
/// Rules are evaluated in file order (files sorted by name, rules in the order written). The index
/// only narrows which rules are looked at; it never changes that order.
public struct RuleSet: Sendable {
    /// The rules in evaluation order.
    public let rules: [Rule]
    // type value -> indices (ascending) of rules whose `when` may match an event of that type.
    private let whenByType: [String: [Int]]
    private let whenAnyType: [Int]
    private let clearByType: [String: [Int]]
    private let clearAnyType: [Int]

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
        (whenByType, whenAnyType) = Self.index(rules.map(\.when))
        (clearByType, clearAnyType) = Self.index(rules.map { $0.clearWhen })
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
            if let t = m.requiredType { byType[t, default: []].append(i) } else { any.append(i) }
        }
        // Merge the any-type rules into each list so one lookup yields every candidate in order.
        for (t, list) in byType { byType[t] = (list + any).sorted() }
        return (byType, any)
    }

    /// Indices of rules whose `when` may match an event of this type, in evaluation order.
    @inlinable
    public func whenCandidates(type: String) -> [Int] {
        whenCandidatesStorage(type)
    }

    /// Indices of rules whose `clear_when` may match an event of this type, in evaluation order.
    @inlinable
    public func clearCandidates(type: String) -> [Int] {
        clearCandidatesStorage(type)
    }

    @usableFromInline
    func whenCandidatesStorage(_ type: String) -> [Int] { whenByType[type] ?? whenAnyType }

    @usableFromInline
    func clearCandidatesStorage(_ type: String) -> [Int] { clearByType[type] ?? clearAnyType }
}
