/// The correlation engine: a pure state machine from events to alarm changes.
///
/// The engine performs no I/O and never reads a clock; the caller hands it each event and the current
/// processing time, and performs whatever the resulting ``ChangeBatch`` asks for (store, stream, notify).
/// Given the same rules, events and times it produces the same changes, whatever the batch sizes.
package struct Engine: Sendable {
    /// The rules in force.
    package internal(set) var rules: RuleSet
    // Parallel to `rules.rules`: the active alarms of each rule by key.
    var states: [RuleState]
    /// The id the next raised alarm gets.
    package internal(set) var nextAlarmID: UInt64

    struct RuleState: Sendable {
        var active = AlarmTable()
        /// Held or counting (not raised yet), by key: rules with hold or threshold.
        var pending: [String: Pending] = [:]
        /// Threshold rules with a clear level: event times in the window of each active alarm.
        var windows: [String: [EventTime]] = [:]
        /// The deadline of the one live window timer of each key (older timers are stale and ignored).
        var windowArmed: [String: EventTime] = [:]
        /// Absence rules: the latest expected event per key.
        var heartbeats: [String: Heartbeat] = [:]
        /// Sequence rules: the first event (A) waiting for its second (B), by key.
        var sequences: [String: Pending] = [:]
        /// Group rules: members by group value.
        var groups: [String: GroupState] = [:]
        /// Flap detection: recent raise/clear transitions by key.
        var flaps: [String: FlapState] = [:]
    }

    // Timers of time-driven rules, the event-time watermark, and rule lookup by name for timers.
    var timers = TimerHeap()
    var timerSequence: UInt64 = 0
    var watermark = EventTime.zero
    var ruleIndex: [String: Int] = [:]
    /// Senders delivering history, on clocks of their own (see ``HistoryPolicy``), and the one whose event
    /// or timer is being handled (the timers it sets run on its clock).
    var lanes: [String: HistoryLane] = [:]
    var lane: String? = nil
    /// Calendar rules' timers are set once the engine knows the time (its first watermark), and again for
    /// each new rule set; a timer of an older generation is dropped.
    var calendarArmed = false
    var calendarGeneration: UInt64 = 0
    /// True while a calendar rule's event is handled (it is not late, whatever the watermark).
    var emitting = false

    // Reused buffer for rendering keys; see AlarmTable.
    private var keyBuffer: [UInt8] = []

    /// Alarms the engine tracks beside the table: suppressed ones, root causes and inhibitors, by id.
    var tracked = TrackedTable()
    /// Active root-cause alarms by configuration item.
    var rootsByCI: [String: [UInt64]] = [:]
    /// Per inhibition (by index): active source alarms by the values of the `equal` fields.
    var inhibitors: [[String: [UInt64]]] = []
    /// Events that arrived later than the allowed lateness (placed as well as possible, but timers for
    /// their time may have fired already).
    package internal(set) var lateEvents: UInt64 = 0
    /// Events handled on their sender's own clock as history (see ``HistoryPolicy``).
    package internal(set) var historyEvents: UInt64 = 0
    /// History events handled as late ones because ``HistoryPolicy/maxSenders`` senders had clocks already.
    package internal(set) var historyRefused: UInt64 = 0
    /// Events timed more than ``HistoryPolicy/maxFuture`` ahead of the processing time, given that time.
    package internal(set) var futureEvents: UInt64 = 0

    /// Creates an engine with no active alarms.
    package init(rules: RuleSet, nextAlarmID: UInt64 = 1) {
        self.rules = rules
        self.states = Array(repeating: RuleState(), count: rules.rules.count)
        self.nextAlarmID = max(1, nextAlarmID)
        self.ruleIndex = Self.index(rules)
        self.inhibitors = Array(repeating: [:], count: rules.inhibitions.count)
    }

    /// How many alarms are active.
    package var activeAlarmCount: Int { states.reduce(0) { $0 + $1.active.count } }

    /// The active alarms, by rule order then key.
    package var activeAlarms: [Alarm] {
        states.indices.flatMap { i in states[i].active.alarms.sorted { $0.key < $1.key }.map { decorated($0, rule: i) }
        }
    }

    /// Restores active alarms (from the store, after a restart) so repeats keep counting instead of raising
    /// duplicates, and their context comes back: root causes and inhibitors are registered again, suppressed
    /// alarms are released when their cause ends (maintenance windows re-arm their release), escalation
    /// continues where it stood, flapping alarms settle, group alarms keep their members. `origins` gives
    /// the raising event of an alarm (the store keeps it); without one, an event made from the alarm stands
    /// in. Alarms of rules that no longer exist are returned, not restored.
    @discardableResult
    package mutating func restore(_ alarms: [Alarm], origins: (UInt64) -> Event? = { _ in nil }) -> [Alarm] {
        var orphans: [Alarm] = []
        for a in alarms where a.state == .active {
            nextAlarmID = max(nextAlarmID, a.id + 1)
            guard let i = ruleIndex[a.rule] else {
                orphans.append(a)
                continue
            }
            states[i].active.insert(a)
            let timing = rules.rules[i].timing
            if let quiet = timing.autoClear {
                schedule(a.rule, a.key, .autoClear, at: a.lastSeen.adding(nanoseconds: quiet))
            }
            if let window = timing.oncePer { schedulePeriod(a, window) }
            if timing.isPlain && !rules.hasRaiseContext { continue }
            restoreContext(i, a, origin: needsOrigin(i, a) ? origins(a.id) : nil)
        }
        rebuildContext()
        return orphans
    }

    static func index(_ rules: RuleSet) -> [String: Int] {
        var byName: [String: Int] = [:]
        for (i, r) in rules.rules.enumerated() { byName[r.name] = i }
        return byName
    }

    /// Raises the id counter so new alarms never reuse an id already in the store.
    package mutating func reserveAlarmIDs(below id: UInt64) {
        nextAlarmID = max(nextAlarmID, id)
    }

    /// Processes one event at processing time `now`, appending the resulting changes to `batch`.
    ///
    /// Transforms run first (normalise, enrich). Clearing is evaluated before raising: every rule whose
    /// `clear_when` matches clears its alarm for the event's key; then the second step of sequence rules;
    /// then rules whose `when` matches raise or repeat, in order, until one with `stop: true` matched.
    ///
    /// An event timed more than ``HistoryPolicy/maxFuture`` ahead of `now` takes `now` as its time; history
    /// (an event far behind the watermark) is handled on its sender's own clock (``HistoryPolicy``).
    package mutating func handle(_ event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        if event.time.nanoseconds > now.nanoseconds &+ rules.history.maxFuture {
            var e = event
            e.time = now
            futureEvents &+= 1
            return handle(e, at: now, into: &batch)
        }
        if !lanes.isEmpty || Self.arrivalDelay(event) > rules.history.after,
            enterHistory(event, at: now, into: &batch), let sender = lane, let clock = lanes[sender]?.clock
        {
            // Its sender's clock is the processing time of history.
            defer { lane = nil }
            transformAndProcess(event, at: clock, into: &batch)
            return
        }
        transformAndProcess(event, at: now, into: &batch)
    }

    @inline(__always)
    mutating func transformAndProcess(_ event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        if rules.transforms.isEmpty {
            process(event, at: now, into: &batch)
        } else {
            var e = event
            applyTransforms(&e)
            process(e, at: now, into: &batch)
        }
    }

    mutating func process(_ event: Event, at now: EventTime, into batch: inout ChangeBatch) {
        // Event time moves the watermark (never past the processing time: a sender's clock running ahead
        // must not fire timers early), and timers now due fire before this event is looked at.
        // History moved its sender's clock instead (``enterHistory``).
        if lane == nil {
            if event.time.nanoseconds < watermark.nanoseconds &- rules.lateness && !emitting { lateEvents &+= 1 }
            advance(to: min(event.time, now), into: &batch)
        }
        var key = keyBuffer
        keyBuffer = []
        defer { keyBuffer = key }
        let candidates = rules.candidates(type: event.type)
        let hasContext = rules.hasRaiseContext
        // Borrow rules through a buffer pointer: copying a `Rule` out of the array costs a dozen
        // reference-count operations, per rule, per event.
        let list = rules.rules
        list.withUnsafeBufferPointer { rules in
            for i in candidates.clear {
                guard let clear = rules[i].clearWhen else { continue }
                var captures: [(String, String)] = []
                guard clear.matches(event, captures: &captures) else { continue }
                let event = captures.isEmpty ? event : event.adding(captures)
                key.removeAll(keepingCapacity: true)
                rules[i].key.render(event, into: &key)
                if !rules[i].isPlain {
                    let k = String(decoding: key, as: UTF8.self)
                    raiseOverdueHold(i, key: k, clearedAt: event.time, into: &batch)
                    forgetPending(i, key: k)
                    if rules[i].timing.group != nil {
                        groupClear(i, member: k, event: event, into: &batch)
                        continue
                    }
                    if rules[i].timing.flap != nil, flapAbsorbsClear(i, key: k, event: event, into: &batch) {
                        continue
                    }
                }
                let removed = key.withUnsafeBytes { states[i].active.remove($0, hash: AlarmTable.hash($0)) }
                guard var alarm = removed else { continue }
                alarm.state = .cleared
                alarm.clearedAt = event.time
                appendClear(alarm, at: now, into: &batch)
            }
            for i in candidates.then {
                guard let seq = rules[i].timing.sequence else { continue }
                var captures: [(String, String)] = []
                guard seq.then.matches(event, captures: &captures) else { continue }
                let event = captures.isEmpty ? event : event.adding(captures)
                handleThen(i, key: rules[i].key.render(event), event: event, at: now, into: &batch)
            }
            for i in candidates.when {
                var captures: [(String, String)] = []
                guard rules[i].when.matches(event, captures: &captures) else { continue }
                // Named regex groups become fields for this rule's key and summary.
                let event = captures.isEmpty ? event : event.adding(captures)
                if !rules[i].alarmConditions.isEmpty, !alarmConditionsHold(rules[i].alarmConditions, event) { continue }
                raiseOrRepeat(i, rules, event: event, key: &key, hasContext: hasContext, at: now, into: &batch)
                if rules[i].stop { break }
            }
        }
    }

    /// Raises or repeats rule `i`'s alarm (or starts its hold, count, wait) for an event its `when` took;
    /// `key` is a reusable buffer. The rules are read through their buffer, in place: a `Rule` passed or
    /// bound as a value is copied, a dozen reference counts per event.
    @inline(__always)
    mutating func raiseOrRepeat(
        _ i: Int, _ rules: UnsafeBufferPointer<Rule>, event: Event, key: inout [UInt8], hasContext: Bool,
        at now: EventTime, into batch: inout ChangeBatch
    ) {
        key.removeAll(keepingCapacity: true)
        rules[i].key.render(event, into: &key)
        if !rules[i].isPlain {
            handleTimed(i, key: String(decoding: key, as: UTF8.self), event: event, at: now, into: &batch)
            return
        }
        key.withUnsafeBytes { keyBytes in
            let hash = AlarmTable.hash(keyBytes)
            let repeated = repeatActive(i, rules[i], keyBytes, hash: hash, event: event, at: now, into: &batch)
            if repeated == nil {
                var alarm = Alarm(
                    id: nextAlarmID, rule: rules[i].name, key: String(decoding: keyBytes, as: UTF8.self),
                    severity: rules[i].alarm.severity ?? event.severity,
                    summary: rules[i].alarm.summary.render(event, count: 1),
                    source: event.source, host: event.host, type: event.type, firstSeen: event.time,
                    lastSeen: event.time)
                nextAlarmID += 1
                let routes = hasContext ? raiseContext(i, &alarm, origin: event, at: event.time) : []
                let hint = batch.appendRaised(alarm, at: now, origin: event, routes: routes)
                states[i].active.insert(alarm, hash: hash, hint: hint)
            }
        }
    }

    /// Counts a repeat of rule `i`'s alarm under `keyBytes` if it is active; nil when it is not (then the
    /// caller raises it).
    ///
    /// A function of its own for one reason: the alarm's suppression is read from a copy of ``tracked``
    /// (the slot being updated holds `self`), and that copy must be gone before the caller raises a new
    /// alarm, which may add to ``tracked``: held across the raise, every tracked raise copied the whole
    /// table (a big outage of 100 k root causes ran at a few hundred events a second).
    private mutating func repeatActive(
        _ i: Int, _ rule: borrowing Rule, _ keyBytes: UnsafeRawBufferPointer, hash: Int, event: Event,
        at now: EventTime, into batch: inout ChangeBatch
    ) -> Void? {
        let tracked: TrackedTable? = self.tracked.isEmpty ? nil : self.tracked
        return states[i].active.update(keyBytes, hash: hash) { slot, names in
            slot.alarm.count += 1
            if event.time > slot.alarm.lastSeen { slot.alarm.lastSeen = event.time }
            if rule.alarm.severity == nil, event.severity > slot.alarm.severity {
                slot.alarm.severity = event.severity
            }
            if rule.alarm.summary.usesCount || rule.record == .every {
                slot.alarm.summary = rule.alarm.summary.render(event, count: slot.alarm.count)
            }
            let a = slot.alarm
            if rule.record == .every {
                var full = a.alarm(rule: rule.name, names)
                if a.flags != 0 { full.suppression = tracked?[a.id]?.suppression }
                batch.appendRecorded(AlarmChange(kind: .repeated, alarm: full, at: now, origin: event))
                return
            }
            batch.appendRepeat(
                id: a.id, count: a.count, lastSeen: a.lastSeen, severity: a.severity, summary: a.summary,
                at: now, hint: &slot.hint,
                alarm: {
                    var full = a.alarm(rule: rule.name, names)
                    if a.flags != 0 { full.suppression = tracked?[a.id]?.suppression }
                    return full
                })
        }
    }

    /// `while_alarm` / `unless_alarm`: each named rule's alarm under the key rendered from `event` is active
    /// (or not) now.
    func alarmConditionsHold(_ conditions: [Rule.AlarmCondition], _ event: Event) -> Bool {
        conditions.allSatisfy { c in
            guard let j = ruleIndex[c.rule] else { return !c.active }
            return (states[j].active.alarm(forKey: c.key.render(event)) != nil) == c.active
        }
    }

    /// Runs the transforms whose `when` matches, in order.
    func applyTransforms(_ event: inout Event) {
        // Borrowed through a buffer pointer: `for t in transforms` copies each transform (a dozen
        // reference-count operations per transform, per event).
        rules.transforms.withUnsafeBufferPointer { transforms in
            for i in transforms.indices where transforms[i].when.matches(event) {
                transforms[i].apply(to: &event, tables: rules.tables)
            }
        }
    }
}

extension Event {
    /// A copy with extra attributes (regex captures); they replace attributes of the same name.
    func adding(_ fields: [(String, String)]) -> Event {
        var e = self
        for (k, v) in fields { e.attributes[k] = .string(v) }
        return e
    }
}
