import Logging
import Synchronization

/// Counts bad input (malformed lines, packets) and logs it without flooding the log: at most one line
/// per interval, saying how many were suppressed since the last one.
public final class BadInputReporter: Sendable {
    private let logger: Logger
    private let collector: String
    private let interval: Duration
    private let total = Atomic<Int>(0)
    private let state = Mutex<(lastLog: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    public init(collector: String, logger: Logger, intervalSeconds: Double = 1) {
        self.collector = collector
        self.logger = logger
        interval = .milliseconds(Int(intervalSeconds * 1000))
    }

    /// Bad inputs seen so far.
    public var count: Int { total.load(ordering: .relaxed) }

    /// Counts one bad input and maybe logs it.
    public func report(_ message: String, peer: String, detail: String) {
        total.add(1, ordering: .relaxed)
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
                "ecc.collector": "\(collector)", "ecc.peer": "\(peer)", "ecc.error": "\(detail)",
                "ecc.suppressed": "\(suppressed)", "ecc.bad_total": "\(count)",
            ])
    }
}
