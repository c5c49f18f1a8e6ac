import Synchronization

/// Messages accepted and rejected per sender address, for `/metrics`: at most ``maxSources`` addresses,
/// the rest counted under `other`. A receive thread counts in a ``Tally`` of its own and hands it over about
/// once a second, so the hot path takes no lock.
package final class SourceCounters: Sendable {
    package struct Count: Sendable, Equatable {
        package var accepted = 0
        package var rejected = 0

        package init(accepted: Int = 0, rejected: Int = 0) {
            self.accepted = accepted
            self.rejected = rejected
        }
    }

    package static let maxSources = 1024
    private let counts = Mutex<[String: Count]>([:])

    package init() {}

    func merge(_ more: [String: Count]) {
        counts.withLock { all in
            for (source, c) in more {
                let key = all[source] != nil || all.count < Self.maxSources ? source : "other"
                all[key, default: Count()].accepted += c.accepted
                all[key, default: Count()].rejected += c.rejected
            }
        }
    }

    /// Sender address → counts.
    package var bySource: [String: Count] { counts.withLock { $0 } }

    /// A receive thread's counts since it last handed them over.
    struct Tally {
        private var perSource: [String: Count] = [:]
        private var published = ContinuousClock.now

        mutating func count(_ sender: String, accepted: Bool) {
            let key = perSource[sender] != nil || perSource.count < SourceCounters.maxSources ? sender : "other"
            if accepted {
                perSource[key, default: Count()].accepted += 1
            } else {
                perSource[key, default: Count()].rejected += 1
            }
        }

        /// Hands the counts to `shared` about once a second (every time with `force`).
        mutating func publish(to shared: SourceCounters, force: Bool) {
            let now = ContinuousClock.now
            guard force || now - published >= .seconds(1), !perSource.isEmpty else { return }
            published = now
            shared.merge(perSource)
            perSource.removeAll(keepingCapacity: true)
        }
    }
}
