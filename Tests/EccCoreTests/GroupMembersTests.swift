import Testing

@testable import EccCore

@Suite("Group members")
struct GroupMembersTests {
    func t(_ s: Int64) -> EventTime { EventTime(nanoseconds: s * 1_000_000_000) }

    @Test("members stay sorted and the newest time exact as they join, repeat, leave and age out")
    func keptUpToDate() {
        var m = GroupMembers()
        let joined = [m.record("sw1/10", at: t(5)), m.record("sw1/2", at: t(3)), m.record("sw1/7", at: t(9))]
        #expect(joined == [true, true, true])
        let repeated = m.record("sw1/2", at: t(4))  // a repeat: not new, its time moves on
        let older = m.record("sw1/2", at: t(1))  // an older event does not move it back
        #expect(!repeated && !older)
        #expect(m.sorted == ["sw1/10", "sw1/2", "sw1/7"])
        #expect(m.sorted == m.sorted.sorted())
        #expect(m.newest == t(9) && m.oldest == t(4) && m["sw1/2"] == t(4))
        // The newest leaves: the newest is found again.
        let removed = m.remove("sw1/7")
        let again = m.remove("sw1/7")
        #expect(removed && !again)
        #expect(m.newest == t(5) && m.sorted == ["sw1/10", "sw1/2"])
        // Ageing out.
        m.keep(after: t(4))
        #expect(m.sorted == ["sw1/10"] && m.count == 1 && m.newest == t(5))
        m.keep(after: t(5))
        #expect(m.isEmpty && m.sorted.isEmpty && m.newest == .zero)
    }

    @Test("a thousand members in random order come out as a sort of them")
    func manyMembers() {
        var m = GroupMembers()
        var names = (0..<1000).map { "core1/\($0)" }
        names.shuffle()
        for (i, n) in names.enumerated() { m.record(n, at: t(Int64(i))) }
        for n in names.prefix(300) { m.remove(n) }
        #expect(m.sorted == Array(names.dropFirst(300)).sorted())
        #expect(m.newest == t(999))
    }
}
