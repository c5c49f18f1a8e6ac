/// SMS text rules: the GSM 03.38 default alphabet, UCS-2, and splitting a text into parts.
package enum SMSText {
    /// The GSM 03.38 basic character set (without ESC), one septet each.
    static let basic: Set<Unicode.Scalar> = Set(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
            + "abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)
    /// The extension table: ESC plus a septet, so two each.
    static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)

    /// How a text is encoded on the air.
    package enum Coding: Sendable, Hashable {
        /// GSM 03.38 7-bit default alphabet: 160 septets in one SMS, 153 per part of a long one.
        case gsm7
        /// UCS-2: 70 UTF-16 code units in one SMS, 67 per part.
        case ucs2

        /// Characters of one single SMS.
        package var single: Int { self == .gsm7 ? 160 : 70 }
        /// Characters per part of a multipart SMS (the rest is the concatenation header).
        package var multipart: Int { self == .gsm7 ? 153 : 67 }
    }

    /// GSM-7 when every character is in the default alphabet (basic set or extension table).
    package static func coding(_ text: String) -> Coding {
        text.unicodeScalars.allSatisfy { basic.contains($0) || extended.contains($0) } ? .gsm7 : .ucs2
    }

    /// Septets (GSM-7) or UTF-16 code units (UCS-2) that `text` takes.
    package static func length(_ text: String, _ coding: Coding) -> Int {
        switch coding {
        case .gsm7: text.unicodeScalars.reduce(0) { $0 + (extended.contains($1) ? 2 : 1) }
        case .ucs2: text.utf16.count
        }
    }

    /// Splits `text` into SMS parts: one part when it fits one SMS; otherwise parts of at most 153
    /// (GSM-7) or 67 (UCS-2) characters, each starting with `(i/n) ` when `numbered` (counted within the
    /// limit). Breaks at the last space of a part when there is one in its second half, otherwise between
    /// characters (never inside a character, so never inside a surrogate pair or an ESC sequence).
    package static func split(_ text: String, numbered: Bool = true) -> [String] {
        let coding = coding(text)
        if length(text, coding) <= coding.single { return [text] }
        var guess = 1
        var parts: [String] = []
        // The prefix's width depends on the number of parts: iterate until it is stable.
        for _ in 0..<5 {
            parts = pieces(text, coding: coding, prefixWidth: numbered ? "(\(guess)/\(guess)) ".count : 0)
            if !numbered || parts.count == guess { break }
            guess = parts.count
        }
        guard numbered else { return parts }
        return parts.enumerated().map { "(\($0.offset + 1)/\(parts.count)) " + $0.element }
    }

    static func pieces(_ text: String, coding: Coding, prefixWidth: Int) -> [String] {
        let limit = max(1, coding.multipart - prefixWidth)
        let chars = Array(text)
        var out: [String] = []
        var start = 0
        while start < chars.count {
            var used = 0
            var end = start
            while end < chars.count {
                let w = length(String(chars[end]), coding)
                if used + w > limit { break }
                used += w
                end += 1
            }
            // A single character wider than a part (cannot happen with these limits) still makes progress.
            if end == start { end = start + 1 }
            var next = end
            if end < chars.count {
                // Break at the last space in the second half of the part, if any; the space is dropped.
                if chars[end] == " " {
                    next = end + 1
                } else if let space = chars[start..<end].lastIndex(of: " "), space > start + (end - start) / 2 {
                    end = space
                    next = space + 1
                }
            }
            out.append(String(chars[start..<end]))
            start = next
        }
        return out
    }
}
