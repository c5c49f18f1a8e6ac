/// A compiled text template such as `"{host}/{ifIndex}"` or `"{count} failed logins on {host}"`.
///
/// `{name}` inserts an event field (missing fields render as empty text); `{count}` inserts the
/// alarm's event count; `{{` and `}}` are literal braces.
package struct Template: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a template.
    package enum Part: Sendable, Hashable {
        case literal(String)
        case field(Field)
        case count
    }

    /// The parts in order.
    package let parts: [Part]
    /// The template as written.
    package let source: String

    /// True when it names a field of a sequence's second event (`{then.time}`).
    package var usesThen: Bool {
        parts.contains {
            if case .field(.attribute(let name)) = $0 { return name.hasPrefix("then.") }
            return false
        }
    }

    /// The text it always renders when it has no fields (and no count): worked out once by callers on hot paths.
    package var constant: String? {
        var out = ""
        for p in parts {
            guard case .literal(let t) = p else { return nil }
            out += t
        }
        return out
    }

    /// A problem in a template, with the offset (in characters) where it was found.
    package struct ParseError: Error, Sendable, Equatable {
        package var message: String
        package var offset: Int
    }

    /// Compiles a template; throws on an unclosed or empty `{}`.
    package init(_ text: String) throws(ParseError) {
        var parts: [Part] = []
        var literal = ""
        var chars = Array(text)
        var i = 0
        defer { chars = [] }
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" {
                    literal.append("{")
                    i += 2
                    continue
                }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else {
                    throw ParseError(message: "unclosed '{' in template", offset: i)
                }
                let name = String(chars[(i + 1)..<close]).trimmingSpaces()
                guard !name.isEmpty else { throw ParseError(message: "empty '{}' in template", offset: i) }
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
                    throw ParseError(message: "invalid field name '\(name)' in template", offset: i)
                }
                if !literal.isEmpty {
                    parts.append(.literal(literal))
                    literal = ""
                }
                parts.append(name == "count" ? .count : .field(Field(name: name)))
                i = close + 1
            } else if c == "}" {
                if i + 1 < chars.count, chars[i + 1] == "}" {
                    literal.append("}")
                    i += 2
                    continue
                }
                throw ParseError(message: "unmatched '}' in template (write '}}' for a literal brace)", offset: i)
            } else {
                literal.append(c)
                i += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
        self.source = text
        self.usesCount = parts.contains(.count)
    }

    /// True when the template uses `{count}`, so it must be re-rendered on every repeat.
    package let usesCount: Bool

    /// The event fields the template reads.
    package var fields: [Field] {
        parts.compactMap { if case .field(let f) = $0 { f } else { nil } }
    }

    /// Renders the template for an event (and the alarm count, for `{count}`).
    @inlinable
    package func render(_ event: Event, count: Int64 = 1) -> String {
        if parts.count == 1, case .literal(let s) = parts[0] { return s }
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .field(let f):
                if let t = event.text(of: f) { out += t }
            case .count: out += String(count)
            }
        }
        return out
    }

    /// Renders into a byte buffer (UTF-8), without allocating when the buffer has room.
    @inlinable
    package func render(_ event: Event, into out: inout [UInt8]) {
        for part in parts {
            switch part {
            case .literal(let s): out.append(contentsOf: s.utf8)
            case .field(let f):
                switch f {
                case .source: out.append(contentsOf: event.source.utf8)
                case .host: out.append(contentsOf: event.host.utf8)
                case .type: out.append(contentsOf: event.type.utf8)
                case .attribute(let k):
                    switch event.attributes[k] {
                    case .string(let s)?: out.append(contentsOf: s.utf8)
                    case .int(let v)?: appendDecimal(v, to: &out)
                    case let other?: out.append(contentsOf: other.text.utf8)
                    case nil: break
                    }
                default:
                    if let t = event.text(of: f) { out.append(contentsOf: t.utf8) }
                }
            case .count: appendDecimal(1, to: &out)
            }
        }
    }

    package var description: String { source }
}

/// Appends the decimal digits of `v`.
@inlinable
func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
    if v < 0 { out.append(UInt8(ascii: "-")) }
    var m = v.magnitude
    var digits:
        (
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
        repeat {
            d[n] = UInt8(truncatingIfNeeded: m % 10) + 0x30
            m /= 10
            n += 1
        } while m > 0
        while n > 0 {
            n -= 1
            out.append(d[n])
        }
    }
}

extension String {
    /// The string without leading and trailing spaces.
    package func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
