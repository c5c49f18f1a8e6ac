/// The rule syntax of regular expressions on top of RE2's: named groups may be written `(?<name>…)` (as in
/// Swift, Perl, PCRE and .NET) besides RE2's own `(?P<name>…)`; the RE2 of Debian 12 knows only the latter.
/// Refusals are explained in words with their place in the pattern.
enum PatternSyntax {
    /// A pattern rewritten for RE2.
    struct Translated {
        /// What RE2 compiles.
        var re2: String
        /// UTF-8 offsets in `re2` of each `P` inserted, ascending.
        var insertions: [Int]
    }

    /// Rewrites `(?<name>` to `(?P<name>` outside character classes, escapes and `\Q…\E`; refuses a group name
    /// used twice (Debian's RE2 would silently keep one of them).
    static func translate(_ source: String) throws(Pattern.CompileError) -> Translated {
        let b = Array(source.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + 8)
        var insertions: [Int] = []
        var names: Set<String> = []
        var i = 0
        var inClass = false
        func at(_ k: Int) -> UInt8? { k < b.count ? b[k] : nil }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") {
                if at(i + 1) == UInt8(ascii: "Q") {  // \Q…\E quotes everything up to \E
                    var j = i + 2
                    while j < b.count && !(b[j] == UInt8(ascii: "\\") && at(j + 1) == UInt8(ascii: "E")) { j += 1 }
                    let end = min(j + 2, b.count)
                    out += b[i..<end]
                    i = end
                } else {
                    out += b[i..<min(i + 2, b.count)]
                    i += 2
                }
                continue
            }
            if inClass {
                if c == UInt8(ascii: "["), at(i + 1) == UInt8(ascii: ":"), let close = find(":]", in: b, from: i + 2) {
                    out += b[i..<close + 2]
                    i = close + 2
                    continue
                }
                if c == UInt8(ascii: "]") { inClass = false }
                out.append(c)
                i += 1
                continue
            }
            if c == UInt8(ascii: "[") {
                inClass = true
                out.append(c)
                i += 1
                // `[^]…]` and `[]…]`: a `]` right after the opening is a literal.
                if at(i) == UInt8(ascii: "^") {
                    out.append(b[i])
                    i += 1
                }
                if at(i) == UInt8(ascii: "]") {
                    out.append(b[i])
                    i += 1
                }
                continue
            }
            if c == UInt8(ascii: "("), at(i + 1) == UInt8(ascii: "?") {
                var nameStart: Int?
                if at(i + 2) == UInt8(ascii: "<"), let n = at(i + 3), n != UInt8(ascii: "="), n != UInt8(ascii: "!") {
                    out += [UInt8(ascii: "("), UInt8(ascii: "?")]
                    insertions.append(out.count)
                    out += [UInt8(ascii: "P"), UInt8(ascii: "<")]
                    nameStart = i + 3
                } else if at(i + 2) == UInt8(ascii: "P"), at(i + 3) == UInt8(ascii: "<") {
                    out += b[i..<i + 4]
                    nameStart = i + 4
                }
                if let start = nameStart {
                    if let close = b[start...].firstIndex(of: UInt8(ascii: ">")) {
                        let name = String(decoding: b[start..<close], as: UTF8.self)
                        if !names.insert(name).inserted {
                            throw Pattern.CompileError(
                                message: "regular expression '\(source)' is not accepted: the group name '\(name)' "
                                    + "is used twice", offset: scalars(b, upTo: i))
                        }
                    }
                    i = start
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return Translated(re2: String(decoding: out, as: UTF8.self), insertions: insertions)
    }

    /// The error for a pattern RE2 refuses: what it is in words, at which place of the pattern as written.
    static func refusal(source: String, translated: Translated, code: Int32, message: String, fragment: String)
        -> Pattern.CompileError
    {
        var offset: Int?
        let b = Array(source.utf8)
        let t = Array(translated.re2.utf8)
        if !fragment.isEmpty, let found = find(fragment, in: t, from: 0) {
            let original = found - translated.insertions.count { $0 <= found }
            offset = scalars(b, upTo: original)
        }
        let reason = explain(code: code, message: message, fragment: fragment)
        return Pattern.CompileError(
            message: "regular expression '\(source)' is not accepted: \(reason) (rule expressions run on RE2, "
                + "which matches in linear time; see 'Regular expressions' in docs/rules.md)",
            offset: offset)
    }

    /// RE2's refusal in words a rule writer can act on.
    static func explain(code: Int32, message: String, fragment f: String) -> String {
        let quoted = "'\(f)'"
        switch true {
        case f.hasPrefix("(?=") || f.hasPrefix("(?!"):
            return "lookahead \(quoted) is not supported"
        case f.hasPrefix("(?<"):
            return "lookbehind \(quoted) is not supported"
        case f.hasPrefix("(?>"):
            return "atomic group \(quoted) is not supported (nor needed: RE2 never backtracks)"
        case f.hasPrefix("(?#"):
            return "comment \(quoted) is not supported"
        case f.hasPrefix("(?'"):
            return "named groups are written (?<name>…), not (?'name'…)"
        case f.count == 2 && f.hasPrefix("\\") && (f.last?.isNumber == true || f == "\\k" || f == "\\g"):
            return "backreference \(quoted) is not supported"
        case f == "\\Z":
            return "'\\Z' is not supported; use '\\z' (end of text) or '$'"
        case code == 2:  // ErrorBadEscape
            return "escape \(quoted) is not supported"
        case code == 10:  // ErrorRepeatSize
            return "repetition \(quoted) is over RE2's limit of 1000"
        case code == 11 && f.hasSuffix("+") && f.count >= 2:  // ErrorRepeatOp
            return "possessive quantifier \(quoted) is not supported (nor needed: RE2 never backtracks)"
        case code == 12:  // ErrorBadPerlOp
            return "group syntax \(quoted) is not supported"
        case code == 15:  // ErrorPatternTooLarge
            return "the expression is too large for RE2's memory budget"
        default:
            return message
        }
    }

    /// The first index of `needle`'s UTF-8 in `haystack` at or after `from`.
    static func find(_ needle: String, in haystack: [UInt8], from: Int) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, haystack.count >= n.count, from <= haystack.count - n.count else { return nil }
        for k in from...(haystack.count - n.count) where haystack[k..<k + n.count].elementsEqual(n) { return k }
        return nil
    }

    /// How many Unicode scalars the first `count` bytes of UTF-8 hold.
    static func scalars(_ b: [UInt8], upTo count: Int) -> Int {
        b[..<min(count, b.count)].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }
}
