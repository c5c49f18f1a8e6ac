/// One state change of an alarm, as fanned out to the store, the live stream and (later) notifiers.
package struct AlarmChange: Sendable, Hashable {
    /// What happened to the alarm.
    package enum Kind: String, Sendable, Hashable {
        /// First matching event: a new alarm.
        case raised
        /// More matching events for an active alarm (count and last-seen moved on).
        case repeated
        /// A clearing event closed it.
        case cleared
        /// Something other than a repeat changed: severity escalated, suppression released, members of a
        /// group alarm, flapping started or stopped.
        case updated
    }

    package var kind: Kind
    /// The alarm as it stands after the change.
    package var alarm: Alarm
    /// Processing time (from the engine's clock) of the change.
    package var at: EventTime

    /// Raises: the event that raised the alarm (for `eccctl alarms why`).
    package var origin: Event? {
        get { context?.origin }
        set { context = Self.context(newValue, routes) }
    }
    /// What the routes to notify decided (``RouteDecision``); empty when the change notifies no one
    /// (suppressed, repeats, clears).
    package var routes: [RouteDecision] {
        get { context?.routes ?? [] }
        set { context = Self.context(origin, newValue) }
    }
    /// The names of the routes to notify.
    package var notify: [String] { routes.map(\.route) }
    // Boxed together: raises and notifying changes are rare next to repeats, and every change in a batch
    // would carry the space (and the reference counting) otherwise.
    private var context: ChangeContext?

    private static func context(_ origin: Event?, _ routes: [RouteDecision]) -> ChangeContext? {
        origin == nil && routes.isEmpty ? nil : ChangeContext(origin: origin, routes: routes)
    }

    package init(kind: Kind, alarm: Alarm, at: EventTime, origin: Event? = nil, routes: [RouteDecision] = []) {
        self.kind = kind
        self.alarm = alarm
        self.at = at
        self.context = Self.context(origin, routes)
    }
}

final class ChangeContext: Sendable, Hashable {
    let origin: Event?
    let routes: [RouteDecision]

    init(origin: Event?, routes: [RouteDecision]) {
        self.origin = origin
        self.routes = routes
    }

    static func == (a: ChangeContext, b: ChangeContext) -> Bool { a.origin == b.origin && a.routes == b.routes }
    func hash(into h: inout Hasher) {
        h.combine(origin)
        h.combine(routes)
    }
}
