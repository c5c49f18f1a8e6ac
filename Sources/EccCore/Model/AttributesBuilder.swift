/// Builds ``Attributes`` from outside input in linear time, up to a limit.
///
/// `Attributes` searches its flat array for a duplicate key on every insertion, which is the fastest
/// for the dozen attributes a normal event has but quadratic for a hostile one with thousands. The
/// builder searches linearly while the list is short and switches to a hash set of the keys past
/// ``linearUpTo``, so any input costs time linear in its size; past `limit` it refuses.
public struct AttributesBuilder: Sendable {
    /// The attributes built so far.
    public private(set) var attributes: Attributes
    /// Most attributes accepted.
    public let limit: Int
    private var keys: Set<String>?

    /// Up to this many attributes a linear search is cheaper than hashing.
    public static let linearUpTo = 16

    /// Starts from `attributes` (usually empty).
    public init(_ attributes: Attributes = Attributes(), limit: Int) {
        self.attributes = attributes
        self.limit = limit
    }

    /// Reserves room for `n` attributes.
    public mutating func reserveCapacity(_ n: Int) { attributes.reserveCapacity(Swift.min(n, limit)) }

    /// Sets `key` (a later value for a key replaces the earlier one). Returns false, changing nothing,
    /// when `key` is new and the limit is reached.
    public mutating func set(_ key: String, _ value: AttributeValue) -> Bool {
        if keys == nil && attributes.count >= Self.linearUpTo {
            keys = Set(attributes.lazy.map(\.key))
        }
        let exists = keys.map { $0.contains(key) } ?? (attributes[key] != nil)
        if exists {
            attributes[key] = value
            return true
        }
        guard attributes.count < limit else { return false }
        attributes.appendUnchecked(key, value)
        keys?.insert(key)
        return true
    }
}
