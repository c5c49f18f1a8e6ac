import Foundation

/// An MT message as Kannel's fakesmsc logged it: `... DEBUG: Got message 2: <from to type data>`.
///
/// How fakesmsc prints a message depends on its coding:
/// - 7-bit (coding 0, the default): type `text`, the text as is (UTF-8, e.g. `Grüße €` with charset=UTF-8);
/// - 8-bit (coding 1): type `data`, the bytes URL-encoded (`%01%02ab`);
/// - UCS-2 (coding 2): type `ucs-2`, the UTF-16BE bytes URL-encoded: "主机宕机" (U+4E3B U+673A U+5B95 U+673A)
///   is printed `N%3Bg%3A%5B%95g%3A` (0x4E 'N', 0x3B as %3B, ...).
/// The fake SMSC protocol is one message per line, so a text with a line break reaches fakesmsc as two
/// "messages"; the parser joins a line that is not `from to type ...` to the message before it (with `\n`).
package struct ReceivedSMS: Sendable, Hashable {
    /// The sender (`from`).
    package let from: String
    /// The receiver (`to`).
    package let to: String
    /// The decoded text.
    package let text: String
    /// fakesmsc's type word: `text`, `data`, `ucs-2` (or `udh-...` for messages with a UDH).
    package let coding: String
    /// What fakesmsc printed between `<` and `>` (lines joined with `\n`).
    package let raw: String

    /// Creates a message.
    package init(from: String, to: String, text: String, coding: String, raw: String) {
        self.from = from
        self.to = to
        self.text = text
        self.coding = coding
        self.raw = raw
    }

    static let types: Set<String> = ["text", "data", "ucs-2", "ucs2", "udh", "udh-data", "udh-text", "route"]

    /// The messages in fakesmsc's log text, in order.
    package static func parse(fakesmscLog log: String) -> [ReceivedSMS] {
        var out: [ReceivedSMS] = []
        for line in log.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let got = line.range(of: "Got message "),
                let open = line[got.upperBound...].range(of: ": <")
            else { continue }
            var content = line[open.upperBound...]
            if content.last == ">" { content = content.dropLast() }
            let fields = content.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            if fields.count >= 3, types.contains(String(fields[2])) {
                let data = fields.count > 3 ? String(fields[3]) : ""
                let coding = String(fields[2])
                out.append(
                    ReceivedSMS(
                        from: String(fields[0]), to: String(fields[1]), text: decode(data, coding: coding),
                        coding: coding, raw: String(content)))
            } else if let last = out.popLast() {
                // The rest of a text with a line break (fakesmsc reads one message per line).
                out.append(
                    ReceivedSMS(
                        from: last.from, to: last.to, text: last.text + "\n" + content, coding: last.coding,
                        raw: last.raw + "\n" + content))
            }
        }
        return out
    }

    /// The text of fakesmsc's data field for its type.
    package static func decode(_ data: String, coding: String) -> String {
        switch coding {
        case "ucs-2", "ucs2":
            let bytes = urlDecode(data)
            var units: [UInt16] = []
            var i = 0
            while i + 1 < bytes.count {
                units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
                i += 2
            }
            return String(decoding: units, as: UTF16.self)
        case "data": return String(decoding: urlDecode(data), as: UTF8.self)
        default: return data
        }
    }

    /// Kannel's URL decoding: `%XX` is a byte, `+` a space, anything else itself.
    package static func urlDecode(_ s: String) -> [UInt8] {
        let u = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "%"), i + 2 < u.count,
                let b = UInt8(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                out.append(b)
                i += 3
            } else {
                out.append(u[i] == UInt8(ascii: "+") ? 0x20 : u[i])
                i += 1
            }
        }
        return out
    }
}
