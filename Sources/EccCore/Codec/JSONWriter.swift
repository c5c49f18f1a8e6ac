/// Builds compact JSON text by appending to a byte buffer; used for the stream, the API and the CLI.
package struct JSONWriter: Sendable {
    /// The bytes written so far.
    package var bytes: [UInt8] = []
    private var needsComma = false

    package init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// The output as a string.
    package var string: String { String(decoding: bytes, as: UTF8.self) }

    package mutating func beginObject() {
        comma()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        comma()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"name":` inside an object.
    package mutating func key(_ name: String) {
        comma()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    package mutating func value(_ s: String) {
        comma()
        appendQuoted(s)
        needsComma = true
    }

    package mutating func value(_ i: Int64) {
        comma()
        bytes.append(contentsOf: String(i).utf8)
        needsComma = true
    }

    package mutating func value(_ d: Double) {
        comma()
        bytes.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        needsComma = true
    }

    package mutating func value(_ b: Bool) {
        comma()
        bytes.append(contentsOf: (b ? "true" : "false").utf8)
        needsComma = true
    }

    package mutating func null() {
        comma()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    package mutating func field(_ name: String, _ s: String) {
        key(name)
        value(s)
    }

    package mutating func field(_ name: String, _ i: Int64) {
        key(name)
        value(i)
    }

    private mutating func comma() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = String(c, radix: 16)
                bytes.append(contentsOf: "\\u00\(hex.count == 1 ? "0" : "")\(hex)".utf8)
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
