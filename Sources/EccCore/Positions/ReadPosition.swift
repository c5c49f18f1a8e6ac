import Synchronization

/// How far a source has been read: a followed file (which file it was, by device and inode, so a rotation
/// is told from a restart, and the offset of the first byte not yet taken), the journal (the cursor of the
/// last entry taken) or the watched files' integrity (the baseline generation reported). Stored with the alarm changes of the records before it, in one transaction, so a
/// restart resumes exactly after the last record whose effects are committed.
package struct ReadPosition: Sendable, Hashable {
    /// Where a source has been read to.
    package enum Mark: Sendable, Hashable {
        case file(device: UInt64, inode: UInt64, offset: Int64)
        /// An opaque cursor: sd-journal's, of the last entry taken; for file integrity, the generation of the
        /// baseline whose changes are reported.
        case cursor(String)
    }

    /// What was read: a file's path, or ``journalSource(directory:)`` for the journal.
    package var source: String
    package var mark: Mark

    package init(source: String, mark: Mark) {
        self.source = source
        self.mark = mark
    }

    /// A followed file's position.
    package init(path: String, device: UInt64, inode: UInt64, offset: Int64) {
        self.init(source: path, mark: .file(device: device, inode: inode, offset: offset))
    }

    /// The name the journal's position is stored under: `journal:` and its directory, `journal:` alone for the
    /// machine's own journal.
    package static func journalSource(directory: String?) -> String { "journal:" + (directory ?? "") }
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

    /// The newest position per source among those whose events are all drained (`drained`: the bus's consumed
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
        for entry in ready { for p in entry.positions { newest[p.source] = p } }
        return newest.values.sorted { $0.source < $1.source }
    }
}
