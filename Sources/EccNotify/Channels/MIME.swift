import EccCore

/// Writes RFC 5322 / MIME messages: encoded-word headers (RFC 2047), base64 bodies, CRLF line ends.
package enum MIME {
    /// The bare address of `Name <addr@host>` (or the text itself when it has no angle brackets).
    package static func address(_ mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close]).trimmingCharacters(in: " ")
        }
        return mailbox.trimmingCharacters(in: " ")
    }

    /// The domain of a mailbox's address (`example.com`), nil without an `@`.
    package static func domain(_ mailbox: String) -> String? {
        let a = address(mailbox)
        guard let at = a.lastIndex(of: "@") else { return nil }
        let d = a[a.index(after: at)...]
        return d.isEmpty ? nil : String(d)
    }

    /// A mailbox for a header: a non-ASCII display name becomes encoded words, the address stays.
    package static func mailboxHeader(_ mailbox: String) -> String {
        let m = singleLine(mailbox)
        guard !m.allSatisfy(\.isASCII), let open = m.lastIndex(of: "<") else { return m }
        let name = m[..<open].trimmingCharacters(in: " \"")
        return encodedWords(name).joined(separator: " ") + " " + m[open...]
    }

    /// A header value: ASCII text as is; anything else (or an overlong value) as RFC 2047 encoded words
    /// (`=?UTF-8?B?…?=`, at most 75 characters each, split between characters), folded one per line.
    package static func headerValue(_ text: String) -> String {
        let t = singleLine(text)
        if t.allSatisfy(\.isASCII) && t.utf8.count <= 900 { return t }
        return encodedWords(t).joined(separator: "\r\n ")
    }

    /// RFC 2047 B-encoded words of UTF-8 text, each at most 75 characters: 45 bytes of text (60 of
    /// base64) plus `=?UTF-8?B?` and `?=`. A character (even a multi-scalar emoji) is never split.
    package static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for c in text {
            let bytes = Array(String(c).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words
    }

    /// CR, LF and other control characters become spaces: a header value cannot start another header.
    static func singleLine(_ s: String) -> String {
        String(s.map { $0.isNewline || ($0.isASCII && ($0.asciiValue ?? 32) < 32) ? " " : $0 })
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding.
    package static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(s)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var n = UInt32(bytes[i]) << 16
            if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            out.append(rest == 2 ? alphabet[Int((n >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64 of `text` in lines of 76 characters, each ending in CRLF.
    package static func base64Body(_ text: String) -> String {
        let b = Array(base64(Array(text.utf8)).utf8)
        var out = ""
        var i = 0
        while i < b.count {
            let end = min(i + 76, b.count)
            out += String(decoding: b[i..<end], as: UTF8.self) + "\r\n"
            i = end
        }
        return out
    }

    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 5322 date-time in UTC with the numeric zone: `Thu, 03 Dec 2026 10:00:00 +0000`.
    package static func date(_ t: EventTime) -> String {
        let secs = t.nanoseconds >= 0 ? t.nanoseconds / 1_000_000_000 : (t.nanoseconds - 999_999_999) / 1_000_000_000
        let dayNumber = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let sod = secs - dayNumber * 86_400
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        let weekday = days[Int(((dayNumber % 7) + 7) % 7)]
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(weekday), \(two(d)) \(months[Int(m - 1)]) \(y) \(two(sod / 3600)):\(two(sod / 60 % 60)):\(two(sod % 60)) +0000"
    }

    /// A `multipart/alternative` message with a text/plain and a text/html part (UTF-8, base64).
    /// `headers` come first in order (values already encoded); MIME headers are added after them.
    package static func alternative(headers: [(String, String)], text: String, html: String, boundary: String)
        -> [UInt8]
    {
        var out = ""
        for (name, value) in headers { out += "\(name): \(value)\r\n" }
        out += "MIME-Version: 1.0\r\n"
        out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n"
        out += "\r\n"
        out += "This is a multi-part message in MIME format.\r\n"
        for (type, content) in [("text/plain", text), ("text/html", html)] {
            out += "--\(boundary)\r\n"
            out += "Content-Type: \(type); charset=utf-8\r\n"
            out += "Content-Transfer-Encoding: base64\r\n"
            out += "\r\n"
            out += base64Body(content)
        }
        out += "--\(boundary)--\r\n"
        return Array(out.utf8)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
