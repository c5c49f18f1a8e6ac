import EccTestSupport
import Testing

@testable import EccCore

func tableAlarm(_ id: UInt64, _ key: String) -> Alarm {
    Alarm(
        id: id, rule: "r", key: key, severity: .major, summary: "s", source: "t", host: "h", type: "x",
        firstSeen: testEpoch, lastSeen: testEpoch)
}

func find(_ t: inout AlarmTable, _ key: String, hash: Int) -> UInt64? {
    var k = key
    return k.withUTF8 { t.update(UnsafeRawBufferPointer($0), hash: hash) { slot, _ in slot.alarm.id } }
}

func remove(_ t: inout AlarmTable, _ key: String, hash: Int) -> UInt64? {
    var k = key
    return k.withUTF8 { t.remove(UnsafeRawBufferPointer($0), hash: hash)?.id }
}

@Suite("Alarm table")
struct AlarmTableTests {
    @Test("keys whose hashes collide are kept apart, found, and removed in any order")
    func collisions() {
        // A hash function under which a, b and c collide.
        var t = AlarmTable(keyHash: { ["a", "b", "c", "z"].contains($0) ? 42 : 7 })
        t.insert(tableAlarm(1, "a"), hash: 42)
        t.insert(tableAlarm(2, "b"), hash: 42)
        t.insert(tableAlarm(3, "c"), hash: 42)
        t.insert(tableAlarm(4, "d"), hash: 7)
        #expect(find(&t, "a", hash: 42) == 1)
        #expect(find(&t, "b", hash: 42) == 2)
        #expect(find(&t, "c", hash: 42) == 3)
        #expect(find(&t, "z", hash: 42) == nil)
        #expect(remove(&t, "a", hash: 42) == 1)  // the primary entry goes; a colliding key takes its place
        #expect(find(&t, "b", hash: 42) == 2)
        #expect(find(&t, "c", hash: 42) == 3)
        #expect(find(&t, "d", hash: 7) == 4)
        #expect(remove(&t, "c", hash: 42) == 3)
        #expect(remove(&t, "d", hash: 7) == 4)
        #expect(find(&t, "b", hash: 42) == 2)
        #expect(t.count == 1)
        #expect(t.alarms.map(\.rule) == ["r"])
    }

    @Test("removing from the middle keeps every other alarm reachable", arguments: [0, 1, 17, 99])
    func denseRemoval(victim: Int) {
        var t = AlarmTable()
        for i in 0..<100 { t.insert(tableAlarm(UInt64(i), "k\(i)")) }
        #expect(t.remove(key: "k\(victim)")?.id == UInt64(victim))
        for i in 0..<100 where i != victim { #expect(t.alarm(forKey: "k\(i)")?.id == UInt64(i)) }
        #expect(t.alarm(forKey: "k\(victim)") == nil)
        #expect(t.count == 99)
    }
}
