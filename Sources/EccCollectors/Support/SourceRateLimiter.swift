import EccSNMP

/// At most `rate` messages a second from each sender address, in bursts of up to a second's worth (a
/// ``TokenBucket`` per address): a sender flooding a datagram receiver has its excess dropped and counted,
/// so it cannot take the bus, the engine and the store from the others. A datagram cannot be slowed down,
/// so dropping is the only choice; a stream sender is slowed down by backpressure instead.
///
/// Owned by one receive thread (no lock). At most ``maxTracked`` addresses have buckets of their own; past
/// that (a flood from spoofed source addresses), the rest share one, so memory stays bounded, and senders
/// eccd has not seen in the last second share that bucket with the flood until the table has room again.
struct SourceRateLimiter {
    static let maxTracked = 16_384
    private let rate: Int
    private let start: ContinuousClock.Instant
    private var buckets: [String: (bucket: TokenBucket, seen: UInt64)] = [:]
    private var untracked: TokenBucket
    private var lastPrune: UInt64 = 0

    init(perSecond: Int, now: ContinuousClock.Instant = .now) {
        rate = perSecond
        start = now
        untracked = TokenBucket(rate: perSecond)
    }

    /// Whether one more message from `sender` at `now` is within its rate (and takes its token if so).
    mutating func admit(_ sender: String, now: ContinuousClock.Instant) -> Bool {
        let t = nanoseconds(now)
        if buckets[sender] == nil && buckets.count >= Self.maxTracked { prune(t) }
        guard buckets[sender] != nil || buckets.count < Self.maxTracked else { return untracked.take(at: t) }
        var entry = buckets[sender] ?? (TokenBucket(rate: rate), t)
        let admitted = entry.bucket.take(at: t)
        entry.seen = t
        buckets[sender] = entry
        return admitted
    }

    private func nanoseconds(_ now: ContinuousClock.Instant) -> UInt64 {
        let d = now - start
        guard d > .zero else { return 0 }
        return UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
    }

    /// Forgets the senders quiet for a second or more (their buckets are full again); at most once a second,
    /// so a table full of busy senders does not make every new one cost a pass over it.
    private mutating func prune(_ t: UInt64) {
        guard t >= lastPrune + 1_000_000_000 else { return }
        lastPrune = t
        buckets = buckets.filter { t < $0.value.seen + 1_000_000_000 }
    }
}
