/// Why an incoming JSON event was refused: which field, what is wrong, and where.
package struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault (`severity`, `attributes.ifIndex`), or nil for a syntax error.
    package var field: String?
    /// What is wrong, for a human.
    package var message: String
    /// Byte offset in the input where the problem was found.
    package var offset: Int
    /// For arrays: the position of the offending event.
    package var index: Int?
    /// Which kind of refusal this is (the metrics' reason).
    package var reason: InputRefusal

    package init(field: String?, message: String, offset: Int, index: Int? = nil, reason: InputRefusal = .syntax) {
        self.field = field
        self.message = message
        self.offset = offset
        self.index = index
        self.reason = reason
    }

    package var description: String {
        var s = ""
        if let index { s += "event \(index): " }
        if let field { s += "field '\(field)': " } else { s += "invalid JSON at byte \(offset): " }
        return s + message
    }
}
