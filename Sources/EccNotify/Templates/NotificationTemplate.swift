import Mustache

/// A compiled Mustache template with the escaping its output needs. Compiled once (at config load);
/// rendering is thread-safe.
package struct NotificationTemplate: Sendable {
    /// How `{{name}}` escapes values (`{{{name}}}` never escapes).
    package enum Escaping: String, Sendable, Hashable {
        /// No escaping: subjects, text bodies, SMS.
        case text = "TEXT"
        /// HTML: `<`, `>`, `&`, `"`, `'`.
        case html = "HTML"
        /// JSON string content (`"`, `\`, control characters): put `"{{text}}"` in a JSON body.
        case json = "JSON"
        /// Percent-encoding of everything but unreserved characters (RFC 3986): URL query values.
        case url = "URL"
    }

    /// A template syntax error: its position within the template text (1-based).
    package struct SyntaxError: Error, Sendable, CustomStringConvertible {
        package var line: Int
        package var column: Int
        package var message: String
        package var description: String { "template line \(line) column \(column): \(message)" }
    }

    /// The template's source as written.
    package let source: String
    package let escaping: Escaping
    private let template: MustacheTemplate

    /// Compiles `source`; a syntax error says where.
    package init(_ source: String, escaping: Escaping) throws(SyntaxError) {
        _ = Self.registered
        self.source = source
        self.escaping = escaping
        let prefix = "{{% CONTENT_TYPE: \(escaping.rawValue)}}"
        do {
            template = try MustacheTemplate(string: prefix + source)
        } catch let e as MustacheTemplate.ParserError {
            let line = e.context.lineNumber
            let column = line == 1 ? max(1, e.context.columnNumber - prefix.count) : e.context.columnNumber
            throw SyntaxError(line: line, column: column, message: Self.describe(e.error))
        } catch {
            throw SyntaxError(line: 1, column: 1, message: "\(error)")
        }
    }

    /// Renders with a context from ``TemplateContext``.
    package func render(_ context: [String: Any]) -> String { template.render(context) }

    private static func describe(_ e: any Error) -> String {
        guard let m = e as? MustacheTemplate.Error else {
            if "\(e)".contains("overflow") { return "the template ends inside a tag (missing '}}')" }
            return "invalid template (\(e))"
        }
        switch m {
        case .sectionCloseNameIncorrect: return "a section is closed with a different name than it was opened"
        case .unfinishedName: return "a tag is not closed (missing '}}')"
        case .expectedSectionEnd: return "a section is not closed (missing '{{/name}}')"
        case .invalidSetDelimiter: return "invalid set-delimiter tag"
        case .transformAppliedToInheritanceSection: return "a transform cannot apply to an inheritance section"
        case .illegalTokenInsideInheritSection: return "illegal tag inside an inheritance section"
        case .textInsideInheritSection: return "text inside an inheritance section"
        case .invalidConfigVariableSyntax: return "invalid {{% … }} pragma"
        case .unrecognisedConfigVariable: return "unknown {{% … }} pragma"
        }
    }

    /// Registers the JSON and URL content types with swift-mustache once.
    private static let registered: Bool = {
        MustacheContentTypes.register(JSONEscaping(), named: "JSON")
        MustacheContentTypes.register(URLEscaping(), named: "URL")
        return true
    }()
}

/// JSON string-content escaping for `{{name}}` in JSON templates.
struct JSONEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

/// RFC 3986 percent-encoding (UTF-8) of everything but `A–Z a–z 0–9 - . _ ~`.
struct URLEscaping: MustacheContentType {
    func escapeText(_ text: String) -> String { Self.escape(text) }

    static func escape(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}

extension NotificationTemplate {
    /// A template that renders nothing.
    static var empty: NotificationTemplate {
        // An empty template always compiles.
        (try? NotificationTemplate("", escaping: .text)) ?? { preconditionFailure("empty template") }()
    }
}
