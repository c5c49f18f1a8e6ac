import EccCore
import EccStore
import EccTestSupport
import Testing

@Suite("Read positions")
struct ReadPositionTests {
    @Test("committed with the changes of their records, the newest per source (a file's or the journal's), read back")
    func stored() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            var b = ChangeBatch()
            b.append(AlarmChange(kind: .raised, alarm: alarm(1), at: testEpoch))
            try store.apply(b, positions: [ReadPosition(path: "/var/log/a.log", device: 1, inode: 7, offset: 120)])
            let journal = ReadPosition(
                source: ReadPosition.journalSource(directory: nil), mark: .cursor("s=1;i=2;b=3;m=4;t=5;x=6"))
            try store.apply(
                ChangeBatch(),
                positions: [ReadPosition(path: "/var/log/a.log", device: 1, inode: 8, offset: 40), journal])
            let again = try AlarmStore(path: path)
            #expect(
                try again.readPositions() == [
                    "/var/log/a.log": ReadPosition(path: "/var/log/a.log", device: 1, inode: 8, offset: 40),
                    "journal:": journal,
                ])
            #expect(try again.activeAlarms().count == 1)
        }
    }

    @Test("the book gives a position only once the engine drained every event published before it")
    func book() {
        let book = PositionBook()
        let p = { (offset: Int64) in ReadPosition(path: "/l", device: 1, inode: 2, offset: offset) }
        book.record([p(10)], published: 5)
        book.record([p(20), ReadPosition(path: "/m", device: 1, inode: 3, offset: 1)], published: 9)
        #expect(book.hasWaiting)
        #expect(book.take(drained: 4).isEmpty)
        #expect(book.take(drained: 5) == [p(10)])
        #expect(book.take(drained: 100) == [p(20), ReadPosition(path: "/m", device: 1, inode: 3, offset: 1)])
        #expect(!book.hasWaiting)
    }
}
