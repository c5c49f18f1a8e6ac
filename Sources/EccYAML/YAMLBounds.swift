// Yams' own copy of libyaml: its event parser sees aliases before Yams resolves them.
internal import CYaml
import EccCore

/// Bounds on a YAML text, checked on libyaml's events before Yams composes the document: a rule or
/// configuration file is input too, and must not be able to exhaust memory or the stack of `eccd`
/// (at start, on SIGHUP) or of `eccctl rules check`.
///
/// Yams resolves an alias to the anchored node itself, so a "billion laughs" file of 1 KB composes into
/// a small graph that every walk over it (Yams' own duplicate-key check, the rule and config decoders)
/// expands exponentially. Here each alias is counted as the nodes it stands for, and the file is refused
/// at the alias that takes the total over ``maxAliasNodes``.
package enum YAMLBounds {
    /// The most nodes all aliases of one document may stand for together. Anchors and aliases keep
    /// working for what they are for (sharing a few matchers or a receiver's settings).
    package static let maxAliasNodes = 100_000
    /// The deepest nesting of lists and mappings (the rule and config decoders recurse on it).
    package static let maxDepth = 64

    /// Throws at the first alias past the budget, the first list or mapping nested too deeply, or the
    /// first scalar holding a NUL character. A text libyaml cannot parse is left for Yams to report.
    static func check(_ text: String, file: String) throws(ConfigError) {
        // libyaml's reader refuses a raw NUL too, but says neither what nor where.
        if let nul = text.utf8.firstIndex(of: 0) {
            throw ConfigError(nulMessage, file: file, at: location(of: nul, in: text, file: file))
        }
        var copy = text
        let problem: (String, Int, Int)? = copy.withUTF8 { scan($0) }
        if let (message, line, column) = problem {
            throw ConfigError(message, file: file, at: SourceLocation(file: file, line: line, column: column))
        }
    }

    /// The first problem as (message, line, column), or nil.
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, Int, Int)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        var sizes: [String: Int] = [:]  // anchor -> nodes it stands for
        var open: [(anchor: String?, nodes: Int)] = []  // the lists and mappings being read
        var aliased = 0
        var done = false
        while !done {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1
            let column = Int(event.start_mark.column) + 1
            var nodes = 0  // nodes completed by this event
            var anchor: String?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                done = true
            case YAML_DOCUMENT_START_EVENT:
                sizes = [:]
                aliased = 0
            case YAML_SCALAR_EVENT:
                let s = event.data.scalar
                if let value = s.value, UnsafeBufferPointer(start: value, count: s.length).contains(0) {
                    return (nulMessage, line, column)
                }
                nodes = 1
                anchor = name(s.anchor)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard open.count < maxDepth else {
                    return ("lists and mappings nest deeper than \(maxDepth) levels", line, column)
                }
                let a =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                open.append((name(a), 1))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let top = open.popLast() else { return nil }
                nodes = top.nodes
                anchor = top.anchor
            case YAML_ALIAS_EVENT:
                // An unknown anchor is Yams' error to report.
                nodes = name(event.data.alias.anchor).flatMap { sizes[$0] } ?? 0
                aliased += nodes
                if aliased > maxAliasNodes {
                    return (
                        "aliases expand to more than \(maxAliasNodes) nodes (a \"billion laughs\" file?)", line, column
                    )
                }
            default:
                break
            }
            if let anchor { sizes[anchor] = nodes }
            if nodes > 0, !open.isEmpty { open[open.count - 1].nodes += nodes }
        }
        return nil
    }

    static let nulMessage = "a NUL character is not allowed in a rule or configuration file"

    /// The line and column (counted in Unicode scalars, as libyaml does) of a position in `text`.
    static func location(of index: String.Index, in text: String, file: String) -> SourceLocation {
        let before = text.unicodeScalars[..<index]
        let lineStart = before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex
        let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        return SourceLocation(file: file, line: line, column: before[lineStart...].count + 1)
    }

    private static func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: $0) }
    }
}
