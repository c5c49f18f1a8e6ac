/// A problem that stops eccd from starting (or `eccd --check-config` from passing), said in one message.
package struct StartupError: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) { self.description = description }
}

/// How far the engine may run ahead of the store (`database.max_uncommitted`, `max_uncommitted_age`).
package struct StoreLag: Sendable, Equatable {
    /// Most alarm changes handed to the store and not yet committed: `database.max_uncommitted`.
    package var maxChanges = 20_000
    /// Longest an uncommitted change may wait before the engine stops: `database.max_uncommitted_age`.
    package var maxAge: Duration = .seconds(1)

    package init() {}
}
