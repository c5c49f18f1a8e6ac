import EccCore

/// What the notification dispatcher decides, as pure functions of the rules in force, what the outbox
/// holds and the time: which messages a due group, a repeat or an escalation step makes, when an
/// escalation stops, whether a receiver's rate limit lets a message go, and what a digest lists. The
/// dispatcher (``Dispatcher``, beside them) reads the outbox, calls these, and writes what they return in the same
/// transaction; they are tested without SQLite (`DispatchDecisionsTests`).
package enum DispatchDecisions {
    /// A due group's messages: for each receiver of its route, one `firing` message listing every firing
    /// alarm when some are new or changed, and one `resolved` message for the alarms that cleared; then
    /// when the group may speak again and when it repeats.
    package struct GroupFlush: Sendable, Equatable {
        package var messages: [MessageContent]
        /// `group_interval`: the group speaks again no sooner.
        package var interval: Int64
        /// When its firing alarms are told again (`repeat_interval`; nil: never).
        package var repeatAt: EventTime?
        /// The route's `send_resolved`, kept on the group with ``interval`` for the clears that follow (nil:
        /// the route is gone, the group keeps what it had).
        package var sendResolved: Bool?
    }

    /// How often a group of a route no longer in the rules is looked at again.
    package static let orphanInterval: Int64 = 300_000_000_000

    /// The flush of group `labels` of `route` (nil: the route is no longer in the rules, nothing is sent).
    package static func flush(
        _ route: Route?, named name: String, labels: [String: String], changed: Bool, firing: [AlarmInfo],
        resolved: [AlarmInfo], at now: EventTime
    ) -> GroupFlush {
        guard let route else {
            return GroupFlush(messages: [], interval: orphanInterval, repeatAt: nil, sendResolved: nil)
        }
        var messages: [MessageContent] = []
        for r in route.receivers {
            if changed, !firing.isEmpty {
                messages.append(
                    MessageContent(
                        kind: .firing, receiver: r, route: name, group: labels, alarms: firing, createdAt: now))
            }
            if !resolved.isEmpty {
                messages.append(
                    MessageContent(
                        kind: .resolved, receiver: r, route: name, group: labels, alarms: resolved, createdAt: now))
            }
        }
        return GroupFlush(
            messages: messages, interval: route.groupInterval,
            repeatAt: route.repeatInterval > 0 ? now.adding(nanoseconds: route.repeatInterval) : nil,
            sendResolved: route.sendResolved)
    }

    /// A group's repeat: its firing alarms told again to every receiver, and the next repeat (none when the
    /// route is gone or no longer repeats).
    package static func `repeat`(
        _ route: Route?, named name: String, labels: [String: String], firing: [AlarmInfo], at now: EventTime
    ) -> (messages: [MessageContent], next: EventTime?) {
        guard let route, route.repeatInterval > 0 else { return ([], nil) }
        let messages = route.receivers.map {
            MessageContent(kind: .repeat, receiver: $0, route: name, group: labels, alarms: firing, createdAt: now)
        }
        return (messages, now.adding(nanoseconds: route.repeatInterval))
    }

    /// What a due escalation step comes to.
    package enum EscalationStep: Sendable, Equatable {
        /// The escalation ends without a message, for this reason.
        case stop(String)
        /// These messages go out; `nextAt` nil ends the escalation (`reason` says why).
        case send([MessageContent], nextAt: EventTime?, reason: String)
    }

    /// Where an escalation stands when its step `step` (0-based) is due.
    package struct Escalation: Sendable, Equatable {
        package var policy: String
        package var step: Int
        package var startedAt: EventTime
        /// The alarm now (nil: gone).
        package var alarm: AlarmInfo?
        package var incidentID: Int64?
        package var incidentState: IncidentState?
        package var incidentAcknowledgedAt: EventTime?

        package init(
            policy: String, step: Int, startedAt: EventTime, alarm: AlarmInfo?, incidentID: Int64? = nil,
            incidentState: IncidentState? = nil, incidentAcknowledgedAt: EventTime? = nil
        ) {
            self.policy = policy
            self.step = step
            self.startedAt = startedAt
            self.alarm = alarm
            self.incidentID = incidentID
            self.incidentState = incidentState
            self.incidentAcknowledgedAt = incidentAcknowledgedAt
        }
    }

    /// A due step of escalation `e` under `policy` (nil: no longer in the rules): stop when the alarm
    /// cleared, the incident ended, or it was acknowledged after the escalation started (one acknowledged
    /// before, as one whose resolution target is missed usually is, still escalates); otherwise the step's
    /// receivers are told and the next step is timed from the start.
    package static func escalate(_ e: Escalation, policy: EscalationPolicy?, at now: EventTime) -> EscalationStep {
        guard let policy, e.step < policy.steps.count else {
            return .stop("escalation policy '\(e.policy)' is no longer in the rules")
        }
        guard let alarm = e.alarm, alarm.state == .active else { return .stop("alarm cleared") }
        if let s = e.incidentState, s == .resolved || s == .closed {
            return .stop("incident \(e.incidentID ?? 0) is \(s.rawValue)")
        }
        if let ack = e.incidentAcknowledgedAt, ack >= e.startedAt {
            return .stop("incident \(e.incidentID ?? 0) acknowledged")
        }
        let messages = policy.steps[e.step].receivers.map {
            MessageContent(
                kind: .escalation, receiver: $0, route: e.policy, group: [:], alarms: [alarm],
                escalationStep: e.step + 1, createdAt: now)
        }
        let next =
            e.step + 1 < policy.steps.count ? e.startedAt.adding(nanoseconds: policy.steps[e.step + 1].after) : nil
        return .send(messages, nextAt: next.map { max($0, now) }, reason: "last step (\(policy.steps.count)) sent")
    }

    /// A receiver's token bucket (its `rate_limit`): it fills at `rate` per second up to `burst`; a message
    /// takes one token, and one that finds none is held for the digest.
    package struct TokenBucket: Sendable, Equatable {
        package var tokens: Double
        package var at: Int64

        /// A full bucket at `now`.
        package init(_ limit: RateLimit, at now: EventTime) {
            tokens = Double(limit.burst)
            at = now.nanoseconds
        }

        /// Refills for the time since the last take, then takes a token if there is one.
        package mutating func take(_ limit: RateLimit, at now: EventTime) -> Bool {
            let elapsed = Double(max(0, now.nanoseconds - at)) / 1e9
            tokens = min(Double(limit.burst), tokens + elapsed * limit.rate)
            at = now.nanoseconds
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// Most held messages a digest lists; it says how many it stands for.
    package static let digestListed = 500

    /// Whether `receiver`'s held messages, the oldest held since `oldest`, are due as a digest.
    package static func digestDue(_ limit: RateLimit?, oldest: EventTime, at now: EventTime) -> Bool {
        now.nanoseconds - oldest.nanoseconds >= (limit?.digestAfter ?? 60_000_000_000)
    }

    /// The digest for `receiver` listing `held` (the first ``digestListed``; `total` is how many were held).
    package static func digest(receiver: String, held: [HeldMessage], total: Int, at now: EventTime) -> MessageContent {
        var content = MessageContent(
            kind: .digest, receiver: receiver, held: Array(held.prefix(digestListed)), createdAt: now)
        content.heldTotal = total
        return content
    }
}
