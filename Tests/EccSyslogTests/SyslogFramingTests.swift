import EccSyslog
import Testing

/// RFC 6587 framing: what comes out of a stream, however it is cut into reads.
@Suite("Syslog framing")
struct SyslogFramingTests {
    enum Out: Equatable, CustomStringConvertible {
        case message(String)
        case tooLong(Int)

        var description: String {
            switch self {
            case .message(let m): "message(\(m))"
            case .tooLong(let n): "tooLong(\(n))"
            }
        }
    }

    /// Feeds `stream` in reads of the given sizes (the rest at the end), as a connection would, then ends it.
    static func frames(_ stream: [UInt8], reads: [Int], max: Int) -> [Out] {
        var framing = SyslogFraming(maxMessageBytes: max)
        var out: [Out] = []
        var held: [UInt8] = []
        var offset = 0
        func feed(_ final: Bool) {
            let consumed = held.withUnsafeBytes { raw in
                framing.take(raw, final: final) { f in
                    switch f {
                    case .message(let r): out.append(.message(String(decoding: raw[r], as: UTF8.self)))
                    case .tooLong(let n): out.append(.tooLong(n))
                    }
                }
            }
            held.removeFirst(consumed)
        }
        for n in reads where offset < stream.count {
            let end = min(stream.count, offset + n)
            held += stream[offset..<end]
            offset = end
            feed(false)
        }
        held += stream[offset...]
        feed(false)
        feed(true)
        #expect(held.isEmpty, "the end of the stream consumes everything")
        return out
    }

    static let cases: [(String, String, Int, [Out])] = [
        ("newlines", "<13>a\n<13>b\r\n\n<13>c", 480, [.message("<13>a"), .message("<13>b"), .message("<13>c")]),
        ("octet counting", "5 <13>a6 <13>bc", 480, [.message("<13>a"), .message("<13>bc")]),
        ("a line end inside the count", "6 <13>a\n7 <13>b\r\n", 480, [.message("<13>a"), .message("<13>b")]),
        (
            "both in one stream", "5 <13>a<13>b\n5 <13>c", 480,
            [.message("<13>a"), .message("<13>b"), .message("<13>c")]
        ),
        ("digits without a space are a line", "123abc\n", 480, [.message("123abc")]),
        ("ten digits are a line", "1234567890 x\n", 480, [.message("1234567890 x")]),
        ("a leading zero is a line", "05 <13>a\n", 480, [.message("05 <13>a")]),
        (
            "an over-long count is skipped by its length", "20 <13>aaaaaaaaaaaaaaaa5 <13>b", 10,
            [
                .tooLong(20), .message("<13>b"),
            ]
        ),
        (
            "an over-long line is skipped to its newline", "<13>aaaaaaaaaaaa\n<13>b\n", 10,
            [
                .tooLong(16), .message("<13>b"),
            ]
        ),
        ("a count the stream ends inside", "9 <13>a", 480, [.message("<13>a")]),
        ("only line ends", "\n\r\n\n", 480, []),
    ]

    @Test("each framing, whole and cut into reads of every size")
    func everyCut() {
        for (name, stream, max, expected) in Self.cases {
            let bytes = Array(stream.utf8)
            #expect(Self.frames(bytes, reads: [], max: max) == expected, "\(name)")
            for size in 1...bytes.count {
                let got = Self.frames(bytes, reads: Array(repeating: size, count: bytes.count), max: max)
                // An over-long line seen in pieces is reported with what had arrived when it passed the limit.
                let normalised = got.map { o -> Out in if case .tooLong = o { .tooLong(0) } else { o } }
                let want = expected.map { o -> Out in if case .tooLong = o { .tooLong(0) } else { o } }
                #expect(normalised == want, "\(name), reads of \(size)")
            }
        }
    }
}
