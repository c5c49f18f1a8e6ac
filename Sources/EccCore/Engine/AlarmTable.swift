/// An active alarm as the engine keeps it: the fields that vary per alarm, nothing shared.
///
/// The rule name lives once in the table, state is always `active`, `clearedAt` always nil; source, host
/// and type (shared by many alarms) are numbers into the table's ``AlarmTable/Names``. At a million live
/// keys this is the difference between ~650 MB and well under half of that.
struct ActiveAlarm: Sendable {
    var id: UInt64
    var key: String
    var summary: String
    var firstSeen: EventTime
    var lastSeen: EventTime
    var count: Int64
    var source: UInt32
    var host: UInt32
    var type: UInt32
    var severity: Severity
    /// ``flagSuppressed`` / ``flagFlapping``: set on the few alarms the engine tracks beside the table.
    var flags: UInt8 = 0

    static let flagSuppressed: UInt8 = 1
    static let flagFlapping: UInt8 = 2

    init(_ a: Alarm, names: inout AlarmTable.Names) {
        id = a.id
        key = a.key
        summary = a.summary
        source = names.intern(a.source)
        host = names.intern(a.host)
        type = names.intern(a.type)
        firstSeen = a.firstSeen
        lastSeen = a.lastSeen
        count = a.count
        severity = a.severity
        flags = (a.suppression != nil ? Self.flagSuppressed : 0) | (a.flapping ? Self.flagFlapping : 0)
    }

    /// The full alarm value (the engine adds the suppression of a flagged alarm).
    func alarm(rule: String, _ names: AlarmTable.Names) -> Alarm {
        Alarm(
            id: id, rule: rule, key: key, state: .active, severity: severity, summary: summary,
            source: names[source], host: names[host], type: names[type], firstSeen: firstSeen, lastSeen: lastSeen,
            count: count, flapping: flags & Self.flagFlapping != 0)
    }
}

/// The active alarms of one rule, looked up by the raw bytes of the rendered key.
///
/// The hot path is "a repeat of an active alarm": rendering the key into a reused byte buffer and
/// finding the alarm by a hash of those bytes avoids building a `String` (and a heap allocation) per
/// event. `Hasher` is randomly seeded per process, so keys chosen by a sender cannot flood one bucket.
/// Alarms sit in a dense array; a small index maps hashes to positions. Two different keys with the
/// same 64-bit hash (vanishingly rare) fall back to a string-keyed index.
struct AlarmTable: Sendable {
    /// An active alarm and where its latest change sits in the batch being built.
    struct Slot: Sendable {
        var alarm: ActiveAlarm
        var hint = ChangeBatch.EntryHint()
    }

    /// Strings many alarms share (sources, hosts, types), stored once and referred to by number.
    struct Names: Sendable {
        private var strings: [String] = []
        private var ids: [String: UInt32] = [:]

        subscript(id: UInt32) -> String { strings[Int(id)] }

        mutating func intern(_ s: String) -> UInt32 {
            if let id = ids[s] { return id }
            let id = UInt32(truncatingIfNeeded: strings.count)
            strings.append(s)
            ids[s] = id
            return id
        }
    }

    /// The rule's name (set by the first insert).
    private(set) var rule = ""
    private(set) var names = Names()
    // The key's hash is not stored per alarm (8 bytes × every alarm); the rare removals recompute it with
    // this function, which must agree with the hashes callers pass (tests swap it to force collisions).
    private let keyHash: @Sendable (String) -> Int

    init(keyHash: @escaping @Sendable (String) -> Int = AlarmTable.hash) {
        self.keyHash = keyHash
    }
    private var slots: ContiguousArray<Slot> = []
    private var primary: [Int: Int32] = [:]
    private var overflow: [String: Int32] = [:]

    /// Hash of a key's bytes.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: key)
        return h.finalize()
    }

    static func hash(_ key: String) -> Int {
        var k = key
        return k.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    static func equal(_ key: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = key.utf8
        guard utf8.count == bytes.count else { return false }
        // Native strings expose their bytes; compare them directly rather than through two iterators.
        if let same = utf8.withContiguousStorageIfAvailable({ stored -> Bool in
            for i in 0..<stored.count where stored[i] != bytes[i] { return false }
            return true
        }) {
            return same
        }
        return utf8.elementsEqual(bytes)
    }

    var count: Int { slots.count }

    var alarms: [Alarm] { slots.map { $0.alarm.alarm(rule: rule, names) } }

    private func position(_ key: UnsafeRawBufferPointer, hash: Int) -> Int? {
        if let p = primary[hash] {
            if Self.equal(slots[Int(p)].alarm.key, key) { return Int(p) }
        }
        guard !overflow.isEmpty else { return nil }
        return overflow[String(decoding: key, as: UTF8.self)].map(Int.init)
    }

    /// Runs `body` on the slot with this key, if active; returns nil when there is none.
    @inline(__always)
    mutating func update<R>(_ key: UnsafeRawBufferPointer, hash: Int, _ body: (inout Slot, Names) -> R) -> R? {
        guard let p = position(key, hash: hash) else { return nil }
        return body(&slots[p], names)
    }

    /// Adds an alarm that is not in the table.
    mutating func insert(_ alarm: Alarm, hash: Int, hint: ChangeBatch.EntryHint = ChangeBatch.EntryHint()) {
        if rule.isEmpty { rule = alarm.rule }
        let p = Int32(slots.count)
        slots.append(Slot(alarm: ActiveAlarm(alarm, names: &names), hint: hint))
        if primary[hash] == nil { primary[hash] = p } else { overflow[alarm.key] = p }
    }

    /// Adds an alarm, computing its hash (restore, reload).
    mutating func insert(_ alarm: Alarm) {
        insert(alarm, hash: keyHash(alarm.key))
    }

    /// Removes and returns the alarm with this key.
    mutating func remove(_ key: UnsafeRawBufferPointer, hash: Int) -> Alarm? {
        guard let p = position(key, hash: hash) else { return nil }
        let removed = slots[p]
        unindex(removed, at: p)
        let last = slots.count - 1
        if p != last {
            // Keep the array dense: move the last alarm into the hole and re-point its index entry.
            let moved = slots[last]
            unindex(moved, at: last)
            slots[p] = moved
            let movedHash = keyHash(moved.alarm.key)
            if primary[movedHash] == nil { primary[movedHash] = Int32(p) } else { overflow[moved.alarm.key] = Int32(p) }
        }
        slots.removeLast()
        return removed.alarm.alarm(rule: rule, names)
    }

    private mutating func unindex(_ slot: Slot, at p: Int) {
        let hash = keyHash(slot.alarm.key)
        if primary[hash] == Int32(p) {
            primary[hash] = nil
            // A colliding key waiting in overflow takes the freed primary entry.
            if !overflow.isEmpty, let (k, q) = overflow.first(where: { keyHash($0.key) == hash }) {
                overflow[k] = nil
                primary[hash] = q
            }
        } else {
            overflow[slot.alarm.key] = nil
        }
    }
}

extension AlarmTable {
    /// Whether an alarm with this key is active (builds no alarm).
    func contains(key: String) -> Bool {
        var k = key
        return k.withUTF8 { buf in position(UnsafeRawBufferPointer(buf), hash: keyHash(key)) != nil }
    }

    /// The active alarm with this key (slow path: builds the key's bytes).
    func alarm(forKey key: String) -> Alarm? {
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return position(raw, hash: keyHash(key)).map { slots[$0].alarm.alarm(rule: rule, names) }
        }
    }

    /// Removes the alarm with this key (slow path).
    mutating func remove(key: String) -> Alarm? {
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return remove(raw, hash: keyHash(key))
        }
    }

    /// Runs `body` on the active alarm's slot with this key (slow path).
    mutating func update<R>(key: String, _ body: (inout Slot, Names) -> R) -> R? {
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return update(raw, hash: keyHash(key), body)
        }
    }
}
