/// An event's attributes: a small ordered list with unique keys.
///
/// Events carry few attributes (typically under a dozen), so a flat array searched linearly beats a
/// dictionary: one allocation instead of a hash table, and a cheaper copy across the bus.
package struct Attributes: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    @usableFromInline
    var storage: [Attribute]

    /// Creates an empty attribute list; it does not allocate.
    @inlinable
    package init() { storage = [] }

    /// Creates attributes from pairs; a later duplicate key replaces the earlier value.
    package init(_ pairs: [(String, AttributeValue)]) {
        storage = []
        storage.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    package init(dictionaryLiteral elements: (String, AttributeValue)...) {
        self.init(elements)
    }

    package var startIndex: Int { storage.startIndex }
    package var endIndex: Int { storage.endIndex }
    package subscript(position: Int) -> Attribute { storage[position] }

    /// Reserves room for `n` attributes.
    package mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(n) }

    /// The value for `key`, or nil.
    @inlinable
    package subscript(key: String) -> AttributeValue? {
        get {
            for a in storage where a.key == key { return a.value }
            return nil
        }
        set {
            if let i = storage.firstIndex(where: { $0.key == key }) {
                if let newValue { storage[i].value = newValue } else { storage.remove(at: i) }
            } else if let newValue {
                storage.append(Attribute(key, newValue))
            }
        }
    }

    /// Appends without checking for an existing key; for decoders that already checked.
    @inlinable
    package mutating func appendUnchecked(_ key: String, _ value: AttributeValue) {
        storage.append(Attribute(key, value))
    }
}
