/// A typed attribute value. Matching and templates use its ``text`` form.
package enum AttributeValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    /// The value as text, the form rules compare against.
    @inlinable
    package var text: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "true" : "false"
        }
    }

    /// True when the text form equals `other`, without building a string for strings.
    @inlinable
    package func textEquals(_ other: String) -> Bool {
        switch self {
        case .string(let s): s == other
        case .int(let i): Int64(other) == i
        case .double(let d): Double(other) == d
        case .bool(let b): other == (b ? "true" : "false")
        }
    }

    package var description: String { text }
}

/// One named attribute.
package struct Attribute: Sendable, Hashable {
    /// The attribute's name, e.g. `ifIndex`.
    package var key: String
    /// Its typed value.
    package var value: AttributeValue

    @inlinable
    package init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}
