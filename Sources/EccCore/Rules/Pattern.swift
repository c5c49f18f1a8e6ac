/// A compiled regular expression from a rule, with the names of its capture groups.
///
/// Named groups (`(?<site>[a-z]+)`) become event fields for the rule's key and summary templates.
public struct Pattern: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public let source: String
    /// Named capture groups, in order.
    public let captureNames: [String]
    // Regex<AnyRegexOutput> is not marked Sendable only because its output type is not; a compiled Regex
    // is immutable and safe to share for matching, which is all this type does with it.
    nonisolated(unsafe) private let regex: Regex<AnyRegexOutput>

    /// Why a pattern does not compile.
    public struct CompileError: Error, Sendable {
        public var message: String
    }

    public init(_ source: String) throws(CompileError) {
        do {
            regex = try Regex(source)
        } catch {
            throw CompileError(message: "invalid regular expression '\(source)': \(error)")
        }
        self.source = source
        // Group names are only visible on a match's output; collect them from the pattern text.
        var names: [String] = []
        var rest = Substring(source)
        while let r = rest.firstRange(of: "(?<") {
            let after = rest[r.upperBound...]
            if let end = after.firstIndex(of: ">"), after.first != "=" && after.first != "!" {
                names.append(String(after[..<end]))
            }
            rest = after
        }
        captureNames = names
    }

    /// Matches `text` anywhere (use `^`/`$` to anchor); returns the named captures, or nil for no match.
    public func match(_ text: String) -> [(String, String)]? {
        guard let m = try? regex.firstMatch(in: text) else { return nil }
        if captureNames.isEmpty { return [] }
        var out: [(String, String)] = []
        for element in m.output {
            if let name = element.name, let value = element.substring { out.append((name, String(value))) }
        }
        return out
    }

    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
    public func hash(into h: inout Hasher) { h.combine(source) }
    public var description: String { source }
}
