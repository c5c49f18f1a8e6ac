/// What a timer is for.
enum TimerKind: UInt8, Sendable {
    /// A held alarm is due to be raised unless it was cleared meanwhile.
    case hold
    /// An active alarm is due to clear after silence.
    case autoClear
    /// An expected event (heartbeat) is due.
    case absence
    /// A threshold alarm's window slides: drop old events; maybe clear below the second threshold.
    case window
    /// Events counting towards a threshold age out.
    case expiry
    /// An active alarm escalates to its next severity step (`step`, alarm `id`).
    case escalate
    /// A flapping alarm may have settled.
    case flap
    /// Sequence: A's window ends (absent form: raise; otherwise forget A).
    case sequence
    /// A group's members may have aged out.
    case group
    /// A maintenance window ended: release the alarms it suppressed (`key` is the window's name).
    case release
    /// `once_per`: the window from the alarm's first event (alarm `id`) is over.
    case period
    /// A calendar rule's occurrence (`step`: raise, clear or emit; `id`: the rules' generation).
    case calendar
}

/// A pending timer. Timers are validated when they fire (the state they were set for may have moved on),
/// so nothing ever needs to be removed from the heap early.
struct EngineTimer: Sendable {
    var deadline: EventTime
    /// Tie-break, so timers with equal deadlines fire in the order they were set: determinism.
    var sequence: UInt64
    var rule: String
    var key: String
    var kind: TimerKind
    /// Escalation: the alarm id and the step index.
    var id: UInt64 = 0
    var step: Int = 0

    func fires(before other: EngineTimer) -> Bool {
        (deadline, sequence) < (other.deadline, other.sequence)
    }
}

/// A binary min-heap of timers by deadline.
struct TimerHeap: Sendable {
    private var items: [EngineTimer] = []

    var count: Int { items.count }
    var next: EngineTimer? { items.first }

    mutating func push(_ t: EngineTimer) {
        items.append(t)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].fires(before: items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> EngineTimer? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < items.count, items[l].fires(before: items[m]) { m = l }
            if r < items.count, items[r].fires(before: items[m]) { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
