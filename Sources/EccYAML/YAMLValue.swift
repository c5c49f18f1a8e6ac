import EccCore
import Yams

/// A YAML node with the file it came from: the base of strict decoding with exact error positions.
package struct YAMLValue {
    package let node: Node
    package let file: String

    package init(_ node: Node, file: String) {
        self.node = node
        self.file = file
    }

    /// Where the node starts.
    package var location: SourceLocation {
        let m = node.mark
        return SourceLocation(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    /// An error located at this node.
    package func error(_ message: String) -> ConfigError {
        ConfigError(message, file: file, at: location)
    }

    /// Parses a whole document; nil for an empty file. The text is checked against ``YAMLBounds`` first.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLValue? {
        try YAMLBounds.check(text, file: file)
        do {
            guard let node = try Yams.compose(yaml: text) else { return nil }
            return YAMLValue(node, file: file)
        } catch let e as YamlError {
            throw Self.describe(e, file: file)
        } catch {
            throw ConfigError("\(error)", file: file)
        }
    }

    private static func describe(_ e: YamlError, file: String) -> ConfigError {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let ctx = context.map { " \($0.text)" } ?? ""
            return ConfigError(
                "invalid YAML: \(problem)\(ctx)", file: file,
                at: SourceLocation(file: file, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in mapping", file: file,
                at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column))
        case .reader(let problem, let offset, _, let yaml):
            // The offset counts Characters; the position is where the unreadable character is.
            guard let offset, let i = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) else {
                return ConfigError("invalid YAML: \(problem)", file: file)
            }
            return ConfigError(
                "invalid YAML: \(problem)", file: file, at: YAMLBounds.location(of: i, in: yaml, file: file))
        default:
            return ConfigError("invalid YAML: \(e)", file: file)
        }
    }

    /// The node as a string scalar.
    package func string(_ what: String) throws(ConfigError) -> String {
        guard case .scalar(let s) = node else { throw error("\(what) must be a single value, not a \(kind)") }
        return s.string
    }

    /// The node as a boolean.
    package func bool(_ what: String) throws(ConfigError) -> Bool {
        switch try string(what) {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let v: throw error("\(what) must be true or false, not '\(v)'")
        }
    }

    /// The node as an integer.
    package func int(_ what: String) throws(ConfigError) -> Int {
        let v = try string(what)
        guard let i = Int(v.replacingUnderscores()) else { throw error("\(what) must be a whole number, not '\(v)'") }
        return i
    }

    /// The node as a list.
    package func list(_ what: String) throws(ConfigError) -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("\(what) must be a list, not a \(kind)") }
        return seq.map { YAMLValue($0, file: file) }
    }

    /// The node as a mapping whose keys are checked against `known`.
    package func mapping(_ what: String, known: [String]) throws(ConfigError) -> YAMLMapping {
        AcceptedKeys.note(what, known)
        guard case .mapping(let map) = node else { throw error("\(what) must be a mapping, not a \(kind)") }
        return try YAMLMapping(map, file: file, what: what, known: known)
    }

    /// The node as a mapping with any keys.
    package func anyMapping(_ what: String) throws(ConfigError) -> YAMLMapping {
        guard case .mapping(let map) = node else { throw error("\(what) must be a mapping, not a \(kind)") }
        return try YAMLMapping(map, file: file, what: what, known: nil)
    }

    var kind: String {
        switch node {
        case .scalar: "value"
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        }
    }
}

/// A mapping decoded strictly: unknown keys are errors at their position.
package struct YAMLMapping {
    /// Keys and values in file order.
    package let entries: [(key: YAMLValue, name: String, value: YAMLValue)]
    package let file: String

    init(_ map: Node.Mapping, file: String, what: String, known: [String]?) throws(ConfigError) {
        var entries: [(key: YAMLValue, name: String, value: YAMLValue)] = []
        for (k, v) in map {
            let key = YAMLValue(k, file: file)
            let name = try key.string("a key")
            if let known, !known.contains(name) {
                let hint = Self.suggestion(for: name, in: known).map { "; did you mean '\($0)'?" } ?? ""
                throw key.error("unknown key '\(name)' in \(what) (known: \(known.joined(separator: ", ")))\(hint)")
            }
            entries.append((key, name, YAMLValue(v, file: file)))
        }
        self.entries = entries
        self.file = file
    }

    /// The value under `name`, if present.
    package subscript(name: String) -> YAMLValue? {
        entries.first { $0.name == name }?.value
    }

    package static func suggestion(for name: String, in known: [String]) -> String? {
        known.min { editDistance($0, name) < editDistance($1, name) }.flatMap { editDistance($0, name) <= 2 ? $0 : nil }
    }

    package static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}

/// `1_000_000` as a whole number: YAML 1.1 allows the underscores, Swift's `Int(_:)` does not.
extension String {
    package func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
