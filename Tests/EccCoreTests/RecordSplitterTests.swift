import EccCore
import Testing

/// Followed files' records: what comes out of a file, and at which offsets, however it is read.
@Suite("Record splitter")
struct RecordSplitterTests {
    static func split(_ text: String, reads: Int?, max: Int = 64, start: String? = nil) throws -> [RecordSplitter
        .Output]
    {
        var s = RecordSplitter(maxBytes: max, start: try start.map { try Pattern($0) })
        let bytes = Array(text.utf8)
        var out: [RecordSplitter.Output] = []
        var offset = 0
        let step = reads ?? bytes.count + 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { s.consume($0, at: Int64(offset)) { out.append($0) } }
            offset = end
        }
        s.finish { out.append($0) }
        // How much of a cut line had arrived depends on the reads.
        return out.map { if case .cut = $0 { .cut(0) } else { $0 } }
    }

    static let cases: [(String, String, Int, String?, [RecordSplitter.Output])] = [
        (
            "lines, a CR, an empty line, a last line without its newline", "one\r\ntwo\n\nthree", 64, nil,
            [
                .record("one", end: 5), .record("two", end: 9), .skipped(end: 10), .record("three", end: 15),
            ]
        ),
        (
            "an over-long line cut, the rest skipped", "0123456789abcdef\nok\n", 8, nil,
            [
                .cut(0), .record("01234567", end: 8), .skipped(end: 17), .record("ok", end: 20),
            ]
        ),
        (
            "multi-line records: each at the next start, the last at the end", "2026-a\n  at x\n  at y\n2026-b\n", 64,
            "^2026-", [.record("2026-a\n  at x\n  at y", end: 21), .record("2026-b", end: 28)]
        ),
        (
            "a line before any start is a record of its own", "junk\n2026-a\n", 64, "^2026-",
            [
                .record("junk", end: 5), .record("2026-a", end: 12),
            ]
        ),
    ]

    @Test("each case, whole and read in pieces of every size")
    func everyCut() throws {
        for (name, text, max, start, expected) in Self.cases {
            #expect(try Self.split(text, reads: nil, max: max, start: start) == expected, "\(name)")
            for size in 1...text.utf8.count {
                #expect(
                    try Self.split(text, reads: size, max: max, start: start) == expected, "\(name), reads of \(size)")
            }
        }
    }
}
