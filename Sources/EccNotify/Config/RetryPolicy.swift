import Foundation

/// Retries of temporary failures: exponential backoff with jitter, until `giveUpAfter` from the message's
/// creation.
package struct RetryPolicy: Sendable, Hashable {
    package var initial: Int64 = 10_000_000_000
    package var maximum: Int64 = 600_000_000_000
    package var giveUpAfter: Int64 = 86_400_000_000_000

    package init() {}

    /// The delay before attempt `n + 1` after `n` failed attempts: initial × 2^(n-1), at most `maximum`,
    /// scaled by a random factor in [0.5, 1] so that many messages failing together do not retry together.
    package func delay(afterAttempts n: Int, jitter: Double) -> Int64 {
        let base = Double(initial) * pow(2, Double(max(0, n - 1)))
        return Int64(min(base, Double(maximum)) * (0.5 + 0.5 * min(max(jitter, 0), 1)))
    }
}
