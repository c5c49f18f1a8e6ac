import Synchronization

/// How far a followed file has been read: its path, which file it was (device and inode, so a rotation is
/// told from a restart) and the offset of the first byte not yet taken. Stored with the alarm changes of the
/// lines before it, in one transaction, so a restart resumes exactly after the last line whose effects are
/// committed.
package struct ReadPosition: Sendable, Hashable {
    package var path: String
    package var device: UInt64
    package var inode: UInt64
    package var offset: Int64

    package init(path: String, device: UInt64, inode: UInt64, offset: Int64) {
        self.path = path
        self.device = device
        self.inode = inode
        self.offset = offset
    }
}

/// Read positions waiting for the engine: a collector records where it has read to once the events of the
/// lines before are on the bus (with the bus's published count then), and the store writer takes the ones
/// whose events the engine has drained, to commit them with the changes those events made.
package final class PositionBook: Sendable {
    private let waiting = Mutex<[(published: Int, positions: [ReadPosition])]>([])
    private let count = Atomic<Int>(0)

    package init() {}

    /// Records `positions`, reached once every event published before the bus's `published` count is read.
    package func record(_ positions: [ReadPosition], published: Int) {
        guard !positions.isEmpty else { return }
        waiting.withLock { $0.append((published, positions)) }
        count.add(1, ordering: .releasing)
    }

    /// Whether positions wait to be taken.
    package var hasWaiting: Bool { count.load(ordering: .acquiring) > 0 }

    /// The newest position per path among those whose events are all drained (`drained`: the bus's consumed
    /// count), removed from the book.
    package func take(drained: Int) -> [ReadPosition] {
        let ready = waiting.withLock { w -> [(published: Int, positions: [ReadPosition])] in
            let n = w.prefix { $0.published <= drained }.count
            guard n > 0 else { return [] }
            defer { w.removeFirst(n) }
            return Array(w.prefix(n))
        }
        guard !ready.isEmpty else { return [] }
        count.subtract(ready.count, ordering: .relaxed)
        var newest: [String: ReadPosition] = [:]
        for entry in ready { for p in entry.positions { newest[p.path] = p } }
        return newest.values.sorted { $0.path < $1.path }
    }
}
