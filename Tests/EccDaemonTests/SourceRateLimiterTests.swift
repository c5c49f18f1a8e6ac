import Testing

@testable import EccCollectors

@Suite("Per-source rate limit")
struct SourceRateLimiterTests {
    /// How many of `n` messages from `sender` at `now` the limiter lets through.
    func admitted(_ limiter: inout SourceRateLimiter, _ n: Int, _ sender: String, _ now: ContinuousClock.Instant) -> Int
    {
        (0..<n).reduce(0) { count, _ in count + (limiter.admit(sender, now: now) ? 1 : 0) }
    }

    @Test("a second's worth at once, then the rate; each sender on its own; refilled as time passes")
    func buckets() {
        let t0 = ContinuousClock.now
        var limiter = SourceRateLimiter(perSecond: 10, now: t0)
        let burst = admitted(&limiter, 15, "192.0.2.1", t0)
        let other = admitted(&limiter, 5, "192.0.2.2", t0)
        let soon = admitted(&limiter, 1, "192.0.2.1", t0 + .milliseconds(50))
        let later = admitted(&limiter, 5, "192.0.2.1", t0 + .milliseconds(300))
        let muchLater = admitted(&limiter, 20, "192.0.2.1", t0 + .seconds(10))
        #expect(burst == 10)
        #expect(other == 5)
        #expect(soon == 0)
        #expect(later == 3)
        #expect(muchLater == 10)
    }

    @Test("past maxTracked senders the rest share one bucket; quiet senders are forgotten, at most once a second")
    func bounded() {
        let t0 = ContinuousClock.now
        var limiter = SourceRateLimiter(perSecond: 2, now: t0)
        let tracked = (0..<SourceRateLimiter.maxTracked).reduce(0) { $0 + admitted(&limiter, 1, "s\($1)", t0) }
        // Untracked newcomers share one bucket of 2.
        let newcomers = (0..<5).reduce(0) { $0 + admitted(&limiter, 1, "new\($1)", t0) }
        // Two seconds later the quiet ones are forgotten: each newcomer gets a bucket of its own.
        let late = admitted(&limiter, 3, "late", t0 + .seconds(2))
        let later = admitted(&limiter, 3, "later", t0 + .seconds(2))
        #expect(tracked == SourceRateLimiter.maxTracked)
        #expect(newcomers == 2)
        #expect(late == 2 && later == 2)
    }
}
