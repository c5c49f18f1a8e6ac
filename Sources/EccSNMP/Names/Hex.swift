/// Engine IDs and keys as configuration and state files spell them: `0x80001f88…`.
package enum Hex {
    /// `0x` and two lower-case digits a byte.
    package static func text(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = Array("0x".utf8)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of `0x…` or bare hex digits (`:` and spaces between bytes allowed); nil if not hex.
    package static func bytes(_ text: String) -> [UInt8]? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        let clean = Array(digits.utf8.filter { $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: " ") })
        guard !clean.isEmpty, clean.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(clean.count / 2)
        for i in stride(from: 0, to: clean.count, by: 2) {
            guard let hi = value(clean[i]), let lo = value(clean[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
