/// At most `rate` messages a second from each sender address, in bursts of up to a second's worth (a
/// token bucket per address): a sender flooding a datagram receiver has its excess dropped and counted, so
/// it cannot take the bus, the engine and the store from the others. A datagram cannot be slowed down, so
/// dropping is the only choice; a stream sender is slowed down by backpressure instead.
///
/// Owned by one receive thread (no lock). At most ``maxTracked`` addresses have buckets of their own; past
/// that (spoofed source addresses), the rest share one, so memory stays bounded.
struct SourceRateLimiter {
    static let maxTracked = 16_384
    private struct Bucket {
        var tokens: Double
        var at: ContinuousClock.Instant
    }

    let rate: Double
    private var buckets: [String: Bucket] = [:]
    private var untracked: Bucket
    private var lastPrune: ContinuousClock.Instant

    init(perSecond: Int, now: ContinuousClock.Instant = .now) {
        rate = Double(perSecond)
        untracked = Bucket(tokens: rate, at: now)
        lastPrune = now
    }

    /// Whether one more message from `sender` at `now` is within its rate (and takes its token if so).
    mutating func admit(_ sender: String, now: ContinuousClock.Instant) -> Bool {
        if buckets[sender] == nil && buckets.count >= Self.maxTracked { prune(now) }
        guard buckets[sender] != nil || buckets.count < Self.maxTracked else { return take(&untracked, now) }
        var bucket = buckets[sender] ?? Bucket(tokens: rate, at: now)
        let admitted = take(&bucket, now)
        buckets[sender] = bucket
        return admitted
    }

    private func take(_ b: inout Bucket, _ now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - b.at
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        b.tokens = min(rate, b.tokens + max(0, seconds) * rate)
        b.at = now
        guard b.tokens >= 1 else { return false }
        b.tokens -= 1
        return true
    }

    /// Forgets the senders quiet for a second or more (their buckets are full again); at most once a second,
    /// so a table full of busy senders does not make every new one cost a pass over it.
    private mutating func prune(_ now: ContinuousClock.Instant) {
        guard now - lastPrune >= .seconds(1) else { return }
        lastPrune = now
        buckets = buckets.filter { now - $0.value.at < .seconds(1) }
    }
}
