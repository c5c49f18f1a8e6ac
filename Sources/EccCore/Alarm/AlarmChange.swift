/// One state change of an alarm, as fanned out to the store, the live stream and (later) notifiers.
public struct AlarmChange: Sendable, Hashable {
    /// What happened to the alarm.
    public enum Kind: String, Sendable, Hashable {
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

    public var kind: Kind
    /// The alarm as it stands after the change.
    public var alarm: Alarm
    /// Processing time (from the engine's clock) of the change.
    public var at: EventTime

    /// Raises: the event that raised the alarm (for `eccctl alarms why`).
    public var origin: Event? {
        get { originBox?.event }
        set { originBox = newValue.map(OriginBox.init) }
    }
    // Boxed: raises are rare next to repeats, and every change in a batch would carry the space otherwise.
    private var originBox: OriginBox?
    /// The routes (``Route``) to notify; empty when the change notifies no one (suppressed, repeats).
    public var notify: [String]

    public init(kind: Kind, alarm: Alarm, at: EventTime, origin: Event? = nil, notify: [String] = []) {
        self.kind = kind
        self.alarm = alarm
        self.at = at
        self.originBox = origin.map(OriginBox.init)
        self.notify = notify
    }
}

final class OriginBox: Sendable, Hashable {
    let event: Event

    init(_ event: Event) { self.event = event }

    static func == (a: OriginBox, b: OriginBox) -> Bool { a.event == b.event }
    func hash(into h: inout Hasher) { h.combine(event) }
}
