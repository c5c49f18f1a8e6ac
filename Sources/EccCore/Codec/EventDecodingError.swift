/// Why an incoming JSON event was refused: which field, what is wrong, and where.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field at fault (`severity`, `attributes.ifIndex`), or nil for a syntax error.
    public var field: String?
    /// What is wrong, for a human.
    public var message: String
    /// Byte offset in the input where the problem was found.
    public var offset: Int
    /// For arrays: the position of the offending event.
    public var index: Int?
    /// Which kind of refusal this is (the metrics' reason).
    public var reason: InputRefusal

    public init(field: String?, message: String, offset: Int, index: Int? = nil, reason: InputRefusal = .syntax) {
        self.field = field
        self.message = message
        self.offset = offset
        self.index = index
        self.reason = reason
    }

    public var description: String {
        var s = ""
        if let index { s += "event \(index): " }
        if let field { s += "field '\(field)': " } else { s += "invalid JSON at byte \(offset): " }
        return s + message
    }
}
