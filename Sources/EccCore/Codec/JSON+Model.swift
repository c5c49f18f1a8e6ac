extension JSONWriter {
    /// Writes an event as the object ``JSONEventDecoder`` reads back.
    package mutating func write(_ event: Event) {
        beginObject()
        field("time", event.time.description)
        field("source", event.source)
        if !event.host.isEmpty { field("host", event.host) }
        field("type", event.type)
        field("severity", event.severity.name)
        if !event.summary.isEmpty { field("summary", event.summary) }
        if !event.attributes.isEmpty {
            key("attributes")
            beginObject()
            for a in event.attributes {
                key(a.key)
                switch a.value {
                case .string(let s): value(s)
                case .int(let i): value(i)
                case .double(let d): value(d)
                case .bool(let b): value(b)
                }
            }
            endObject()
        }
        endObject()
    }

    /// Writes an alarm's fields (without the surrounding braces).
    mutating func writeAlarmFields(_ a: Alarm) {
        field("id", Int64(a.id))
        field("rule", a.rule)
        field("key", a.key)
        field("state", a.state.rawValue)
        field("severity", a.severity.name)
        field("summary", a.summary)
        field("source", a.source)
        field("host", a.host)
        field("type", a.type)
        field("first_seen", a.firstSeen.description)
        field("last_seen", a.lastSeen.description)
        field("count", a.count)
        key("cleared_at")
        if let c = a.clearedAt { value(c.description) } else { null() }
        if let s = a.suppression {
            field("suppressed_by", s.description)
            if let c = s.cause { field("cause", Int64(c)) }
        }
        if a.flapping {
            key("flapping")
            value(true)
        }
        if !a.members.isEmpty {
            key("members")
            beginArray()
            for m in a.members { value(m) }
            endArray()
        }
    }

    /// Writes an alarm as an object.
    package mutating func write(_ alarm: Alarm) {
        beginObject()
        writeAlarmFields(alarm)
        endObject()
    }

    /// Writes an alarm change as one flat object: `change` and `at`, then the alarm's fields.
    package mutating func write(_ change: AlarmChange) {
        beginObject()
        field("change", change.kind.rawValue)
        field("at", change.at.description)
        if !change.notify.isEmpty {
            key("notify")
            beginArray()
            for r in change.notify { value(r) }
            endArray()
        }
        writeAlarmFields(change.alarm)
        endObject()
    }
}
