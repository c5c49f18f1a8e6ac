/// Builds ``Attributes`` from outside input in time linear in its size, up to a limit.
///
/// `Attributes` searches its flat array for a duplicate key on every insertion, which is the fastest
/// for the dozen attributes a normal event has but quadratic for a hostile one with thousands. The
/// builder searches linearly while the list is short and switches to an index (key → position) past
/// ``linearUpTo``, so adding a new key and replacing an existing one both cost one hash lookup however
/// many attributes there are; past `limit` new keys are refused.
package struct AttributesBuilder: Sendable {
    /// The attributes built so far.
    package private(set) var attributes: Attributes
    /// Most attributes accepted.
    package let limit: Int
    private var index: [String: Int]?

    /// Up to this many attributes a linear search is cheaper than hashing.
    package static let linearUpTo = 16

    /// Starts from `attributes` (usually empty).
    package init(_ attributes: Attributes = Attributes(), limit: Int) {
        self.attributes = attributes
        self.limit = limit
    }

    /// Reserves room for `n` attributes.
    package mutating func reserveCapacity(_ n: Int) { attributes.reserveCapacity(Swift.min(n, limit)) }

    /// Sets `key` (a later value for a key replaces the earlier one, in its place). Returns false,
    /// changing nothing, when `key` is new and the limit is reached.
    package mutating func set(_ key: String, _ value: AttributeValue) -> Bool {
        if index == nil && attributes.count >= Self.linearUpTo {
            var positions: [String: Int] = [:]
            positions.reserveCapacity(attributes.count * 2)
            for (i, a) in attributes.enumerated() { positions[a.key] = i }
            index = positions
        }
        if let index {
            if let i = index[key] {
                attributes.storage[i].value = value
                return true
            }
        } else if let i = attributes.storage.firstIndex(where: { $0.key == key }) {
            attributes.storage[i].value = value
            return true
        }
        guard attributes.count < limit else { return false }
        index?[key] = attributes.count
        attributes.appendUnchecked(key, value)
        return true
    }
}
