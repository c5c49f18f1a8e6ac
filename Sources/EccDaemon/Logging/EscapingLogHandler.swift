import Logging

/// A log handler that escapes what it passes on, so text from outside (an event's field names and values,
/// a peer's bad line, a rule file's content) can never forge a log line, a `key=value` field in one, or
/// drive the terminal: newlines, carriage returns, NUL, the other C0 and C1 controls, DEL and ESC become
/// visible escapes (`\n`, `\u{1B}`) in the message, metadata keys and values; a metadata value with a space,
/// `=` or `"` in it is written in double quotes (with `"` and `\` escaped), so it reads as one field.
/// eccd logs through it; `main` bootstraps it.
package struct EscapingLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner

    /// Wraps `inner`.
    package init(_ inner: Inner) { self.inner = inner }

    package var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    package var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(Self.escape) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(Self.escape) }
    }

    package func log(event: LogEvent) {
        var event = event
        event.message = "\(Self.escape(event.message.description))"
        if let metadata = event.metadata {
            var escaped: Logger.Metadata = [:]
            for (k, v) in metadata { escaped[Self.escape(k)] = Self.escape(v) }
            event.metadata = escaped
        }
        inner.log(event: event)
    }

    /// A metadata value with every string in it escaped, and quoted where it could read as more fields.
    static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let s): return .string(quoted(escape(s)))
        case .stringConvertible(let c): return .string(quoted(escape(c.description)))
        case .array(let a): return .array(a.map(escape))
        case .dictionary(let d): return .dictionary(d.mapValues(escape))
        }
    }

    /// `s` in double quotes when it holds a space, `=` or `"`; as it is otherwise (the usual case).
    static func quoted(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 }) else { return s }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// The text with controls escaped; text without any is returned as it is (no copy).
    package static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(u): out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// C0 controls, DEL, C1 controls, and the line and paragraph separators some viewers break lines at.
    static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
    }
}
