import EccCore

/// A problem in a rule or configuration file, reported as `file:line:column: message`.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var location: SourceLocation?
    package var file: String
    package var message: String

    package init(_ message: String, file: String, at location: SourceLocation? = nil) {
        self.message = message
        self.file = file
        self.location = location
    }

    package var description: String {
        if let location { return "\(location): \(message)" }
        return "\(file): \(message)"
    }
}

/// Every problem found in a set of files; a load with any error applies nothing.
package struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    package var errors: [ConfigError]

    package init(_ errors: [ConfigError]) { self.errors = errors }

    /// One `file:line:column: message` per line.
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
