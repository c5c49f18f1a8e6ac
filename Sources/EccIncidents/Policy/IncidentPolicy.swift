import EccCore
import Foundation

/// How much a configuration item matters: with the alarm's severity, it gives the incident's priority.
package enum Criticality: String, Sendable, CaseIterable {
    case high
    case medium
    case low

    var urgency: Int {
        switch self {
        case .high: 0
        case .medium: 1
        case .low: 2
        }
    }
}

/// Response and resolution targets of one priority.
package struct SLATarget: Sendable, Equatable {
    /// Time to the first acknowledgement (nanoseconds).
    package var response: Int64
    /// Time to resolution (nanoseconds).
    package var resolution: Int64
    /// Counted in business hours (``IncidentPolicy/businessHours``) rather than around the clock.
    package var businessHours: Bool

    package init(response: Int64, resolution: Int64, businessHours: Bool = false) {
        self.response = response
        self.resolution = resolution
        self.businessHours = businessHours
    }
}

/// Working days and hours in a time zone, for SLA clocks that stop outside them.
package struct BusinessHours: Sendable, Equatable {
    /// Weekdays (1 = Sunday … 7 = Saturday, as `Calendar` numbers them).
    package var days: Set<Int>
    /// Minutes after local midnight.
    package var start: Int
    package var end: Int
    package var timeZone: TimeZone

    package init(days: Set<Int>, start: Int, end: Int, timeZone: TimeZone) {
        self.days = days
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    /// The time `duration` business nanoseconds after `from`.
    package func adding(_ duration: Int64, to from: EventTime) -> EventTime {
        guard !days.isEmpty, end > start else { return from.adding(nanoseconds: duration) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var remaining = duration
        var day = calendar.startOfDay(for: from.date)
        // At most ten years of days: a target never needs more, and a bad configuration must not loop.
        for _ in 0..<3660 {
            let weekday = calendar.component(.weekday, from: day)
            if days.contains(weekday), let open = calendar.date(byAdding: .minute, value: start, to: day),
                let close = calendar.date(byAdding: .minute, value: end, to: day)
            {
                let o = EventTime(open)
                let c = EventTime(close)
                let begin = max(o, from)
                if begin < c {
                    let available = c.nanoseconds - begin.nanoseconds
                    if remaining <= available { return begin.adding(nanoseconds: remaining) }
                    remaining -= available
                }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return from.adding(nanoseconds: duration)
    }

    /// The business nanoseconds between `from` and `to` (0 when `to` is not later): the inverse of
    /// ``adding(_:to:)``.
    package func duration(from: EventTime, to: EventTime) -> Int64 {
        guard to > from else { return 0 }
        guard !days.isEmpty, end > start else { return to.nanoseconds - from.nanoseconds }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var total: Int64 = 0
        var day = calendar.startOfDay(for: from.date)
        // At most ten years of days, as in adding(_:to:).
        for _ in 0..<3660 {
            guard EventTime(day) < to else { break }
            let weekday = calendar.component(.weekday, from: day)
            if days.contains(weekday), let open = calendar.date(byAdding: .minute, value: start, to: day),
                let close = calendar.date(byAdding: .minute, value: end, to: day)
            {
                let begin = max(EventTime(open), from)
                let finish = min(EventTime(close), to)
                if begin < finish { total += finish.nanoseconds - begin.nanoseconds }
            }
            guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
            day = next
        }
        return total
    }
}

/// What the store needs to know about an alarm to open an incident for it.
package struct IncidentClassification: Sendable, Equatable {
    /// The configuration item the incident is about.
    package var ci: String
    package var criticality: Criticality
    /// The CI or customer requires a follow-up note before the incident can be closed.
    package var followUp: Bool
    /// False for alarms whose rule says `incident: false` (e.g. SLA breach alarms): notified, no incident.
    package var opensIncident: Bool

    package init(ci: String, criticality: Criticality = .medium, followUp: Bool = false, opensIncident: Bool = true) {
        self.ci = ci
        self.criticality = criticality
        self.followUp = followUp
        self.opensIncident = opensIncident
    }
}

/// How incidents are opened, prioritised and timed.
package struct IncidentPolicy: Sendable {
    /// Targets by priority (1 = P1 … 5 = P5).
    package var sla: [Int: SLATarget]
    /// A resolved incident whose alarm returns within this time (nanoseconds) is reopened, not duplicated.
    package var reopenWindow: Int64
    /// Near-breach is announced when this fraction of a target has passed (0 turns it off).
    package var nearBreach: Double
    /// Used by targets with ``SLATarget/businessHours``.
    package var businessHours: BusinessHours?
    /// True: symptoms of a root cause get incidents of their own (one per alarm); false (the default):
    /// they are linked to the root cause's incident (one per root cause).
    package var symptomIncidents = false
    /// CI, criticality and follow-up of an alarm (given its raising event when known).
    package var classify: @Sendable (Alarm, Event?) -> IncidentClassification

    package init(
        sla: [Int: SLATarget] = IncidentPolicy.defaultSLA, reopenWindow: Int64 = 3_600_000_000_000,
        nearBreach: Double = 0.8, businessHours: BusinessHours? = nil,
        classify: @escaping @Sendable (Alarm, Event?) -> IncidentClassification = IncidentPolicy.classifyByEvent
    ) {
        self.sla = sla
        self.reopenWindow = reopenWindow
        self.nearBreach = nearBreach
        self.businessHours = businessHours
        self.classify = classify
    }

    private static let minute: Int64 = 60_000_000_000

    /// P1 15 min / 4 h, P2 30 min / 8 h, P3 2 h / 48 h (the classic line-repair target), P4 8 h / 5 days,
    /// P5 1 day / 10 days; around the clock.
    package static let defaultSLA: [Int: SLATarget] = [
        1: SLATarget(response: 15 * minute, resolution: 240 * minute),
        2: SLATarget(response: 30 * minute, resolution: 480 * minute),
        3: SLATarget(response: 120 * minute, resolution: 48 * 60 * minute),
        4: SLATarget(response: 480 * minute, resolution: 5 * 24 * 60 * minute),
        5: SLATarget(response: 24 * 60 * minute, resolution: 10 * 24 * 60 * minute),
    ]

    /// Without rules at hand: the event's `ci`, `criticality` and `follow_up` fields, else the host.
    package static let classifyByEvent: @Sendable (Alarm, Event?) -> IncidentClassification = { alarm, event in
        let ci = event?.text(of: .attribute("ci")) ?? alarm.host
        let crit = event?.text(of: .attribute("criticality")).flatMap(Criticality.init(rawValue:)) ?? .medium
        let followUp = event?.text(of: .attribute("follow_up")).map { ["true", "yes", "1"].contains($0) } ?? false
        return IncidentClassification(ci: ci, criticality: crit, followUp: followUp)
    }

    /// Priority 1 (P1, most urgent) to 5 from the alarm's severity and the CI's criticality: critical on a
    /// high-criticality CI is P1, each step down in either is one priority lower.
    package static func priority(severity: Severity, criticality: Criticality) -> Int {
        let impact: Int
        switch severity {
        case .critical: impact = 1
        case .major: impact = 2
        case .minor: impact = 3
        case .warning: impact = 4
        default: impact = 5
        }
        return min(5, max(1, impact + criticality.urgency))
    }

    /// True when the targets of `priority` are counted in business hours (and business hours are set).
    package func countsBusinessHours(priority: Int) -> Bool {
        businessHours != nil && sla[priority]?.businessHours == true
    }

    /// When the near-breach of a target opened at `opened` and due at `due` is announced: when
    /// ``nearBreach`` of the time between them has passed — counted in business hours for a priority
    /// whose targets are, so that (say) 80 % of a Friday-evening P3's two business hours fall on
    /// Monday morning, not on Sunday.
    package func nearBreachPoint(priority: Int, opened: EventTime, due: EventTime) -> EventTime {
        let fraction = min(1, max(0, nearBreach))
        if countsBusinessHours(priority: priority), let bh = businessHours {
            let total = bh.duration(from: opened, to: due)
            return bh.adding(Int64(Double(total) * fraction), to: opened)
        }
        return opened.adding(nanoseconds: Int64(Double(due.nanoseconds - opened.nanoseconds) * fraction))
    }

    /// Response and resolution deadlines of an incident of `priority` opened at `opened`.
    package func deadlines(priority: Int, opened: EventTime) -> (response: EventTime?, resolution: EventTime?) {
        guard let t = sla[priority] else { return (nil, nil) }
        if t.businessHours, let bh = businessHours {
            return (bh.adding(t.response, to: opened), bh.adding(t.resolution, to: opened))
        }
        return (opened.adding(nanoseconds: t.response), opened.adding(nanoseconds: t.resolution))
    }
}

extension EventTime {
    var date: Date { Date(timeIntervalSince1970: Double(nanoseconds) / 1e9) }

    /// Clamped to the range an `EventTime` holds (business-hours arithmetic near 2262 saturates).
    init(_ date: Date) {
        self.init(seconds: date.timeIntervalSince1970)
    }
}
