#if canImport(Glibc)
    import Glibc
#endif

/// Records out of a growing text file, read piece by piece: lines (without their CR), or, with a start
/// pattern, multi-line records (a line matching it starts one; the lines after it that do not are joined
/// with newlines). A line longer than the limit is cut there (``Output/cut(_:)``) and the rest of it skipped.
///
/// Each record comes with the file offset just after it: the read position once it is taken, so a
/// follower that commits that position with the record's effects resumes exactly after it.
package struct RecordSplitter {
    package enum Output: Equatable {
        /// A record, and the offset of the first byte after it (its newline included).
        case record(String, end: Int64)
        /// Nothing to take up to this offset: an empty line, or the rest of a cut line skipped.
        case skipped(end: Int64)
        /// A line was longer than the limit (at least this many bytes): its first part is the next record.
        case cut(Int)
    }

    package let maxBytes: Int
    package let start: Pattern?
    /// An incomplete line, and where it starts in the file.
    private var held: [UInt8] = []
    private var heldStart: Int64 = 0
    /// Skipping the rest of an over-long line.
    private var discarding = false
    /// The multi-line record being joined, and where its last line ends.
    private var record: [UInt8] = []
    private var recordEnd: Int64 = 0

    package init(maxBytes: Int, start: Pattern?) {
        self.maxBytes = maxBytes
        self.start = start
    }

    /// A multi-line record is waiting for its next line (or for ``flush(_:)``).
    package var hasRecord: Bool { !record.isEmpty }

    /// Takes `bytes`, read at file offset `offset`, handing out the records they complete.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, at offset: Int64, _ out: (Output) -> Void) {
        var i = 0
        while i < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[i...])
            let nl = rest.firstIndex(of: 0x0A).map { i + ($0 - rest.startIndex) }
            let end = nl ?? bytes.count
            // Where the line ends in the file (after its newline), once its newline is here.
            let lineEnd = nl.map { offset + Int64($0) + 1 }
            if discarding {
                if let lineEnd {
                    discarding = false
                    // The cut line is over: the position moves past all of it.
                    if record.isEmpty { out(.skipped(end: lineEnd)) } else { recordEnd = lineEnd }
                }
            } else {
                if held.isEmpty { heldStart = offset + Int64(i) }
                let room = maxBytes - held.count
                held.append(contentsOf: bytes[i..<(i + Swift.min(room, end - i))])
                if end - i > room {
                    // The first part is a record; the rest is skipped up to the newline, here or later (the
                    // same outputs whichever: a file's records do not depend on how it is read).
                    out(.cut(held.count + end - i - room))
                    line(end: heldStart + Int64(held.count), out)
                    if let lineEnd {
                        if record.isEmpty { out(.skipped(end: lineEnd)) } else { recordEnd = lineEnd }
                    } else {
                        discarding = true
                    }
                } else if let lineEnd {
                    line(end: lineEnd, out)
                }
            }
            i = end + 1
        }
    }

    /// The content ended (a rotation, a truncation): its last line without a newline, and the record, are
    /// complete.
    package mutating func finish(_ out: (Output) -> Void) {
        if !held.isEmpty && !discarding { line(end: heldStart + Int64(held.count), out) }
        flush(out)
        reset()
    }

    /// Hands out the multi-line record now (nothing was joined to it for a while).
    package mutating func flush(_ out: (Output) -> Void) {
        guard !record.isEmpty else { return }
        let text = String(decoding: record, as: UTF8.self)
        record.removeAll(keepingCapacity: true)
        out(.record(text, end: recordEnd))
    }

    /// Forgets what is held: a new file, or the same one read again from its start.
    package mutating func reset() {
        held.removeAll()
        record.removeAll()
        discarding = false
    }

    /// The complete line in `held` (ending at `end` in the file), without its CR.
    private mutating func line(end: Int64, _ out: (Output) -> Void) {
        if held.last == 0x0D { held.removeLast() }
        defer { held.removeAll(keepingCapacity: true) }
        guard let start else {
            return out(held.isEmpty ? .skipped(end: end) : .record(String(decoding: held, as: UTF8.self), end: end))
        }
        if record.isEmpty || start.matches(String(decoding: held, as: UTF8.self)) {
            if !record.isEmpty {
                let text = String(decoding: record, as: UTF8.self)
                record.removeAll(keepingCapacity: true)
                out(.record(text, end: heldStart))
            }
            record = held
        } else if record.count + 1 + held.count <= maxBytes {
            record.append(0x0A)
            record.append(contentsOf: held)
        } else {
            // The record is full: the line is not joined, and counted.
            out(.cut(record.count + 1 + held.count))
        }
        recordEnd = end
    }
}
