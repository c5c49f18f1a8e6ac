/// Calendar rules (`schedule:`): occurrences of cron schedules on event time.
extension Engine {
    /// Sets each calendar rule's next occurrences after the watermark (occurrences before it, while eccd was
    /// down, are not made up).
    mutating func armCalendars() {
        calendarArmed = true
        for (i, rule) in rules.rules.enumerated() {
            guard let s = rule.schedule else { continue }
            for (action, cron) in s.actions {
                guard let next = cron.next(after: watermark) else { continue }
                scheduleCalendar(i, action, at: next)
            }
        }
    }

    private mutating func scheduleCalendar(_ i: Int, _ action: Rule.Schedule.Action, at deadline: EventTime) {
        timerSequence += 1
        timers.push(
            EngineTimer(
                deadline: deadline, sequence: timerSequence, rule: rules.rules[i].name, key: "", kind: .calendar,
                id: calendarGeneration, step: action.rawValue))
    }

    mutating func fireCalendar(_ t: EngineTimer, rule i: Int, into batch: inout ChangeBatch) {
        guard t.id == calendarGeneration, let s = rules.rules[i].schedule,
            let action = Rule.Schedule.Action(rawValue: t.step),
            let cron = s.actions.first(where: { $0.0 == action })?.1
        else { return }
        if let next = cron.next(after: t.deadline) { scheduleCalendar(i, action, at: next) }
        let now = t.deadline
        switch action {
        case .raise:
            let e = rules.rules[i].calendarEvent(at: now)
            guard rules.rules[i].alarmConditions.isEmpty || alarmConditionsHold(rules.rules[i].alarmConditions, e)
            else { return }
            var key: [UInt8] = []
            let list = rules.rules
            let hasContext = rules.hasRaiseContext
            list.withUnsafeBufferPointer { rs in
                raiseOrRepeat(i, rs, event: e, key: &key, hasContext: hasContext, at: now, into: &batch)
            }
        case .clear:
            let key = rules.rules[i].key.render(rules.rules[i].calendarEvent(at: now))
            clearActive(i, key: key, at: now, into: &batch)
        case .emit:
            guard var e = s.event else { return }
            e.time = now
            e.receivedAt = now
            // Its own time is the occurrence's: not a late event, though the watermark may be past it.
            emitting = true
            defer { emitting = false }
            transformAndProcess(e, at: now, into: &batch)
        }
    }
}
