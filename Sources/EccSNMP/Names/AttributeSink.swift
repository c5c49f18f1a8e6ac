import EccCore

/// Where a notification's attributes are set, key by key (a repeated key keeps its first place and its
/// last value): straight into an event's ``Attributes`` for small notifications, or into an
/// ``AttributesBuilder`` for large ones.
protocol AttributeSink {
    mutating func snmpAssign(_ key: String, _ value: AttributeValue)
}

extension Attributes: AttributeSink {
    /// Sets by a linear search: quadratic, so only for notifications of at most
    /// ``AttributesBuilder/linearUpTo`` varbinds.
    @inline(__always)
    mutating func snmpAssign(_ key: String, _ value: AttributeValue) { self[key] = value }
}

extension AttributesBuilder: AttributeSink {
    /// Sets in linear time (a hash set of the keys past a few): for notifications of more than
    /// ``AttributesBuilder/linearUpTo`` varbinds, whose count the receiver's varbind cap bounds.
    @inline(__always)
    mutating func snmpAssign(_ key: String, _ value: AttributeValue) { _ = set(key, value) }
}
