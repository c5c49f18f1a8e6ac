import EccCore
import EccNotify
import EccRules

/// The `notify:` section: the receivers and how failed sends are retried. Without it notifications are
/// off: routes are still evaluated (and shown), nothing is queued or sent.
public struct NotifySettings: Sendable, Equatable {
    public var receivers: [DispatchReceiver]
    public var retry = RetryPolicy()
    /// Where each receiver is defined, for errors.
    public var locations: [String: SourceLocation] = [:]

    public init(receivers: [DispatchReceiver], retry: RetryPolicy = RetryPolicy()) {
        self.receivers = receivers
        self.retry = retry
    }

    /// From the parsed `notify:` section.
    public init(_ c: NotifyConfig) {
        receivers = c.receivers.map { r in
            DispatchReceiver(
                name: r.name, channel: r.channel, rate: r.rateLimit.map { (perSecond: $0.rate, burst: $0.burst) },
                digestAfter: r.rateLimit?.digestAfter ?? 60_000_000_000)
        }
        retry.initial = c.retry.initial
        retry.maximum = c.retry.maximum
        retry.giveUpAfter = c.retry.giveUpAfter
        for r in c.receivers { locations[r.name] = r.location }
    }

    public static func == (a: NotifySettings, b: NotifySettings) -> Bool {
        a.receivers.map(\.name) == b.receivers.map(\.name) && a.retry == b.retry
    }

    /// Every receiver the rules name that is not defined here, as `file:line:column` errors.
    public func unknownReceivers(in rules: RuleSet) -> [ConfigError] {
        let known = Set(receivers.map(\.name))
        var seen = Set<String>()
        var out: [ConfigError] = []
        for use in rules.receiverUses where !known.contains(use.receiver) {
            guard seen.insert("\(use.user)/\(use.receiver)").inserted else { continue }
            out.append(
                ConfigError(
                    "\(use.user) names receiver '\(use.receiver)', which the configuration does not define (notify.receivers: "
                        + "\(known.sorted().joined(separator: ", ")))",
                    file: use.location?.file ?? "rules", at: use.location))
        }
        return out
    }
}
