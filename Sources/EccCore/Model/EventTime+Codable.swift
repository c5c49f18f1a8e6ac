/// An event time codes as its nanoseconds since the epoch (one integer), so a stored value decodes to the
/// same instant exactly.
extension EventTime: Codable {
    /// Decodes the nanoseconds since the epoch.
    public init(from decoder: any Decoder) throws {
        self.init(nanoseconds: try decoder.singleValueContainer().decode(Int64.self))
    }

    /// Encodes the nanoseconds since the epoch.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(nanoseconds)
    }
}
