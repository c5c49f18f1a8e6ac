/// Escalation, flap detection, sequences and groups: the constructs built on the timed rules' machinery.
extension Engine {
    /// A group's members (by member key, latest event time).
    struct GroupState: Sendable {
        var members = GroupMembers()
        var armed = EventTime.zero
        var origin: Event
    }

    /// Recent transitions of a flap-detecting rule's key.
    struct FlapState: Sendable {
        var transitions: [EventTime] = []
        var flapping = false
        /// What the events say the state is (a flapping alarm stays active whatever they say).
        var underlyingActive = true
    }

    // MARK: Escalation

    mutating func fireEscalation(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        let rule = rules.rules[i]
        let steps = rule.timing.escalate
        guard t.step < steps.count else { return }
        let step = steps[t.step]
        let outcome: (Alarm?, Bool)? = states[i].active.update(key: t.key) { slot, names in
            guard slot.alarm.id == t.id else { return (nil, false) }
            guard step.severity > slot.alarm.severity else { return (nil, true) }
            slot.alarm.severity = step.severity
            return (slot.alarm.alarm(rule: rule.name, names), true)
        }
        guard let (changed, same) = outcome, same else { return }  // cleared, or another alarm by now
        if t.step + 1 < steps.count {
            let raisedAt = t.deadline.adding(nanoseconds: -step.after)
            scheduleEscalation(
                t.rule, t.key, id: t.id, step: t.step + 1, at: raisedAt.adding(nanoseconds: steps[t.step + 1].after))
        }
        if let changed { appendUpdated(changed, rule: i, at: t.deadline, into: &batch) }
    }

    mutating func scheduleEscalation(_ rule: String, _ key: String, id: UInt64, step: Int, at deadline: EventTime) {
        timerSequence += 1
        push(
            EngineTimer(
                deadline: deadline, sequence: timerSequence, rule: rule, key: key, kind: .escalate, id: id, step: step))
    }

    // MARK: Flap detection

    private mutating func recordTransition(_ i: Int, key: String, at time: EventTime) -> FlapState {
        guard let flap = rules.rules[i].timing.flap else { return FlapState() }
        var f = states[i].flaps[key] ?? FlapState()
        let at = f.transitions.firstIndex { $0 > time } ?? f.transitions.endIndex
        f.transitions.insert(time, at: at)
        let horizon = (f.transitions.last ?? time).adding(nanoseconds: -flap.within)
        f.transitions.removeAll { $0 <= horizon }
        return f
    }

    private mutating func startFlapping(_ i: Int, key: String, _ f: inout FlapState) {
        guard let flap = rules.rules[i].timing.flap, !f.flapping else { return }
        f.flapping = true
        schedule(rules.rules[i].name, key, .flap, at: (f.transitions.last ?? .zero).adding(nanoseconds: flap.within))
    }

    /// A new alarm for a flap-detecting rule; returns true when the raise itself starts flapping.
    mutating func flapOnRaise(_ i: Int, key: String, at time: EventTime) -> Bool {
        guard let flap = rules.rules[i].timing.flap else { return false }
        var f = recordTransition(i, key: key, at: time)
        f.underlyingActive = true
        if f.transitions.count >= flap.count { startFlapping(i, key: key, &f) }
        states[i].flaps[key] = f
        return f.flapping
    }

    /// A raising event for an active alarm: while flapping, it is a transition if the events had cleared it.
    mutating func flapOnRepeat(_ i: Int, key: String, at time: EventTime, into batch: inout ChangeBatch) {
        guard var f = states[i].flaps[key], f.flapping, !f.underlyingActive else { return }
        f = recordTransition(i, key: key, at: time)
        f.underlyingActive = true
        states[i].flaps[key] = f
    }

    /// A clearing event for a flap-detecting rule. Returns true when the alarm stays active (it flaps).
    mutating func flapAbsorbsClear(_ i: Int, key: String, event: Event, into batch: inout ChangeBatch) -> Bool {
        guard let flap = rules.rules[i].timing.flap, states[i].active.alarm(forKey: key) != nil else { return false }
        let wasFlapping = states[i].flaps[key]?.flapping ?? false
        var f = recordTransition(i, key: key, at: event.time)
        f.underlyingActive = false
        if wasFlapping {
            states[i].flaps[key] = f
            return true
        }
        guard f.transitions.count >= flap.count else {
            states[i].flaps[key] = f
            return false
        }
        startFlapping(i, key: key, &f)
        states[i].flaps[key] = f
        setFlapping(i, key: key, true, at: event.time, into: &batch)
        return true
    }

    private mutating func setFlapping(
        _ i: Int, key: String, _ on: Bool, at time: EventTime, into batch: inout ChangeBatch
    ) {
        let name = rules.rules[i].name
        let changed: Alarm? = states[i].active.update(key: key) { slot, names in
            if on {
                slot.alarm.flags |= ActiveAlarm.flagFlapping
            } else {
                slot.alarm.flags &= ~ActiveAlarm.flagFlapping
            }
            return slot.alarm.alarm(rule: name, names)
        }
        if let changed { appendUpdated(changed, rule: i, at: time, into: &batch) }
    }

    /// No transition for a whole window: flapping ends, and the alarm takes the state the events say.
    mutating func fireFlap(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        guard let flap = rules.rules[i].timing.flap, var f = states[i].flaps[t.key], f.flapping else { return }
        let due = (f.transitions.last ?? t.deadline).adding(nanoseconds: flap.within)
        if due > t.deadline {
            schedule(t.rule, t.key, .flap, at: due)
            return
        }
        f.flapping = false
        f.transitions = []
        states[i].flaps[t.key] = f.underlyingActive ? f : nil
        if f.underlyingActive {
            setFlapping(i, key: t.key, false, at: t.deadline, into: &batch)
        } else {
            clearActive(i, key: t.key, at: t.deadline, into: &batch)
        }
    }

    // MARK: Sequences

    /// The first event (A) of a sequence rule.
    mutating func sequenceFirst(_ i: Int, key: String, event: Event, sequence seq: Rule.Sequence) {
        if let p = states[i].sequences[key] {
            // `from: first`: the first A waits for its B; `from: latest`: the newest A restarts the wait.
            if seq.from == .first || event.time < p.prototype.firstSeen { return }
        }
        let deadline = event.time.adding(nanoseconds: seq.within)
        states[i].sequences[key] = Pending(
            prototype: prototype(i, key: key, event: event), deadline: deadline, origin: event)
        schedule(rules.rules[i].name, key, .sequence, at: deadline)
    }

    /// The second event (B) of a sequence rule.
    mutating func handleThen(_ i: Int, key: String, event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        let rule = rules.rules[i]
        guard let seq = rule.timing.sequence else { return }
        if let p = states[i].sequences[key], event.time >= p.prototype.firstSeen, event.time <= p.deadline {
            states[i].sequences[key] = nil
            if seq.absent { return }  // B came in time: nothing to report
            if states[i].active.alarm(forKey: key) != nil {
                handleRepeat(i, key: key, event: event, at: now, into: &batch)
                return
            }
            var a = p.prototype
            a.count = 2
            a.lastSeen = max(event.time, a.lastSeen)
            // The pair: the first event with the second's fields as `then.*`, for the summary and the origin.
            let origin = p.origin.map { $0.adding(Self.thenFields(event)) }
            if rule.alarm.summary.usesThen || rule.alarm.summary.usesCount, let pair = origin {
                a.summary = rule.alarm.summary.render(pair, count: 2)
            }
            raise(i, a, origin: origin, at: now, eventTime: event.time, into: &batch)
        } else if seq.absent, states[i].active.alarm(forKey: key) != nil {
            clearActive(i, key: key, at: event.time, into: &batch)  // B came late: the alarm clears
        }
    }

    /// The second event of a pair as `then.*` fields: `then.time`, `then.host`, `then.source`, `then.type`,
    /// `then.severity`, `then.summary` and `then.<attribute>`.
    static func thenFields(_ e: Event) -> [(String, String)] {
        var out: [(String, String)] = [
            ("then.time", e.time.description), ("then.host", e.host), ("then.source", e.source),
            ("then.type", e.type), ("then.severity", e.severity.name), ("then.summary", e.summary),
        ]
        for a in e.attributes { out.append(("then." + a.key, a.value.description)) }
        return out
    }

    mutating func fireSequence(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        guard let seq = rules.rules[i].timing.sequence, let p = states[i].sequences[t.key], p.deadline == t.deadline
        else { return }
        states[i].sequences[t.key] = nil
        if seq.absent, states[i].active.alarm(forKey: t.key) == nil {
            raise(i, p.prototype, origin: p.origin, at: t.deadline, into: &batch)
        }
    }

    /// A repeat of an active alarm from a non-raising path (sequence B).
    private mutating func handleRepeat(
        _ i: Int, key: String, event: Event, at now: EventTime, into batch: inout ChangeBatch
    ) {
        let rule = rules.rules[i]
        _ = states[i].active.update(key: key) { slot, names in
            slot.alarm.count += 1
            if event.time > slot.alarm.lastSeen { slot.alarm.lastSeen = event.time }
            let a = slot.alarm
            if rule.record == .every {
                batch.appendRecorded(
                    AlarmChange(kind: .repeated, alarm: a.alarm(rule: rule.name, names), at: now, origin: event))
                return
            }
            batch.appendRepeat(
                id: a.id, count: a.count, lastSeen: a.lastSeen, severity: a.severity, summary: a.summary, at: now,
                hint: &slot.hint, alarm: { a.alarm(rule: rule.name, names) })
        }
    }

    // MARK: Groups

    /// A matching event of a group rule: `member` is its rendered key.
    mutating func groupEvent(_ i: Int, member: String, event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        // The rule is read in place and the group's state changed in place: copying either out costs a
        // rule's worth of reference counts and a copy of the member table, per event.
        guard let g = rules.rules[i].timing.group else { return }
        let gk = g.by.render(event)
        let active = states.withUnsafeBufferPointer { $0[i].active.contains(key: gk) }
        let (isNew, count, newest, armed) = Self.addMember(
            member, event: event, within: g.within, prune: !active,
            to: &states[i].groups[gk, default: GroupState(origin: event)])
        if active {
            let spec = rules.rules[i].alarm
            let name = rules.rules[i].name
            let changed: Alarm? = states[i].active.update(key: gk) { slot, names in
                if event.time > slot.alarm.lastSeen { slot.alarm.lastSeen = event.time }
                if spec.severity == nil, event.severity > slot.alarm.severity {
                    slot.alarm.severity = event.severity
                }
                slot.alarm.count = count
                if isNew, spec.summary.usesCount {
                    slot.alarm.summary = spec.summary.render(event, count: count)
                }
                return slot.alarm.alarm(rule: name, names)
            }
            if let changed {
                let a = decorated(changed, rule: i)
                batch.append(AlarmChange(kind: isNew ? .updated : .repeated, alarm: a, at: now))
            }
            return
        }
        if count >= g.count, let members = states[i].groups[gk]?.members {
            states[i].groups[gk]?.armed = .zero
            var a = prototype(i, key: gk, event: event, count: count)
            a.firstSeen = members.oldest ?? event.time
            a.lastSeen = newest
            a.members = members.sorted
            raise(i, a, origin: event, at: now, eventTime: event.time, into: &batch)
            return
        }
        if let armed {
            states[i].groups[gk]?.armed = armed
            schedule(rules.rules[i].name, gk, .group, at: armed)
        }
    }

    /// Records a member's event in its group's state, in place. With `prune` (the group alarm is not
    /// active) members older than the window before the newest are dropped, and a window timer is armed
    /// if none is. Returns whether the member is new, the member count, the newest member time and the
    /// deadline of a timer to schedule.
    private static func addMember(
        _ member: String, event: Event, within: Int64, prune: Bool, to st: inout GroupState
    ) -> (isNew: Bool, count: Int64, newest: EventTime, arm: EventTime?) {
        let isNew = st.members.record(member, at: event.time)
        st.origin = event
        let newest = st.members.newest
        guard prune else { return (isNew, Int64(st.members.count), newest, nil) }
        st.members.keep(after: newest.adding(nanoseconds: -within))
        var arm: EventTime?
        if st.armed == .zero, let oldest = st.members.oldest { arm = oldest.adding(nanoseconds: within) }
        return (isNew, Int64(st.members.count), newest, arm)
    }

    /// A clearing event of a group rule: the member leaves; the alarm clears below the clear level.
    mutating func groupClear(_ i: Int, member: String, event: Event, into batch: inout ChangeBatch) {
        let rule = rules.rules[i]
        guard let g = rule.timing.group else { return }
        let gk = g.by.render(event)
        // In place: a copy of a wide group's state per clearing event would cost a copy of its members.
        guard states[i].groups[gk]?.members.remove(member) == true, let st = states[i].groups[gk] else { return }
        guard states[i].active.alarm(forKey: gk) != nil else {
            if st.members.isEmpty { states[i].groups[gk] = nil }
            return
        }
        if st.members.count < g.clearBelow {
            clearActive(i, key: gk, at: event.time, into: &batch)
            return
        }
        let count = Int64(st.members.count)
        let origin = st.origin
        let changed: Alarm? = states[i].active.update(key: gk) { slot, names in
            slot.alarm.count = count
            if rule.alarm.summary.usesCount { slot.alarm.summary = rule.alarm.summary.render(origin, count: count) }
            return slot.alarm.alarm(rule: rule.name, names)
        }
        if let changed { batch.append(AlarmChange(kind: .updated, alarm: decorated(changed, rule: i), at: event.time)) }
    }

    /// Members of a group that has not raised age out.
    mutating func fireGroup(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        guard let g = rules.rules[i].timing.group, var st = states[i].groups[t.key], st.armed == t.deadline else {
            return
        }
        st.armed = .zero
        if states[i].active.alarm(forKey: t.key) != nil {
            states[i].groups[t.key] = st
            return
        }
        let horizon = t.deadline.adding(nanoseconds: -g.within)
        st.members.keep(after: horizon)
        if let oldest = st.members.oldest {
            st.armed = oldest.adding(nanoseconds: g.within)
            schedule(t.rule, t.key, .group, at: st.armed)
            states[i].groups[t.key] = st
        } else {
            states[i].groups[t.key] = nil
        }
    }
}
