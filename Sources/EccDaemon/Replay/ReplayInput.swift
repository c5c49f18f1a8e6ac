import EccCore
import EccSNMP

#if canImport(Glibc)
    import Glibc
#endif

/// Recorded events for a ``Replay``, read as a stream (memory stays flat in the input size): JSON lines
/// (the TCP collector's format, each with its `time`) or a pcap capture of SNMP traps.
package enum ReplayInput {
    /// The formats, told apart by the first bytes (a pcap file starts with its magic number).
    package enum Format: String, Sendable, CaseIterable {
        case jsonLines = "json"
        case pcap
        /// Raw text lines, made events by the rule set's parsers (`- parser:` entries).
        case text
    }

    /// How raw text lines are read (``Format/text``).
    package struct TextLines: Sendable {
        package var parsers: LineParsers
        /// Year-less times are placed at most a day after this (the file's modification time).
        package var reference: EventTime

        package init(parsers: LineParsers, reference: EventTime) {
            self.parsers = parsers
            self.reference = reference
        }
    }

    /// A line or packet that gave no event, for the error report.
    package struct Refusal: Sendable, CustomStringConvertible {
        /// Line number (JSON lines) or packet number (pcap), from 1.
        package var position: Int
        package var format: Format
        package var message: String

        package var description: String {
            "\(format == .pcap ? "packet" : "line") \(position): \(message)"
        }
    }

    /// Reads `fd` to its end, calling `event` for each event in input order and `refused` for each line or
    /// packet that gives none. Returns the format read.
    ///
    /// `format` nil tells JSON lines and pcap apart by the first bytes; ``Format/text`` needs `text` (the
    /// parsers), and calls `unmatched` for each line no parser takes.
    @discardableResult
    package static func read(
        fd: Int32, format: Format? = nil, text: TextLines? = nil, names: OIDNameCache = OIDNameCache(mibs: nil),
        event: (Event) -> Void, refused: (Refusal) -> Void, unmatched: () -> Void = {}
    ) -> Format {
        var reader = ChunkReader(fd: fd)
        if format == .text, let text {
            readText(&reader, text, event: event, refused: refused, unmatched: unmatched)
            return .text
        }
        return read(&reader, names: names, event: event, refused: refused)
    }

    static func readText(
        _ reader: inout ChunkReader, _ text: TextLines, event: (Event) -> Void, refused: (Refusal) -> Void,
        unmatched: () -> Void
    ) {
        eachLine(&reader, .text, refused: refused) { number, line in
            var raw = line
            if raw.last == 0x0D { raw.removeLast() }
            let outcome = raw.withUnsafeBufferPointer {
                text.parsers.parse($0, receivedAt: untimed, reference: text.reference)
            }
            switch outcome {
            case .event(let e) where e.time == untimed:
                refused(
                    Refusal(
                        position: number, format: .text,
                        message: "its parser reads no time: a replay runs on the events' own timestamps"))
            case .event(let e): event(e)
            case .unmatched: unmatched()
            case .refused(let parser, let reason):
                refused(Refusal(position: number, format: .text, message: "parser '\(parser)': \(reason)"))
            }
        }
    }

    /// The time an event read without one takes: marked, to refuse it (a replay has no clock of its own).
    static let untimed = EventTime(nanoseconds: .min)

    /// Each line with its number from 1; a line longer than ``maxLineBytes`` is refused whole.
    private static func eachLine(
        _ reader: inout ChunkReader, _ format: Format, refused: (Refusal) -> Void,
        _ body: (Int, ArraySlice<UInt8>) -> Void
    ) {
        var number = 0
        while let line = reader.line(maximum: maxLineBytes) {
            number += 1
            switch line {
            case .tooLong:
                refused(Refusal(position: number, format: format, message: "longer than \(maxLineBytes) bytes"))
            case .bytes(let raw): body(number, raw)
            }
        }
    }

    /// The same over bytes in memory (the fuzz target's entry).
    @discardableResult
    package static func read(
        bytes: [UInt8], names: OIDNameCache = OIDNameCache(mibs: nil), event: (Event) -> Void,
        refused: (Refusal) -> Void
    ) -> Format {
        var reader = ChunkReader(bytes: bytes)
        return read(&reader, names: names, event: event, refused: refused)
    }

    private static func read(
        _ reader: inout ChunkReader, names: OIDNameCache, event: (Event) -> Void, refused: (Refusal) -> Void
    ) -> Format {
        if PcapReader.isPcap(reader.peek(4)) {
            PcapReader.read(&reader, names: names, event: event, refused: refused)
            return .pcap
        }
        readJSONLines(&reader, event: event, refused: refused)
        return .jsonLines
    }

    /// Longest JSON line taken (a recording is a local file, but a line without end must not take the memory).
    package static let maxLineBytes = 1 << 20

    static func readJSONLines(_ reader: inout ChunkReader, event: (Event) -> Void, refused: (Refusal) -> Void) {
        eachLine(&reader, .jsonLines, refused: refused) { number, raw in
            var trimmed = raw
            while let last = trimmed.last, last == 0x0D || last == 0x20 || last == 0x09 { trimmed.removeLast() }
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank lines
            let decoded: Result<Event, EventDecodingError> = trimmed.withUnsafeBytes { buf in
                do throws(EventDecodingError) {
                    return .success(try JSONEventDecoder.decodeEvent(buf, receivedAt: untimed))
                } catch { return .failure(error) }
            }
            switch decoded {
            case .success(let e) where e.time == untimed:
                refused(
                    Refusal(
                        position: number, format: .jsonLines,
                        message: "no time: a replay runs on the events' own timestamps"))
            case .success(let e): event(e)
            case .failure(let error):
                refused(Refusal(position: number, format: .jsonLines, message: error.description))
            }
        }
    }
}

/// Buffered reads of a file descriptor: lines, or exact byte counts.
struct ChunkReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    static let chunk = 1 << 20

    init(fd: Int32) { self.fd = fd }

    /// All of the input, in memory.
    init(bytes: [UInt8]) {
        fd = -1
        buffer = bytes
        eof = true
    }

    enum Line {
        case bytes(ArraySlice<UInt8>)
        case tooLong
    }

    /// Reads more into the buffer; false at the end of input.
    private mutating func fill() -> Bool {
        guard !eof else { return false }
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let old = buffer.count
        buffer.reserveCapacity(old + Self.chunk)
        buffer.append(contentsOf: repeatElement(0, count: Self.chunk))
        var n = 0
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            repeat { n = Glibc.read(fd, base + old, Self.chunk) } while n < 0 && errno == EINTR
        }
        buffer.removeLast(Self.chunk - max(0, n))
        if n <= 0 { eof = true }
        return n > 0
    }

    /// The next `n` bytes without taking them (fewer at the end of input).
    mutating func peek(_ n: Int) -> ArraySlice<UInt8> {
        while buffer.count - start < n && fill() {}
        return buffer[start..<min(buffer.count, start + n)]
    }

    /// Takes exactly `n` bytes, or nil when the input ends first.
    mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
        while buffer.count - start < n { guard fill() else { return nil } }
        defer { start += n }
        return buffer[start..<start + n]
    }

    /// Takes the next line (without its newline); a line longer than `maximum` is skipped whole and
    /// reported as too long. Nil at the end of input.
    mutating func line(maximum: Int) -> Line? {
        var scanned = 0
        var skipping = false
        while true {
            if let nl = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                defer { start = nl + 1 }
                return skipping || nl - start > maximum ? .tooLong : .bytes(buffer[start..<nl])
            }
            if buffer.count - start > maximum {
                skipping = true
                start = buffer.count  // drop what was read of the long line
            }
            scanned = buffer.count - start
            guard fill() else {
                guard buffer.count > start || skipping else { return nil }
                defer { start = buffer.count }
                return skipping ? .tooLong : .bytes(buffer[start..<buffer.count])
            }
        }
    }
}
