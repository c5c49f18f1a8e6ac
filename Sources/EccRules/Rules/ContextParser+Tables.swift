import EccCore
import EccYAML
import Foundation

/// Transforms and lookup tables (YAML and CSV) of a rule file.
extension ContextParser {
    // MARK: Transforms and tables

    static func transform(_ v: YAMLValue) throws(ConfigError) -> Transform {
        let m = try v.mapping(
            "a transform", known: ["transform", "description", "when", "set", "rename", "drop", "severity", "lookup"])
        let name = try m["transform"]?.string("transform") ?? ""
        guard !name.isEmpty else { throw v.error("a transform needs a name: 'transform: <name>'") }
        var t = Transform(
            name: name,
            when: try m["when"].map { w throws(ConfigError) in try RuleParser.matcher(w, what: "when") }
                ?? Matcher([]), location: v.location)
        if let r = m["rename"] {
            for (_, from, to) in try r.anyMapping("rename").entries {
                let target = try to.string("rename.\(from)")
                guard case .attribute = Field(name: from), case .attribute = Field(name: target) else {
                    throw to.error("rename works on attributes, not the built-in fields")
                }
                t.rename.append([from, target])
            }
        }
        if let s = m["set"] {
            for (key, field, val) in try s.anyMapping("set").entries {
                switch Field(name: field) {
                case .type, .severity, .time:
                    throw key.error("'\(field)' cannot be set here (severity has its own 'severity:' mapping)")
                default: break
                }
                t.set[field] = try RuleParser.template(val, default: "", what: "set.\(field)")
            }
        }
        if let d = m["drop"] {
            t.drop = try d.list("drop").map { n throws(ConfigError) in try n.string("drop entry") }
        }
        if let sv = m["severity"] {
            let sm = try sv.mapping("severity", known: ["from", "map", "default"])
            guard let from = sm["from"], let map = sm["map"] else {
                throw sv.error("severity needs 'from' (a field) and 'map' (value: severity)")
            }
            var values: [String: Severity] = [:]
            for (_, k, val) in try map.anyMapping("severity.map").entries {
                values[k] = try val.severity("severity.map.\(k)")
            }
            let otherwise = try sm["default"]?.severity("severity.default")
            t.severity = Transform.SeverityMap(
                field: Field(name: try from.string("severity.from")), values: values, otherwise: otherwise)
        }
        if let l = m["lookup"] {
            let nodes: [YAMLValue]
            if case .sequence = l.node { nodes = try l.list("lookup") } else { nodes = [l] }
            for n in nodes {
                let lm = try n.mapping("lookup", known: ["table", "key", "fields"])
                guard let table = lm["table"] else { throw n.error("lookup needs 'table' (a table's name, or cmdb)") }
                let fields = try lm["fields"].map { f throws(ConfigError) in
                    try f.list("lookup.fields").map { x throws(ConfigError) in try x.string("a field") }
                }
                t.lookups.append(
                    Transform.Lookup(
                        table: try table.string("lookup.table"),
                        key: try RuleParser.template(lm["key"], default: "{host}", what: "lookup.key"), fields: fields))
            }
        }
        return t
    }

    static func table(_ v: YAMLValue) throws(ConfigError) -> LookupTable {
        let m = try v.mapping("a table", known: ["table", "description", "file", "rows"])
        let name = try m["table"]?.string("table") ?? ""
        guard !name.isEmpty, name != "cmdb" else {
            throw v.error("a table needs a name other than 'cmdb' (the CMDB's own): 'table: <name>'")
        }
        switch (m["file"], m["rows"]) {
        case (let f?, nil):
            let rel = try f.string("file")
            let dir = (v.file as NSString).deletingLastPathComponent
            let path = rel.hasPrefix("/") ? rel : ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(rel)
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw f.error("cannot read table file \(path): \(error.localizedDescription)")
            }
            return try csvTable(name: name, text: text, file: path)
        case (nil, let r?):
            var rows: [String: [String: String]] = [:]
            var columns: [String] = []
            for (_, key, row) in try r.anyMapping("rows").entries {
                var out: [String: String] = [:]
                for (_, col, val) in try row.anyMapping("rows.\(key)").entries {
                    out[col] = try val.string("rows.\(key).\(col)")
                    if !columns.contains(col) { columns.append(col) }
                }
                rows[key] = out
            }
            return LookupTable(name: name, columns: columns, rows: rows)
        default:
            throw v.error("a table has either 'file: <name>.csv' or inline 'rows:', not both or neither")
        }
    }

    /// A CSV file with a header line; the first column is the key. Quoted fields ("a, b", "say ""hi""")
    /// are understood; every error names its line and column.
    static func csvTable(name: String, text: String, file: String) throws(ConfigError) -> LookupTable {
        var records: [(line: Int, fields: [String])] = []
        var field = ""
        var fields: [String] = []
        var quoted = false
        var line = 1
        var col = 0
        var recordLine = 1
        var chars = Array(text.unicodeScalars)
        if chars.last != "\n" { chars.append("\n") }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            col += 1
            if c == "\u{0}" {
                throw ConfigError(
                    "a NUL character is not allowed in a table file", file: file,
                    at: SourceLocation(file: file, line: line, column: col))
            }
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" {
                        line += 1
                        col = 0
                    }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field.trimmingSpaces())
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
                fields.append(field.trimmingSpaces())
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []
                field = ""
                line += 1
                col = 0
                recordLine = line
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if quoted {
            throw ConfigError(
                "unclosed quote in the record starting here", file: file,
                at: SourceLocation(file: file, line: recordLine, column: 1))
        }
        guard let header = records.first?.fields, header.count >= 2 else {
            throw ConfigError("a table file needs a header line with the key column and at least one more", file: file)
        }
        var rows: [String: [String: String]] = [:]
        for r in records.dropFirst() {
            guard r.fields.count == header.count else {
                throw ConfigError(
                    "\(r.fields.count) fields, but the header has \(header.count)", file: file,
                    at: SourceLocation(file: file, line: r.line, column: 1))
            }
            var row: [String: String] = [:]
            for (k, v) in zip(header.dropFirst(), r.fields.dropFirst()) where !v.isEmpty { row[k] = v }
            rows[r.fields[0]] = row
        }
        return LookupTable(name: name, columns: Array(header.dropFirst()), rows: rows)
    }
}
