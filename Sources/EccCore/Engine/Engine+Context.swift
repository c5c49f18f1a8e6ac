/// What happens around a raise: maintenance windows, topology (root cause → symptoms), inhibition and
/// routing. All of it is decided on the raising event and event time, so replays give the same result.
///
/// A suppressed alarm is raised, stored and streamed like any other, with ``Alarm/suppression`` set and no
/// routes to notify. When its cause ends (the root cause or inhibitor clears, the maintenance window
/// closes) while it is still active, it is re-evaluated and, if nothing else suppresses it, released: an
/// `updated` change without suppression that carries the routes to notify.
extension Engine {
    /// An alarm the engine follows beside its table.
    struct Tracked: Sendable {
        var rule: String
        var key: String
        var origin: Event
        var ci: String
        var suppression: Suppression?
        var isRoot = false
        /// (inhibition index, tuple) entries this alarm holds as an inhibitor.
        var inhibits: [(Int, String)] = []
    }

    /// The tracked alarms by id, and the suppressed ones by the alarm that causes their suppression, so a
    /// cleared root cause or inhibitor finds what it suppressed without looking at every tracked alarm (in
    /// an outage of 100 k root causes, a scan per clear made clearing crawl).
    struct TrackedTable: Sendable {
        private(set) var entries: [UInt64: Tracked] = [:]
        private var byCause: [UInt64: Set<UInt64>] = [:]

        var isEmpty: Bool { entries.isEmpty }
        var keys: Dictionary<UInt64, Tracked>.Keys { entries.keys }

        subscript(id: UInt64) -> Tracked? {
            get { entries[id] }
            set {
                unindex(id, entries[id])
                entries[id] = newValue
                if let cause = newValue?.suppression?.cause { byCause[cause, default: []].insert(id) }
            }
        }

        mutating func removeValue(forKey id: UInt64) -> Tracked? {
            let old = entries.removeValue(forKey: id)
            unindex(id, old)
            return old
        }

        /// Alarms suppressed because of `cause`, in id order.
        func suppressed(by cause: UInt64) -> [UInt64] { (byCause[cause] ?? []).sorted() }

        /// Suppressed alarms whose suppression satisfies `which`, in id order (a scan of every entry).
        func suppressed(where which: (Suppression) -> Bool) -> [UInt64] {
            entries.compactMap { id, t in t.suppression.map(which) == true ? id : nil }.sorted()
        }

        private mutating func unindex(_ id: UInt64, _ old: Tracked?) {
            guard let cause = old?.suppression?.cause else { return }
            byCause[cause]?.remove(id)
            if byCause[cause]?.isEmpty == true { byCause[cause] = nil }
        }
    }

    /// The configuration item of an alarm raised by `rule` from `event`.
    func configurationItem(_ i: Int, _ event: Event) -> String {
        rules.rules[i].ci?.render(event) ?? event.host
    }

    /// Decides suppression and routes for a new alarm, registers it as a root cause or inhibitor, and
    /// returns what the routes to notify decide. `at` is the event time of the raise.
    mutating func raiseContext(_ i: Int, _ alarm: inout Alarm, origin: Event, at time: EventTime) -> [RouteDecision] {
        let rule = rules.rules[i]
        let ci = configurationItem(i, origin)
        var t = Tracked(rule: rule.name, key: alarm.key, origin: origin, ci: ci)
        t.suppression = suppression(rule: i, id: alarm.id, ci: ci, view: Self.view(alarm, origin: origin), at: time)
        if rule.rootCause {
            t.isRoot = true
            rootsByCI[ci, default: []].append(alarm.id)
        }
        let view = Self.view(alarm, origin: origin)
        for (n, inh) in rules.inhibitions.enumerated() where inh.sources.contains(rule.name) {
            guard inh.sourceMatch?.matches(view) ?? true, let tuple = inh.tuple(view) else { continue }
            inhibitors[n][tuple, default: []].append(alarm.id)
            t.inhibits.append((n, tuple))
        }
        if t.suppression != nil || t.isRoot || !t.inhibits.isEmpty { tracked[alarm.id] = t }
        alarm.suppression = t.suppression
        if let s = t.suppression, s.reason == .maintenance,
            let end = rules.maintenance.first(where: { $0.name == s.name })?.interval(at: time)?.end
        {
            schedule("", s.name, .release, at: end)
        }
        return t.suppression == nil ? rules.routeDecisions(for: alarm, origin: origin) : []
    }

    /// What matchers of inhibitions, maintenance windows and routes see of an alarm: its raising event with
    /// the alarm's severity and summary, plus the fields `rule` and `key`.
    package static func view(_ alarm: Alarm, origin: Event) -> Event {
        var e = origin
        e.severity = alarm.severity
        e.summary = alarm.summary
        e.attributes["rule"] = .string(alarm.rule)
        e.attributes["key"] = .string(alarm.key)
        return e
    }

    /// Why an alarm would be suppressed at `time`: maintenance first, then a root cause, then inhibition.
    func suppression(rule i: Int, id: UInt64, ci: String, view origin: Event, at time: EventTime) -> Suppression? {
        for w in rules.maintenance where w.interval(at: time) != nil {
            if w.covers(ci: ci, host: origin.host, event: origin) {
                return Suppression(reason: .maintenance, name: w.name)
            }
        }
        if !rootsByCI.isEmpty {
            for c in rules.cmdb.lineage(of: ci) {
                if let root = rootsByCI[c]?.first(where: { $0 != id }), let r = tracked[root] {
                    return Suppression(reason: .symptom, name: r.rule, cause: root)
                }
            }
        }
        let name = rules.rules[i].name
        for (n, inh) in rules.inhibitions.enumerated() where inh.isTarget(name, origin) {
            guard let tuple = inh.tuple(origin), let src = inhibitors[n][tuple]?.first(where: { $0 != id }) else {
                continue
            }
            return Suppression(reason: .inhibited, name: inh.name, cause: src)
        }
        return nil
    }

    /// An alarm with what the engine keeps beside the table: suppression, group members.
    func decorated(_ alarm: Alarm, rule i: Int) -> Alarm {
        var a = alarm
        if let s = tracked[a.id]?.suppression { a.suppression = s }
        if rules.rules[i].timing.group != nil, let g = states[i].groups[a.key] { a.members = g.members.sorted }
        return a
    }

    /// Bookkeeping for an alarm that is being cleared: decorate it and forget it as root cause or
    /// inhibitor. Returns true when alarms it suppressed must be re-evaluated (``releaseCausedBy``) once its
    /// clear is in the batch.
    mutating func finishClear(_ alarm: inout Alarm) -> Bool {
        guard !tracked.isEmpty, let t = tracked.removeValue(forKey: alarm.id) else { return false }
        alarm.suppression = t.suppression
        forgetCause(alarm.id, t)
        return t.isRoot || !t.inhibits.isEmpty
    }

    /// Appends a clear, then releases what the cleared alarm suppressed.
    mutating func appendClear(_ alarm: Alarm, at time: EventTime, into batch: inout ChangeBatch) {
        var a = alarm
        let wasCause = finishClear(&a)
        batch.append(AlarmChange(kind: .cleared, alarm: a, at: time))
        if wasCause { release(tracked.suppressed(by: alarm.id), at: a.clearedAt ?? time, into: &batch) }
    }

    private mutating func forgetCause(_ id: UInt64, _ t: Tracked) {
        if t.isRoot {
            rootsByCI[t.ci]?.removeAll { $0 == id }
            if rootsByCI[t.ci]?.isEmpty == true { rootsByCI[t.ci] = nil }
        }
        for (n, tuple) in t.inhibits where n < inhibitors.count {
            inhibitors[n][tuple]?.removeAll { $0 == id }
            if inhibitors[n][tuple]?.isEmpty == true { inhibitors[n][tuple] = nil }
        }
    }

    /// Re-evaluates the suppressed alarms `ids`; emits `updated` for each whose suppression changed (released
    /// ones carry the routes to notify).
    mutating func release(_ ids: [UInt64], at time: EventTime, into batch: inout ChangeBatch) {
        for id in ids {
            guard var t = tracked[id], let i = ruleIndex[t.rule], let current = states[i].active.alarm(forKey: t.key)
            else { continue }
            let now = suppression(
                rule: i, id: id, ci: t.ci, view: Self.view(current, origin: t.origin), at: time)
            guard now != t.suppression else { continue }
            t.suppression = now
            if now == nil && !t.isRoot && t.inhibits.isEmpty { tracked[id] = nil } else { tracked[id] = t }
            let changed: Alarm? = states[i].active.update(key: t.key) { slot, names in
                if now == nil { slot.alarm.flags &= ~ActiveAlarm.flagSuppressed }
                return slot.alarm.alarm(rule: t.rule, names)
            }
            guard let changed else { continue }
            if let s = now, s.reason == .maintenance,
                let end = rules.maintenance.first(where: { $0.name == s.name })?.interval(at: time)?.end
            {
                schedule("", s.name, .release, at: end)
            }
            appendUpdated(changed, rule: i, at: time, origin: t.origin, into: &batch)
        }
    }

    /// Appends an `updated` change for an active alarm, decorated, with the routes to notify unless it is
    /// suppressed (routing sees `origin`, by default the tracked raising event).
    mutating func appendUpdated(
        _ alarm: Alarm, rule i: Int, at time: EventTime, origin: Event? = nil, into batch: inout ChangeBatch
    ) {
        let a = decorated(alarm, rule: i)
        let routes =
            a.suppression == nil ? rules.routeDecisions(for: a, origin: origin ?? tracked[a.id]?.origin) : []
        batch.append(AlarmChange(kind: .updated, alarm: a, at: time, routes: routes))
    }

    /// Whether a restored alarm's context depends on its raising event: routing (escalation, flapping,
    /// release) or an inhibition's `equal` fields read it.
    func needsOrigin(_ i: Int, _ a: Alarm) -> Bool {
        let rule = rules.rules[i]
        return a.suppression != nil || rule.rootCause || isInhibitionSource(rule.name) || tracksRouting(i)
    }

    func isInhibitionSource(_ rule: String) -> Bool {
        rules.inhibitions.contains { $0.sources.contains(rule) }
    }

    /// Whether alarms of this rule may notify again after their raise (escalation, flapping), so the engine
    /// keeps their raising event for routing.
    func tracksRouting(_ i: Int) -> Bool {
        let timing = rules.rules[i].timing
        return (!timing.escalate.isEmpty || timing.flap != nil) && !rules.routes.isEmpty
    }

    /// A restored alarm (after a restart): its pending escalation, flapping and group members come back, and
    /// it is tracked again if it is suppressed, a root cause, an inhibitor or may notify again
    /// (``rebuildContext()`` then registers causes). `stored` is its raising event from the store; without
    /// one, an event made from the alarm stands in.
    mutating func restoreContext(_ i: Int, _ a: Alarm, origin stored: Event?) {
        let rule = rules.rules[i]
        let timing = rule.timing
        let origin = stored ?? Event(standingInFor: a)
        // Escalation counts from the raise; for a held alarm that is its first event plus the hold.
        if let s = timing.escalate.firstIndex(where: { $0.severity > a.severity }) {
            let raisedAt = a.firstSeen.adding(nanoseconds: timing.hold ?? 0)
            scheduleEscalation(
                a.rule, a.key, id: a.id, step: s, at: raisedAt.adding(nanoseconds: timing.escalate[s].after))
        }
        // A flapping alarm settles after a quiet window (the snapshot, restored next, may know its transitions).
        if a.flapping, let flap = timing.flap {
            states[i].flaps[a.key] = FlapState(transitions: [a.lastSeen], flapping: true, underlyingActive: true)
            schedule(rule.name, a.key, .flap, at: a.lastSeen.adding(nanoseconds: flap.within))
        }
        if timing.group != nil, !a.members.isEmpty {
            var st = GroupState(origin: origin)
            for m in a.members { st.members.record(m, at: a.lastSeen) }
            states[i].groups[a.key] = st
        }
        guard a.suppression != nil || rule.rootCause || isInhibitionSource(rule.name) || tracksRouting(i) else {
            return
        }
        var t = Tracked(rule: a.rule, key: a.key, origin: origin, ci: configurationItem(i, origin))
        t.suppression = a.suppression
        tracked[a.id] = t
        if let s = a.suppression, s.reason == .maintenance {
            // It was suppressed at or after its last event (a sequence or hold raises later): release when the
            // first interval ending after that ends; a window that has ended (or is gone) releases at once.
            let end = rules.maintenance.first { $0.name == s.name }?.firstEnd(after: a.lastSeen)
            schedule("", s.name, .release, at: end ?? a.lastSeen)
        }
    }

    /// After a reload: drop tracking of alarms that are gone, and rebuild the cause indexes for the new
    /// rules (inhibitions may have changed).
    mutating func rebuildContext() {
        rootsByCI = [:]
        inhibitors = Array(repeating: [:], count: rules.inhibitions.count)
        for id in tracked.keys.sorted() {
            guard var t = tracked[id], let i = ruleIndex[t.rule], let current = states[i].active.alarm(forKey: t.key),
                current.id == id
            else {
                tracked[id] = nil
                continue
            }
            let rule = rules.rules[i]
            t.isRoot = rule.rootCause
            if t.isRoot { rootsByCI[t.ci, default: []].append(id) }
            t.inhibits = []
            let view = Self.view(current, origin: t.origin)
            for (n, inh) in rules.inhibitions.enumerated() where inh.sources.contains(rule.name) {
                guard inh.sourceMatch?.matches(view) ?? true, let tuple = inh.tuple(view) else { continue }
                inhibitors[n][tuple, default: []].append(id)
                t.inhibits.append((n, tuple))
            }
            tracked[id] = t
        }
    }
}
