/// Rules with time in them: hold (flap filter), auto-clear, threshold windows, absence (heartbeats).
///
/// All on event time: a rule's windows and delays are measured against event timestamps and a
/// watermark that only moves forward — to the newest event time seen, and to the processing time the
/// caller passes to ``Engine/tick(at:into:)`` (the wall clock when live, the replay clock in tests).
/// Timers are validated when they fire, so state can move on without touching the timer heap.
extension Engine {
    /// An alarm not raised yet: held, or counting towards a threshold.
    struct Pending: Sendable {
        var prototype: Alarm
        /// Hold with `{count}` in the summary: the latest event, to render the summary when raised.
        var lastEvent: Event? = nil
        /// Threshold: event times in the window, oldest first.
        var times: [EventTime] = []
        /// Hold: when it raises unless cleared.
        var deadline = EventTime.zero
        /// The event that will be the alarm's origin.
        var origin: Event? = nil
    }

    /// The latest expected event of an absence rule's key.
    struct Heartbeat: Sendable {
        var last: EventTime
        var prototype: Alarm
        var armed: Bool
        var origin: Event? = nil
    }

    /// The earliest time a timer is due, if any: the caller should tick by then.
    package var nextDeadline: EventTime? { timers.next?.deadline }

    /// Advances the engine's event time to `now` and fires every timer that is due.
    package mutating func tick(at now: EventTime, into batch: inout ChangeBatch) {
        if now > watermark { watermark = now }
        if !calendarArmed { armCalendars() }
        fireDue(into: &batch)
    }

    /// Timers fire once the watermark is `lateness` past their deadline, so late events still count.
    var firingHorizon: EventTime { watermark.adding(nanoseconds: -rules.lateness) }

    mutating func advance(to time: EventTime, into batch: inout ChangeBatch) {
        guard time > watermark else { return }
        watermark = time
        if !calendarArmed { armCalendars() }
        if let next = timers.next, next.deadline <= firingHorizon { fireDue(into: &batch) }
    }

    mutating func schedule(_ rule: String, _ key: String, _ kind: TimerKind, at deadline: EventTime) {
        timerSequence += 1
        push(EngineTimer(deadline: deadline, sequence: timerSequence, rule: rule, key: key, kind: kind))
    }

    /// Timers set while a sender's history is handled run on its clock; a maintenance window's end is
    /// everyone's, on the engine's clock.
    mutating func push(_ t: EngineTimer) {
        if let sender = lane, t.kind != .release, t.kind != .calendar, lanes[sender] != nil {
            lanes[sender]?.timers.push(t)
        } else {
            timers.push(t)
        }
    }

    mutating func fireDue(into batch: inout ChangeBatch) {
        let horizon = firingHorizon
        while let t = timers.next, t.deadline <= horizon {
            _ = timers.pop()
            fireOne(t, into: &batch)
        }
    }

    mutating func fireOne(_ t: EngineTimer, into batch: inout ChangeBatch) {
        if t.kind == .release {
            release(tracked.suppressed { $0.reason == .maintenance && $0.name == t.key }, at: t.deadline, into: &batch)
            return
        }
        guard let i = ruleIndex[t.rule] else { return }  // the rule was removed by a reload
        fire(t, rule: i, into: &batch)
    }

    /// Fires one timer. Its own deadline is "now" for it, not the watermark: after a jump in time (a
    /// replay, a long idle), each timer must see the state as it was at its deadline.
    private mutating func fire(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        let timing = rules.rules[i].timing
        let now = t.deadline
        switch t.kind {
        case .hold:
            guard var p = states[i].pending[t.key], p.deadline == t.deadline else { return }
            states[i].pending[t.key] = nil
            let summary = rules.rules[i].alarm.summary
            if summary.usesCount, let e = p.lastEvent {
                p.prototype.summary = summary.render(e, count: p.prototype.count)
            }
            raise(i, p.prototype, origin: p.origin, at: t.deadline, into: &batch)
        case .autoClear:
            guard let quiet = timing.autoClear, let alarm = states[i].active.alarm(forKey: t.key) else { return }
            let due = alarm.lastSeen.adding(nanoseconds: quiet)
            if due <= now {
                // `now` rather than `due`: a hold may raise later than last-seen + quiet; never clear before.
                clearActive(i, key: t.key, at: now, into: &batch)
            } else {
                schedule(t.rule, t.key, .autoClear, at: due)
            }
        case .absence:
            guard let absent = timing.absentFor, var hb = states[i].heartbeats[t.key] else { return }
            let due = hb.last.adding(nanoseconds: absent)
            if due > now {
                schedule(t.rule, t.key, .absence, at: due)  // a newer heartbeat arrived meanwhile
                return
            }
            hb.armed = false
            states[i].heartbeats[t.key] = hb
            if states[i].active.alarm(forKey: t.key) == nil {
                var a = hb.prototype
                a.firstSeen = due
                a.lastSeen = due
                raise(i, a, origin: hb.origin, at: due, into: &batch)
            }
        case .expiry:
            guard let th = timing.threshold, var p = states[i].pending[t.key], p.deadline == t.deadline else { return }
            let horizon = now.adding(nanoseconds: -th.within)
            p.times.removeAll { $0 <= horizon }
            if let first = p.times.first {
                p.deadline = first.adding(nanoseconds: th.within)
                states[i].pending[t.key] = p
                schedule(t.rule, t.key, .expiry, at: p.deadline)
            } else {
                states[i].pending[t.key] = nil
            }
        case .window:
            guard let th = timing.threshold, states[i].windowArmed[t.key] == t.deadline,
                var w = states[i].windows[t.key]
            else { return }
            let horizon = now.adding(nanoseconds: -th.within)
            w.removeAll { $0 <= horizon }
            if let below = th.clearBelow, w.count < below {
                clearActive(i, key: t.key, at: now, into: &batch)
            } else if let first = w.first {
                states[i].windows[t.key] = w
                armWindow(i, key: t.key, at: first.adding(nanoseconds: th.within))
            }
        case .calendar: fireCalendar(t, rule: i, into: &batch)
        case .period:
            // Only the alarm it was set for: a new alarm under the same key has its own window.
            guard let window = timing.oncePer, let a = states[i].active.alarm(forKey: t.key), a.id == t.id,
                a.firstSeen.adding(nanoseconds: window) == t.deadline
            else { return }  // another alarm, or a window a reload changed
            clearActive(i, key: t.key, at: t.deadline, into: &batch)
        case .escalate: fireEscalation(t, rule: i, into: &batch)
        case .flap: fireFlap(t, rule: i, into: &batch)
        case .sequence: fireSequence(t, rule: i, into: &batch)
        case .group: fireGroup(t, rule: i, into: &batch)
        case .release: break  // handled in fireDue
        }
    }

    mutating func armWindow(_ i: Int, key: String, at deadline: EventTime) {
        states[i].windowArmed[key] = deadline
        schedule(rules.rules[i].name, key, .window, at: deadline)
    }

    /// The alarm a rule would raise for this event (id assigned when raised).
    mutating func prototype(_ i: Int, key: String, event: Event, count: Int64 = 1) -> Alarm {
        let rule = rules.rules[i]
        return Alarm(
            id: 0, rule: rule.name, key: key, severity: rule.alarm.severity ?? event.severity,
            summary: rule.alarm.summary.render(event, count: count), source: event.source,
            host: event.host, type: event.type, firstSeen: event.time, lastSeen: event.time,
            count: count)
    }

    mutating func raise(
        _ i: Int, _ prototype: Alarm, origin: Event?, at time: EventTime, eventTime: EventTime? = nil,
        into batch: inout ChangeBatch
    ) {
        let eventTime = eventTime ?? time
        var a = prototype
        a.id = nextAlarmID
        a.state = .active
        nextAlarmID += 1
        let timing = rules.rules[i].timing
        if timing.flap != nil { a.flapping = flapOnRaise(i, key: a.key, at: a.lastSeen) }
        let origin = origin ?? Event(standingInFor: a)
        let routes = rules.hasRaiseContext ? raiseContext(i, &a, origin: origin, at: eventTime) : []
        if tracksRouting(i) && tracked[a.id] == nil {
            // It may notify again (escalation, flapping): keep its raising event for routing.
            tracked[a.id] = Tracked(rule: a.rule, key: a.key, origin: origin, ci: configurationItem(i, origin))
        }
        let hint = batch.appendRaised(a, at: time, origin: origin, routes: routes)
        states[i].active.insert(a, hash: AlarmTable.hash(a.key), hint: hint)
        if let quiet = timing.autoClear {
            schedule(a.rule, a.key, .autoClear, at: max(a.lastSeen.adding(nanoseconds: quiet), time))
        }
        if let first = timing.escalate.first {
            scheduleEscalation(a.rule, a.key, id: a.id, step: 0, at: eventTime.adding(nanoseconds: first.after))
        }
        if let window = timing.oncePer { schedulePeriod(a, window) }
    }

    /// `once_per`: the alarm closes `window` after its first event.
    mutating func schedulePeriod(_ a: Alarm, _ window: Int64) {
        timerSequence += 1
        push(
            EngineTimer(
                deadline: a.firstSeen.adding(nanoseconds: window), sequence: timerSequence, rule: a.rule, key: a.key,
                kind: .period, id: a.id))
    }

    mutating func clearActive(_ i: Int, key: String, at time: EventTime, into batch: inout ChangeBatch) {
        states[i].windows[key] = nil
        states[i].windowArmed[key] = nil
        let members = rules.rules[i].timing.group != nil ? states[i].groups.removeValue(forKey: key) : nil
        guard var a = states[i].active.remove(key: key) else { return }
        a.state = .cleared
        a.clearedAt = time
        if let members { a.members = members.members.sorted }
        appendClear(a, at: time, into: &batch)
    }

    /// A matching event for a rule with timing (the slow path; plain rules never come here).
    mutating func handleTimed(_ i: Int, key: String, event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        // The rule is read in place (`rules.rules[i].…`), never bound whole: copying a `Rule` costs dozens of
        // reference-count operations, per event. The closures below get the few parts they need.
        if rules.rules[i].timing.group != nil {
            groupEvent(i, member: key, event: event, at: now, into: &batch)
            return
        }
        if let absent = rules.rules[i].timing.absentFor {
            let proto = prototype(i, key: key, event: event)
            var hb = states[i].heartbeats[key] ?? Heartbeat(last: event.time, prototype: proto, armed: false)
            if event.time > hb.last { hb.last = event.time }
            hb.prototype = proto
            hb.origin = event
            if states[i].active.alarm(forKey: key) != nil { clearActive(i, key: key, at: event.time, into: &batch) }
            if !hb.armed {
                hb.armed = true
                schedule(rules.rules[i].name, key, .absence, at: hb.last.adding(nanoseconds: absent))
            }
            states[i].heartbeats[key] = hb
            return
        }
        // once_per: a match after the window (its timer not fired yet: lateness) closes it and raises anew.
        if let window = rules.rules[i].timing.oncePer, let a = states[i].active.alarm(forKey: key),
            event.time >= a.firstSeen.adding(nanoseconds: window)
        {
            clearActive(i, key: key, at: a.firstSeen.adding(nanoseconds: window), into: &batch)
        }
        // Already raised: a repeat, as for plain rules; threshold rules with a clear level keep their window.
        let spec = rules.rules[i].alarm
        let name = rules.rules[i].name
        let everyMatch = rules.rules[i].record == .every
        let repeated: Void? = states[i].active.update(key: key) { slot, names in
            slot.alarm.count += 1
            if event.time > slot.alarm.lastSeen { slot.alarm.lastSeen = event.time }
            if spec.severity == nil, event.severity > slot.alarm.severity { slot.alarm.severity = event.severity }
            if spec.summary.usesCount || everyMatch {
                slot.alarm.summary = spec.summary.render(event, count: slot.alarm.count)
            }
            let a = slot.alarm
            if everyMatch {
                batch.appendRecorded(
                    AlarmChange(kind: .repeated, alarm: a.alarm(rule: name, names), at: now, origin: event))
                return
            }
            batch.appendRepeat(
                id: a.id, count: a.count, lastSeen: a.lastSeen, severity: a.severity, summary: a.summary, at: now,
                hint: &slot.hint, alarm: { a.alarm(rule: name, names) })
        }
        if repeated != nil {
            if rules.rules[i].timing.flap != nil { flapOnRepeat(i, key: key, at: event.time, into: &batch) }
            if let th = rules.rules[i].timing.threshold, let below = th.clearBelow {
                var w = states[i].windows[key] ?? []
                let wasEmpty = w.isEmpty
                w.insert(event.time, at: w.lastIndex { $0 <= event.time }.map { $0 + 1 } ?? 0)
                // Only the newest `clear_below` times decide whether fewer than that are left in the window:
                // keeping every sample would hold rate × window timestamps (a flood's worth) per alarm.
                if w.count > below { w.removeFirst(w.count - below) }
                states[i].windows[key] = w
                if wasEmpty { armWindow(i, key: key, at: event.time.adding(nanoseconds: th.within)) }
            }
            return
        }
        if let th = rules.rules[i].timing.threshold {
            let isNew = states[i].pending[key] == nil
            var p = states[i].pending[key] ?? Pending(prototype: prototype(i, key: key, event: event, count: 0))
            let at = p.times.firstIndex { $0 > event.time } ?? p.times.endIndex
            p.times.insert(event.time, at: at)
            let horizon = (p.times.last ?? event.time).adding(nanoseconds: -th.within)
            p.times.removeAll { $0 <= horizon }
            if event.severity > p.prototype.severity && spec.severity == nil {
                p.prototype.severity = event.severity
            }
            if p.times.count >= th.count {
                states[i].pending[key] = nil
                var a = p.prototype
                a.count = Int64(p.times.count)
                a.firstSeen = p.times.first ?? event.time
                a.lastSeen = p.times.last ?? event.time
                a.summary = spec.summary.render(event, count: a.count)
                raise(i, a, origin: event, at: now, eventTime: event.time, into: &batch)
                if th.clearBelow != nil {
                    states[i].windows[key] = p.times
                    armWindow(i, key: key, at: a.firstSeen.adding(nanoseconds: th.within))
                }
            } else {
                if isNew || p.times.first.map({ $0.adding(nanoseconds: th.within) }) != p.deadline {
                    p.deadline = (p.times.first ?? event.time).adding(nanoseconds: th.within)
                    schedule(name, key, .expiry, at: p.deadline)
                }
                states[i].pending[key] = p
            }
            return
        }
        if let hold = rules.rules[i].timing.hold {
            if let at = states[i].pending.index(forKey: key) {
                // Modified in place: a copy out and back would copy the held alarm and its events.
                Self.repeatHeld(
                    &states[i].pending.values[at], event: event, usesCount: spec.summary.usesCount,
                    fixedSeverity: spec.severity != nil)
            } else {
                let deadline = event.time.adding(nanoseconds: hold)
                var p = Pending(prototype: prototype(i, key: key, event: event), deadline: deadline, origin: event)
                if spec.summary.usesCount { p.lastEvent = event }
                states[i].pending[key] = p
                schedule(name, key, .hold, at: deadline)
            }
            return
        }
        if let seq = rules.rules[i].timing.sequence {
            sequenceFirst(i, key: key, event: event, sequence: seq)
            return
        }
        // Auto-clear, escalation or flap detection only.
        raise(i, prototype(i, key: key, event: event), origin: event, at: now, eventTime: event.time, into: &batch)
    }

    /// Another event for a held key: counted, and the latest event becomes the origin.
    private static func repeatHeld(_ p: inout Pending, event: Event, usesCount: Bool, fixedSeverity: Bool) {
        p.prototype.count += 1
        p.origin = event
        if usesCount { p.lastEvent = event }
        if event.time > p.prototype.lastSeen { p.prototype.lastSeen = event.time }
        if !fixedSeverity, event.severity > p.prototype.severity { p.prototype.severity = event.severity }
    }

    /// A clearing event for a rule with timing: forget held and counting state too.
    /// A clear whose event time is at or after a held alarm's deadline, processed before the hold timer
    /// fired (it arrived within the lateness): in event time the alarm was raised first, so it is raised now
    /// (at its deadline) and the clear then clears it.
    mutating func raiseOverdueHold(_ i: Int, key: String, clearedAt time: EventTime, into batch: inout ChangeBatch) {
        guard rules.rules[i].timing.hold != nil, let p = states[i].pending[key], p.deadline <= time else { return }
        let t = EngineTimer(deadline: p.deadline, sequence: 0, rule: rules.rules[i].name, key: key, kind: .hold)
        fire(t, rule: i, into: &batch)
    }

    mutating func forgetPending(_ i: Int, key: String) {
        states[i].pending[key] = nil
        states[i].windows[key] = nil
        states[i].windowArmed[key] = nil
        states[i].sequences[key] = nil
    }
}
