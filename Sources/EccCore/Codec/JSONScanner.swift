/// A minimal, allocation-light JSON tokenizer over raw bytes, used to decode events on the hot path.
///
/// Foundation's `JSONDecoder` decodes about 13 × fewer events a second on the same lines (`make bench`,
/// `json_decode_vs_foundation_ratio`); this scanner reads only what an event needs and builds strings
/// straight from the input bytes.
@usableFromInline
struct JSONScanner {
    let base: UnsafeRawBufferPointer
    var index: Int
    /// Longest string accepted, in bytes (decoded bytes for strings with escapes).
    let maxStringBytes: Int
    /// Deepest nesting ``skipValue()`` follows.
    let maxDepth: Int
    /// Most attributes an event may carry (checked by the event decoder).
    let maxAttributes: Int

    init(_ base: UnsafeRawBufferPointer, limits: InputLimits = .standard) {
        self.base = base
        self.index = 0
        self.maxStringBytes = limits.maxStringBytes
        self.maxDepth = limits.maxDepth
        self.maxAttributes = limits.maxAttributes
    }

    struct Failure: Error {
        var message: String
        var offset: Int
        var reason = InputRefusal.syntax
    }

    func tooLong(_ count: Int) -> Failure {
        Failure(
            message: "string of \(count) bytes is longer than the limit of \(maxStringBytes)", offset: index,
            reason: .stringLength)
    }

    var atEnd: Bool { index >= base.count }

    @inline(__always)
    func peek() -> UInt8? { index < base.count ? base[index] : nil }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < base.count {
            switch base[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

    func describeNext() -> String {
        guard let c = peek() else { return "end of input" }
        if c >= 0x20, c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        skipWhitespace()
        guard peek() == byte else { throw fail("expected \(what), found \(describeNext())") }
        index += 1
    }

    /// Consumes `byte` if it is next (after whitespace).
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if peek() == byte {
            index += 1
            return true
        }
        return false
    }

    /// Reads a string without decoding it when it has no escapes (the common case): the raw UTF-8 bytes
    /// between the quotes, valid until the input goes away. Returns nil (and reads nothing) when it has
    /// escapes; use ``readString()`` then.
    mutating func readRawString() throws(Failure) -> UnsafeRawBufferPointer? {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string, found \(describeNext())") }
        let start = index + 1
        var i = start
        // Eight bytes at a time: stop at the first word holding a quote, a backslash or a control byte.
        if let p = base.baseAddress {
            while i + 8 <= base.count {
                let w = UInt64(littleEndian: (p + i).loadUnaligned(as: UInt64.self))
                if Self.hasSpecialByte(w) { break }
                i += 8
            }
        }
        while i < base.count {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                guard i - start <= maxStringBytes else { throw tooLong(i - start) }
                index = i + 1
                return UnsafeRawBufferPointer(rebasing: base[start..<i])
            }
            if c == UInt8(ascii: "\\") { return nil }
            if c < 0x20 {
                index = i
                throw fail("control character in string")
            }
            i += 1
        }
        index = i
        throw fail("unterminated string")
    }

    /// True when any byte of `w` is `"`, `\\` or below 0x20 (the classic "has zero byte" bit trick).
    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let slash = w ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote & highs
        let zeroSlash = (slash &- ones) & ~slash & highs
        let control = (w &- (ones &* 0x20)) & ~w & highs
        return (zeroQuote | zeroSlash | control) != 0
    }

    /// Reads a string; the opening quote must be next.
    mutating func readString() throws(Failure) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string, found \(describeNext())") }
        index += 1
        let start = index
        while index < base.count {
            let c = base[index]
            if c == UInt8(ascii: "\"") {
                guard index - start <= maxStringBytes else { throw tooLong(index - start) }
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if c == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            if c < 0x20 { throw fail("control character in string") }
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func readEscapedString(from start: Int) throws(Failure) -> String {
        var bytes = Array(UnsafeRawBufferPointer(rebasing: base[start..<index]))
        while index < base.count {
            let c = base[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                guard bytes.count <= maxStringBytes else { throw tooLong(bytes.count) }
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek() else { throw fail("unterminated string") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar), peek() == UInt8(ascii: "\\"),
                        index + 1 < base.count, base[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try readHex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    index -= 1
                    throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
                }
            default:
                if c < 0x20 {
                    index -= 1
                    throw fail("control character in string")
                }
                bytes.append(c)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func readHex4() throws(Failure) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let c = peek() else { throw fail("truncated \\u escape") }
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    /// A scalar JSON value as read from the input.
    enum Scalar {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case null
    }

    /// Reads a scalar; objects and arrays are reported as a failure naming them.
    mutating func readScalar() throws(Failure) -> Scalar {
        skipWhitespace()
        guard let c = peek() else { throw fail("expected a value, found end of input") }
        switch c {
        case UInt8(ascii: "\""):
            if let raw = try readRawString() { return .string(String(decoding: raw, as: UTF8.self)) }
            return .string(try readString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), 0x30...0x39: return try readNumber()
        case UInt8(ascii: "{"): throw fail("expected a string, number or boolean, found an object")
        case UInt8(ascii: "["): throw fail("expected a string, number or boolean, found an array")
        default: throw fail("expected a value, found \(describeNext())")
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard index + n <= base.count else { throw fail("invalid literal") }
        for i in 0..<n where base[index + i] != word.utf8Start[i] { throw fail("invalid literal") }
        index += n
    }

    private mutating func readNumber() throws(Failure) -> Scalar {
        let start = index
        var value: Int64 = 0
        var overflow = false
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        var digits = 0
        while let c = peek(), c >= 0x30, c <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 0x30))
            overflow = overflow || o1 || o2
            value = a
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw fail("invalid number") }
        var isInteger = true
        if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            isInteger = false
            while let c = peek(),
                (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e")
                    || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
            {
                index += 1
            }
        }
        if isInteger && !overflow { return .int(negative ? -value : value) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<index]), as: UTF8.self)
        guard let d = Double(text) else {
            index = start
            throw fail("invalid number '\(text)'")
        }
        return .double(d)
    }

    /// Skips any value (used to report position after an error or to ignore a value). Nesting deeper
    /// than ``maxDepth`` (counting from `depth`) is refused, so a hostile value cannot exhaust the stack.
    mutating func skipValue(depth: Int = 1) throws(Failure) {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maxDepth else {
                throw Failure(
                    message: "nested deeper than the limit of \(maxDepth)", offset: index, reason: .depth)
            }
            if peek() == UInt8(ascii: "[") {
                index += 1
                if consume(UInt8(ascii: "]")) { return }
                repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return
            }
            index += 1
            if consume(UInt8(ascii: "}")) { return }
            repeat {
                _ = try readString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
            } while consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}'")
        default:
            _ = try readScalar()
        }
    }
}
