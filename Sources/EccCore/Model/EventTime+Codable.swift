extension EventTime: Codable {
    /// Decodes nanoseconds since the epoch (a single integer), as ``encode(to:)`` writes it.
    package init(from decoder: any Decoder) throws {
        self.init(nanoseconds: try decoder.singleValueContainer().decode(Int64.self))
    }

    /// Encodes nanoseconds since the epoch as a single integer (exact, unlike seconds as a double).
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(nanoseconds)
    }
}
