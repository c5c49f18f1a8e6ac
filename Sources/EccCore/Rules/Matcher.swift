/// A compiled `when` / `clear_when` clause: every condition must hold.
///
/// The minimal language has field equality only; the conditions are an enum so the richer operators
/// (lists, regex, numeric, CIDR, exists, not/any/all) slot in as new cases.
public struct Matcher: Sendable, Hashable {
    /// One condition on one field.
    public enum Condition: Sendable, Hashable {
        /// The field's text equals the value.
        case equals(Field, String)
    }

    /// All conditions; an empty list matches every event.
    public let conditions: [Condition]

    public init(_ conditions: [Condition]) {
        self.conditions = conditions
    }

    /// The value an event's `type` must have for this matcher to match, if it says so; used to index rules.
    public var requiredType: String? {
        for case .equals(.type, let v) in conditions { return v }
        return nil
    }

    /// Tests an event.
    @inlinable
    public func matches(_ event: Event) -> Bool {
        for c in conditions {
            switch c {
            case .equals(let f, let v):
                if !event.field(f, equals: v) { return false }
            }
        }
        return true
    }
}
