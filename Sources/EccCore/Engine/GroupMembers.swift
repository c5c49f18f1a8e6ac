/// A group's members: each member's latest event time, the members in sorted order (what a group alarm
/// lists) and the newest time, all kept up to date as members come and go. An event of a wide group (a
/// device with thousands of interfaces) then costs a hash lookup, and a join or leave a binary search
/// and one move of the sorted list, instead of a sort of every member per event.
struct GroupMembers: Sendable {
    private(set) var times: [String: EventTime] = [:]
    /// The members, sorted.
    private(set) var sorted: [String] = []
    /// The latest event time of any member (`.zero` when empty; exact, recomputed when that member leaves).
    private(set) var newest = EventTime.zero

    var count: Int { times.count }
    var isEmpty: Bool { times.isEmpty }
    /// The earliest latest-event time of any member (a scan: for raises and window timers only).
    var oldest: EventTime? { times.values.min() }

    subscript(member: String) -> EventTime? { times[member] }

    /// Records an event of `member` at `time`; returns whether it is new.
    @discardableResult
    mutating func record(_ member: String, at time: EventTime) -> Bool {
        if time > newest { newest = time }
        if let old = times[member] {
            if time > old { times[member] = time }
            return false
        }
        times[member] = time
        sorted.insert(member, at: insertionIndex(member))
        return true
    }

    /// Removes `member`; returns whether it was one.
    @discardableResult
    mutating func remove(_ member: String) -> Bool {
        guard let t = times.removeValue(forKey: member) else { return false }
        let i = insertionIndex(member)
        if i < sorted.count, sorted[i] == member { sorted.remove(at: i) }
        if t == newest { newest = times.values.max() ?? .zero }
        return true
    }

    /// Keeps the members whose latest event is after `horizon`.
    mutating func keep(after horizon: EventTime) {
        guard times.values.contains(where: { $0 <= horizon }) else { return }
        times = times.filter { $0.value > horizon }
        sorted.removeAll { times[$0] == nil }
        newest = times.values.max() ?? .zero
    }

    /// The first position whose member is not below `member`.
    private func insertionIndex(_ member: String) -> Int {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < member { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
