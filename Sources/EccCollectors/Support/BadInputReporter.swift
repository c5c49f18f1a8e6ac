import EccCore
import Logging
import Synchronization

/// Counts refused input (malformed lines and packets, limits exceeded) by ``InputRefusal`` reason and logs
/// it without flooding the log: at most one line per interval, saying how many were suppressed since.
package final class BadInputReporter: Sendable {
    private let logger: Logger
    /// The collector's name (`tcp`, `http`): the metrics' `collector` label.
    package let collector: String
    private let interval: Duration
    private let total = Atomic<Int>(0)
    private let byReason: Mutex<[Int]>
    private let state = Mutex<(lastLog: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    package init(collector: String, logger: Logger, intervalSeconds: Double = 1) {
        self.collector = collector
        self.logger = logger
        interval = .milliseconds(Int(intervalSeconds * 1000))
        byReason = Mutex(Array(repeating: 0, count: InputRefusal.allCases.count))
    }

    /// Refusals seen so far.
    package var count: Int { total.load(ordering: .relaxed) }

    /// Refusals seen so far for one reason.
    package func count(_ reason: InputRefusal) -> Int {
        byReason.withLock { $0[Self.index(reason)] }
    }

    /// Every reason with its count, in declaration order.
    package var counts: [(reason: InputRefusal, count: Int)] {
        let counts = byReason.withLock { $0 }
        return zip(InputRefusal.allCases, counts).map { ($0, $1) }
    }

    private static func index(_ reason: InputRefusal) -> Int {
        // allCases is in declaration order; the enum is small, so a scan is cheaper than a table.
        InputRefusal.allCases.firstIndex(of: reason) ?? 0
    }

    /// Counts one refused input and maybe logs it. `detail` may quote the input: the log handler escapes it.
    /// It is made only when logged, so a flood of refusals (a sender over its rate) costs no string each.
    package func report(_ message: String, peer: String, detail: @autoclosure () -> String, reason: InputRefusal) {
        total.add(1, ordering: .relaxed)
        byReason.withLock { $0[Self.index(reason)] += 1 }
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { s in
            if let last = s.lastLog, now - last < interval {
                s.suppressed += 1
                return nil
            }
            let n = s.suppressed
            s = (now, 0)
            return n
        }
        guard let suppressed else { return }
        logger.warning(
            "\(message)",
            metadata: [
                "ecc.collector": "\(collector)", "ecc.peer": "\(peer)", "ecc.reason": "\(reason.rawValue)",
                "ecc.error": "\(detail())", "ecc.suppressed": "\(suppressed)", "ecc.bad_total": "\(count)",
            ])
    }
}
