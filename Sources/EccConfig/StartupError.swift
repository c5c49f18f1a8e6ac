/// A problem that stops eccd from starting (or `eccd --check-config` from passing), said in one message.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
}

/// How far the engine may run ahead of the store (`database.max_uncommitted`, `max_uncommitted_age`).
public struct StoreLag: Sendable, Equatable {
    /// Most alarm changes handed to the store and not yet committed: `database.max_uncommitted`.
    public var maxChanges = 20_000
    /// Longest an uncommitted change may wait before the engine stops: `database.max_uncommitted_age`.
    public var maxAge: Duration = .seconds(1)

    public init() {}
}
