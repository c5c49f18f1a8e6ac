import EccCore

/// Followed files' records (``RecordSplitter``).
enum FuzzRecords {
    static let start: Pattern? = try? Pattern("^\\d{4}-")

    /// The first byte picks the read size (1–32), the limit (64–3136 bytes) and multi-line records or not;
    /// the rest is the file. Records and their offsets are the same however the file is cut into reads; the
    /// offsets never go back and stay within the file; a record is never over the limit (multi-line: the
    /// limit plus its joined lines, each within it) nor, outside multi-line, empty; the end consumes all.
    static func records(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let read = Int(first & 0x1F) + 1
        let limit = 64 + Int((first >> 5) & 0x3) * 1024
        let multiline = first & 0x80 != 0
        let file = Array(bytes.dropFirst())
        let pieces = split(file, read: read, limit: limit, multiline: multiline)
        let whole = split(file, read: file.count + 1, limit: limit, multiline: multiline)
        precondition(pieces == whole, "records depend on how the file is cut into reads")
    }

    private static func split(_ file: [UInt8], read: Int, limit: Int, multiline: Bool) -> [RecordSplitter.Output] {
        var splitter = RecordSplitter(maxBytes: limit, start: multiline ? start : nil)
        var out: [RecordSplitter.Output] = []
        var last: Int64 = 0
        func advance(_ end: Int64) {
            precondition(end >= last && end <= Int64(file.count), "an offset out of order or range")
            last = end
        }
        func check(_ o: RecordSplitter.Output) {
            switch o {
            case .record(let text, let end):
                precondition(multiline || !text.isEmpty, "an empty record")
                // Bytes that are not UTF-8 become U+FFFD: at most three bytes each.
                precondition(multiline || text.utf8.count <= 3 * limit, "a record over the limit")
                advance(end)
                out.append(o)
            case .skipped(let end):
                advance(end)
                out.append(o)
            case .cut(let n):
                precondition(n > limit, "a line within the limit cut")
                // How much of the long line had arrived depends on the reads: compare that one was cut.
                out.append(.cut(0))
            }
        }
        var offset = 0
        while offset < file.count {
            let end = min(file.count, offset + read)
            file[offset..<end].withUnsafeBytes { splitter.consume($0, at: Int64(offset), check) }
            offset = end
        }
        splitter.finish(check)
        return out
    }
}
