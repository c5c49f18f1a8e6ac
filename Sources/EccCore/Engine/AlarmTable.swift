/// The active alarms of one rule, looked up by the raw bytes of the rendered key.
///
/// The hot path is "a repeat of an active alarm": rendering the key into a reused byte buffer and
/// finding the alarm by a hash of those bytes avoids building a `String` (and a heap allocation) per
/// event. `Hasher` is randomly seeded per process, so keys chosen by a sender cannot flood one bucket.
/// Two different keys with the same 64-bit hash (vanishingly rare) fall back to a string-keyed table.
struct AlarmTable: Sendable {
    /// An active alarm and where its latest change sits in the batch being built.
    struct Slot: Sendable {
        var alarm: Alarm
        var hint = ChangeBatch.EntryHint()
    }

    private var primary: [Int: Slot] = [:]
    private var overflow: [String: Slot] = [:]

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

    var count: Int { primary.count + overflow.count }

    var alarms: [Alarm] { primary.values.map(\.alarm) + overflow.values.map(\.alarm) }

    /// Runs `body` on the alarm with this key, if active; returns nil when there is none.
    @inline(__always)
    mutating func update<R>(_ key: UnsafeRawBufferPointer, hash: Int, _ body: (inout Slot) -> R) -> R? {
        if let i = primary.index(forKey: hash) {
            if Self.equal(primary.values[i].alarm.key, key) { return body(&primary.values[i]) }
            if overflow.isEmpty { return nil }
        }
        guard !overflow.isEmpty else { return nil }
        let k = String(decoding: key, as: UTF8.self)
        guard let i = overflow.index(forKey: k) else { return nil }
        return body(&overflow.values[i])
    }

    /// Adds an alarm that is not in the table.
    mutating func insert(_ alarm: Alarm, hash: Int, hint: ChangeBatch.EntryHint = ChangeBatch.EntryHint()) {
        let slot = Slot(alarm: alarm, hint: hint)
        if primary[hash] == nil { primary[hash] = slot } else { overflow[alarm.key] = slot }
    }

    /// Adds an alarm, computing its hash (restore, reload).
    mutating func insert(_ alarm: Alarm) {
        insert(alarm, hash: Self.hash(alarm.key))
    }

    /// Removes and returns the alarm with this key.
    mutating func remove(_ key: UnsafeRawBufferPointer, hash: Int) -> Alarm? {
        if let i = primary.index(forKey: hash), Self.equal(primary.values[i].alarm.key, key) {
            return primary.remove(at: i).value.alarm
        }
        guard !overflow.isEmpty else { return nil }
        return overflow.removeValue(forKey: String(decoding: key, as: UTF8.self))?.alarm
    }
}

extension AlarmTable {
    /// The active alarm with this key (slow path: builds the key's bytes).
    func alarm(forKey key: String) -> Alarm? {
        var copy = self
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return copy.update(raw, hash: Self.hash(raw)) { $0.alarm }
        }
    }

    /// Removes the alarm with this key (slow path).
    mutating func remove(key: String) -> Alarm? {
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return remove(raw, hash: Self.hash(raw))
        }
    }

    /// Runs `body` on the active alarm's slot with this key (slow path).
    mutating func update<R>(key: String, _ body: (inout Slot) -> R) -> R? {
        var k = key
        return k.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            return update(raw, hash: Self.hash(raw), body)
        }
    }
}
