/// A token bucket: `rate` tokens a second, holding at most `burst`; time is given by the caller
/// (nanoseconds of a monotonic clock), so it is a pure value.
package struct TokenBucket: Sendable {
    package let rate: Int
    package let burst: Int
    private var tokens: Int
    private var last: UInt64?
    /// Nanoseconds carried over that did not yet make a whole token.
    private var remainder: UInt64 = 0

    package init(rate: Int, burst: Int? = nil) {
        precondition(rate > 0, "a token bucket needs a positive rate")
        self.rate = rate
        self.burst = max(1, burst ?? rate)
        tokens = self.burst
    }

    /// Takes one token if there is one at `now` (nanoseconds, never going back).
    package mutating func take(at now: UInt64) -> Bool {
        if let last, now > last {
            // Whole tokens earned since `last`; what is left over counts toward the next one.
            let elapsed = (now - last) + remainder
            let perToken = 1_000_000_000 / UInt64(rate)
            if perToken == 0 {
                tokens = burst
                remainder = 0
            } else {
                let earned = elapsed / perToken
                remainder = elapsed % perToken
                tokens = earned >= UInt64(burst) ? burst : min(burst, tokens + Int(earned))
                if tokens == burst { remainder = 0 }
            }
        }
        if last == nil || now > (last ?? 0) { last = now }
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }
}
