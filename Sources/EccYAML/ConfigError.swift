import EccCore

/// A problem in a rule or configuration file, reported as `file:line:column: message`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    public var file: String
    public var message: String

    public init(_ message: String, file: String, at location: SourceLocation? = nil) {
        self.message = message
        self.file = file
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return "\(file): \(message)"
    }
}

/// Every problem found in a set of files; a load with any error applies nothing.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    /// One `file:line:column: message` per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
