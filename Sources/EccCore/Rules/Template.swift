/// A compiled text template such as `"{host}/{ifIndex}"` or `"{count} failed logins on {host}"`.
///
/// `{name}` inserts an event field (missing fields render as empty text); `{count}` inserts the
/// alarm's event count; `{{` and `}}` are literal braces.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a template.
    public enum Part: Sendable, Hashable {
        case literal(String)
        case field(Field)
        case count
    }

    /// The parts in order.
    public let parts: [Part]
    /// The template as written.
    public let source: String

    /// A problem in a template, with the offset (in characters) where it was found.
    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
        public var offset: Int
    }

    /// Compiles a template; throws on an unclosed or empty `{}`.
    public init(_ text: String) throws(ParseError) {
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
    }

    /// True when the template uses `{count}`, so it must be re-rendered on every repeat.
    public var usesCount: Bool { parts.contains(.count) }

    /// The event fields the template reads.
    public var fields: [Field] {
        parts.compactMap { if case .field(let f) = $0 { f } else { nil } }
    }

    /// Renders the template for an event (and the alarm count, for `{count}`).
    @inlinable
    public func render(_ event: Event, count: Int64 = 1) -> String {
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

    public var description: String { source }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
