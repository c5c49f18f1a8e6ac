import Synchronization

/// Records, while a body runs, the keys every strict mapping accepts (`mapping(_:known:)`), by what
/// the mapping is (`http`, `notify.retry`, `a receiver`). The test that checks every configuration key is
/// documented parses a full configuration under it. A task-local, so parsing elsewhere is unaffected.
package final class AcceptedKeys: Sendable {
    @TaskLocal static var current: AcceptedKeys?

    private let seen = Mutex<[String: Set<String>]>([:])

    private init() {}

    /// Runs `body`, returning what it returned and the keys accepted meanwhile.
    package static func record<T>(_ body: () throws -> T) rethrows -> (T, [String: Set<String>]) {
        let recorder = AcceptedKeys()
        let result = try $current.withValue(recorder) { try body() }
        return (result, recorder.seen.withLock { $0 })
    }

    static func note(_ what: String, _ known: [String]) {
        current?.seen.withLock { $0[what, default: []].formUnion(known) }
    }
}
