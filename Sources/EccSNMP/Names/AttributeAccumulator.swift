import EccCore

/// Where a notification's attributes are set, key by key (a repeated key keeps its first place and its
/// last value): straight into an event's ``Attributes`` for small notifications, or into an
/// ``AttributeAccumulator`` for large ones.
protocol AttributeSink {
    mutating func snmpAssign(_ key: String, _ value: AttributeValue)
}

extension Attributes: AttributeSink {
    /// Sets by a linear search: quadratic, so only for notifications of at most
    /// ``AttributeAccumulator/directUpTo`` varbinds.
    @inline(__always)
    mutating func snmpAssign(_ key: String, _ value: AttributeValue) { self[key] = value }
}

/// Attributes set in linear time: a hash index beside the list, so a notification of many varbinds
/// costs one lookup per key instead of a scan of every key set before it. The result is the list
/// ``Attributes`` would hold after the same sets.
struct AttributeAccumulator: AttributeSink {
    /// Notifications with at most this many varbinds set their attributes directly (a short scan is
    /// cheaper than a hash table); larger ones go through an accumulator.
    static let directUpTo = 16

    private var keys: [String] = []
    private var values: [AttributeValue] = []
    private var index: [String: Int] = [:]

    init(capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        index.reserveCapacity(capacity)
    }

    /// Takes over what is already set (the fixed keys), so a varbind's key that equals one replaces it.
    init(_ attributes: Attributes, capacity: Int) {
        self.init(capacity: capacity + attributes.count)
        for a in attributes { snmpAssign(a.key, a.value) }
    }

    mutating func snmpAssign(_ key: String, _ value: AttributeValue) {
        if let i = index[key] {
            values[i] = value
        } else {
            index[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    /// The attributes, in the order their keys were first set.
    var attributes: Attributes {
        var out = Attributes()
        out.reserveCapacity(keys.count)
        for (k, v) in zip(keys, values) { out.appendUnchecked(k, v) }
        return out
    }
}
