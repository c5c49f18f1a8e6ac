/// Correlation state that is not an alarm yet — held alarms, threshold counts, threshold windows,
/// heartbeats — so a restart does not forget it: a threshold half-filled before a restart still fires
/// after it. Active alarms themselves live in the store and are restored from there.
package struct EngineSnapshot: Sendable, Equatable {
    /// What an entry holds.
    package enum Kind: String, Sendable {
        /// A held alarm (`hold`): `deadline` is when it raises.
        case held
        /// Events counting towards a threshold: `times`.
        case counting
        /// The window of an active threshold alarm with a clear level: `times`.
        case window
        /// The latest expected event of an absence rule: `times[0]`.
        case heartbeat
        /// The first event of a sequence waiting for its second: prototype, `deadline`.
        case sequence
        /// The members of a group that has not raised: `prototype.members` with `times` in the same order.
        case group
        /// Recent raise/clear transitions of a flap-detecting rule's key: `times`.
        case flap
        /// As ``flap``, while the alarm is flapping and the events say it is active.
        case flapping
        /// As ``flap``, while the alarm is flapping and the events say it has cleared.
        case flappingCleared = "flapping-cleared"
    }

    /// One piece of state of one rule and key.
    package struct Entry: Sendable, Equatable {
        package var rule: String
        /// ``Rule/fingerprint`` when the snapshot was taken: state of a rule that changed is not restored.
        package var fingerprint: UInt64
        package var key: String
        package var kind: Kind
        /// The alarm it would raise (held, counting, heartbeat); id 0.
        package var prototype: Alarm?
        package var times: [EventTime]
        package var deadline: EventTime

        package init(
            rule: String, fingerprint: UInt64, key: String, kind: Kind, prototype: Alarm?, times: [EventTime],
            deadline: EventTime
        ) {
            self.rule = rule
            self.fingerprint = fingerprint
            self.key = key
            self.kind = kind
            self.prototype = prototype
            self.times = times
            self.deadline = deadline
        }
    }

    /// The engine's event time when the snapshot was taken.
    package var watermark: EventTime
    package var entries: [Entry]

    package init(watermark: EventTime, entries: [Entry]) {
        self.watermark = watermark
        self.entries = entries
    }
}

extension Rule {
    /// A stable 64-bit fingerprint of the rule's behaviour (not its location), the same in every process:
    /// FNV-1a over a canonical description.
    package var fingerprint: UInt64 {
        var text = "\(name)|\(when.conditions.map(\.description).sorted())|\(key.source)|"
        text += "\(clearWhen.map { $0.conditions.map(\.description).sorted() } ?? [])|"
        text += "\(alarm.severity?.name ?? "event")|\(alarm.summary.source)|\(stop)|"
        text += "\(timing.hold ?? -1)|\(timing.autoClear ?? -1)|\(timing.absentFor ?? -1)|"
        if let t = timing.threshold { text += "\(t.count)/\(t.within)/\(t.clearBelow ?? -1)" }
        text += "|\(timing.escalate.map { "\($0.after)>\($0.severity.name)" })"
        if let f = timing.flap { text += "|flap \(f.count)/\(f.within)" }
        if let q = timing.sequence {
            text += "|seq \(q.then.conditions.map(\.description).sorted())/\(q.within)/\(q.absent)/\(q.from)"
        }
        if let g = timing.group { text += "|group \(g.by.source)/\(g.count)/\(g.within)/\(g.clearBelow)" }
        if let ci { text += "|ci \(ci.source)" }
        if rootCause { text += "|root" }
        if let p = timing.oncePer { text += "|once \(p)" }
        if record != .changes { text += "|record \(record)" }
        if let s = schedule {
            text += "|calendar \(s.actions.map { "\($0.0) \($0.1)" }) \(s.event.map { "\($0)" } ?? "")"
        }
        for c in alarmConditions { text += "|\(c.active ? "while" : "unless") \(c.rule) \(c.key.source)" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0100_0000_01b3
        }
        return h
    }
}

extension Engine {
    /// The not-yet-alarm state of every rule, in a deterministic order.
    package func snapshot() -> EngineSnapshot {
        var entries: [EngineSnapshot.Entry] = []
        for (i, rule) in rules.rules.enumerated() where !rule.timing.isPlain {
            let fp = rule.fingerprint
            let s = states[i]
            for key in s.pending.keys.sorted() {
                guard let p = s.pending[key] else { continue }
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: rule.timing.hold != nil ? .held : .counting,
                        prototype: p.prototype, times: p.times, deadline: p.deadline))
            }
            for key in s.windows.keys.sorted() {
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: .window, prototype: nil,
                        times: s.windows[key] ?? [], deadline: .zero))
            }
            for key in s.sequences.keys.sorted() {
                guard let p = s.sequences[key] else { continue }
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: .sequence, prototype: p.prototype,
                        times: [], deadline: p.deadline))
            }
            for key in s.groups.keys.sorted() where s.active.alarm(forKey: key) == nil {
                guard let g = s.groups[key] else { continue }
                var proto = prototype(of: g.origin, rule: rule.name, key: key)
                let members = g.members.sorted
                proto.members = members
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: .group, prototype: proto,
                        times: members.map { g.members[$0] ?? .zero }, deadline: .zero))
            }
            for key in s.flaps.keys.sorted() {
                guard let f = s.flaps[key], !f.transitions.isEmpty else { continue }
                let kind: EngineSnapshot.Kind = !f.flapping ? .flap : f.underlyingActive ? .flapping : .flappingCleared
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: kind, prototype: nil, times: f.transitions,
                        deadline: .zero))
            }
            for key in s.heartbeats.keys.sorted() {
                guard let hb = s.heartbeats[key] else { continue }
                entries.append(
                    .init(
                        rule: rule.name, fingerprint: fp, key: key, kind: .heartbeat, prototype: hb.prototype,
                        times: [hb.last], deadline: .zero))
            }
        }
        return EngineSnapshot(watermark: watermark, entries: entries)
    }

    /// Restores a snapshot taken by an earlier run; entries of rules that are gone or changed are skipped.
    /// Returns how many entries were restored and skipped. Call after ``restore(_:)`` (active alarms).
    @discardableResult
    package mutating func restore(_ snapshot: EngineSnapshot) -> (restored: Int, skipped: Int) {
        if snapshot.watermark > watermark { watermark = snapshot.watermark }
        var restored = 0
        var skipped = 0
        let fingerprints = rules.rules.map(\.fingerprint)
        for e in snapshot.entries {
            guard let i = ruleIndex[e.rule], fingerprints[i] == e.fingerprint else {
                skipped += 1
                continue
            }
            let timing = rules.rules[i].timing
            switch e.kind {
            case .held:
                guard let proto = e.prototype, timing.hold != nil else { skipped += 1; continue }
                states[i].pending[e.key] = Pending(prototype: proto, times: [], deadline: e.deadline)
                schedule(e.rule, e.key, .hold, at: e.deadline)
            case .counting:
                guard let proto = e.prototype, let th = timing.threshold, let first = e.times.first else {
                    skipped += 1
                    continue
                }
                let expiry = first.adding(nanoseconds: th.within)
                states[i].pending[e.key] = Pending(prototype: proto, times: e.times, deadline: expiry)
                schedule(e.rule, e.key, .expiry, at: expiry)
            case .window:
                guard let th = timing.threshold, let first = e.times.first else { skipped += 1; continue }
                states[i].windows[e.key] = e.times
                armWindow(i, key: e.key, at: first.adding(nanoseconds: th.within))
            case .heartbeat:
                guard let proto = e.prototype, let absent = timing.absentFor, let last = e.times.first else {
                    skipped += 1
                    continue
                }
                let armed = states[i].active.alarm(forKey: e.key) == nil
                states[i].heartbeats[e.key] = Heartbeat(last: last, prototype: proto, armed: armed)
                if armed { schedule(e.rule, e.key, .absence, at: last.adding(nanoseconds: absent)) }
            case .sequence:
                guard let proto = e.prototype, timing.sequence != nil else { skipped += 1; continue }
                states[i].sequences[e.key] = Pending(prototype: proto, times: [], deadline: e.deadline)
                schedule(e.rule, e.key, .sequence, at: e.deadline)
            case .group:
                guard let proto = e.prototype, let g = timing.group, proto.members.count == e.times.count else {
                    skipped += 1
                    continue
                }
                var st = GroupState(origin: Event(standingInFor: proto))
                for (m, t) in zip(proto.members, e.times) { st.members.record(m, at: t) }
                if let oldest = e.times.min() {
                    st.armed = oldest.adding(nanoseconds: g.within)
                    schedule(e.rule, e.key, .group, at: st.armed)
                }
                states[i].groups[e.key] = st
            case .flap, .flapping, .flappingCleared:
                guard let flap = timing.flap, let last = e.times.last else { skipped += 1; continue }
                let flapping = e.kind != .flap && states[i].active.alarm(forKey: e.key) != nil
                states[i].flaps[e.key] = FlapState(
                    transitions: e.times, flapping: flapping, underlyingActive: e.kind != .flappingCleared)
                if flapping { schedule(e.rule, e.key, .flap, at: last.adding(nanoseconds: flap.within)) }
            }
            restored += 1
        }
        return (restored, skipped)
    }

    func prototype(of e: Event, rule: String, key: String) -> Alarm {
        Alarm(
            id: 0, rule: rule, key: key, severity: e.severity, summary: e.summary, source: e.source, host: e.host,
            type: e.type, firstSeen: e.time, lastSeen: e.time)
    }
}
