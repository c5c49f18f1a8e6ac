import CEccRE2

/// A compiled regular expression from a rule, with the names of its capture groups.
///
/// Rule expressions run on RE2, which matches in time linear in the text whatever the pattern: an event's
/// text cannot hold the engine thread (Swift's backtracking `Regex` took 97 s for `^(a+)+$` on a 21-character
/// host name). RE2 refuses what needs backtracking (backreferences, lookaround); ``CompileError`` says which.
/// Named groups (`(?<site>[a-z]+)`) become event fields for the rule's key and summary templates.
package struct Pattern: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    package let source: String
    /// Named capture groups, in the order they open in the pattern.
    package let captureNames: [String]
    /// The expression in RE2's syntax (for a ``PatternSet``).
    let re2Source: String
    // A compiled RE2 is immutable and documented thread-safe for matching, which is all this type does with
    // it; the class only frees it when the last copy of the pattern goes.
    nonisolated(unsafe) private let compiled: Compiled

    /// Why a pattern is refused: RE2's reason in words, and where in the pattern.
    package struct CompileError: Error, Sendable {
        package var message: String
        /// Where the problem is, in Unicode scalars from the start of the pattern; nil when not known.
        package var offset: Int?
    }

    package init(_ source: String) throws(CompileError) {
        let syntax = try PatternSyntax.translate(source)
        var re2Source = syntax.re2
        let made = re2Source.withUTF8 { bytes in ecc_re2_new(Self.chars(bytes), bytes.count) }
        guard let made else {
            throw CompileError(message: "regular expression '\(source)' could not be compiled (out of memory)")
        }
        let compiled = Compiled(made)  // frees it on every way out
        let error = compiled.error
        if error.code != 0 {
            throw PatternSyntax.refusal(
                source: source, translated: syntax, code: error.code, message: error.message, fragment: error.fragment)
        }
        self.source = source
        self.re2Source = syntax.re2
        self.compiled = compiled
        captureNames = compiled.groupNames
    }

    /// True when `text` matches anywhere (use `^`/`$` to anchor). Runs RE2's DFA only: no captures are made.
    package func matches(_ text: String) -> Bool {
        let re = compiled.re
        var text = text
        return text.withUTF8 { utf8 in ecc_re2_match(re, Self.chars(utf8), utf8.count, nil) != 0 }
    }

    /// Matches `text` anywhere (use `^`/`$` to anchor); returns the named captures that took part, or nil for
    /// no match.
    package func match(_ text: String) -> [(String, String)]? {
        if captureNames.isEmpty { return matches(text) ? [] : nil }
        let re = compiled.re
        let names = captureNames
        var text = text
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: 2 * names.count) { spans in
            text.withUTF8 { utf8 -> [(String, String)]? in
                guard ecc_re2_match(re, Self.chars(utf8), utf8.count, spans.baseAddress) != 0 else { return nil }
                var out: [(String, String)] = []
                out.reserveCapacity(names.count)
                for i in names.indices where spans[2 * i] >= 0 {
                    // RE2 in UTF-8 mode only splits the text between code points, so each slice decodes whole.
                    let slice = UnsafeBufferPointer(rebasing: utf8[Int(spans[2 * i])..<Int(spans[2 * i + 1])])
                    out.append((names[i], String(decoding: slice, as: UTF8.self)))
                }
                return out
            }
        }
    }

    /// True when bytes of UTF-8 match anywhere (RE2's DFA, falling back to its NFA: never an unanswered match).
    func matches(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        ecc_re2_match(compiled.re, Self.chars(utf8), utf8.count, nil) != 0
    }

    /// Matches bytes of UTF-8 anywhere; on a match `spans` (room for two per named group) holds each named
    /// group's start and end byte offsets, -1 for a group that took no part. No strings are made.
    func spans(_ utf8: UnsafeBufferPointer<UInt8>, into spans: UnsafeMutableBufferPointer<Int64>) -> Bool {
        let re = compiled.re
        if captureNames.isEmpty { return ecc_re2_match(re, Self.chars(utf8), utf8.count, nil) != 0 }
        return ecc_re2_match(re, Self.chars(utf8), utf8.count, spans.baseAddress) != 0
    }

    static func chars(_ utf8: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar>? {
        utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
    }

    package static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
    package func hash(into h: inout Hasher) { h.combine(source) }
    package var description: String { source }
}

/// Owns one compiled RE2 and frees it.
private final class Compiled {
    let re: OpaquePointer

    init(_ re: OpaquePointer) { self.re = re }

    // Read through methods, so the object (and the C strings it owns) outlives each read.

    /// RE2's error code (0 when the pattern compiled), message and the fragment it is about.
    var error: (code: Int32, message: String, fragment: String) {
        (ecc_re2_error_code(re), String(cString: ecc_re2_error(re)), String(cString: ecc_re2_error_arg(re)))
    }

    /// The named groups in the order they open.
    var groupNames: [String] {
        (0..<ecc_re2_group_count(re)).map { String(cString: ecc_re2_group_name(re, $0)) }
    }

    deinit { ecc_re2_free(re) }
}
