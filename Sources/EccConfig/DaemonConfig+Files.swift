import EccCollectors
import EccCore
import EccYAML

extension DaemonConfig {
    /// The `files:` section: the files to follow, each a path or a glob with its options.
    static func fileSources(_ v: YAMLValue, into c: inout DaemonConfig) throws(ConfigError) {
        var seen: Set<String> = []
        c.files = try v.list("files").map { item throws(ConfigError) -> FileSource in
            let m = try item.mapping(
                "a file to follow", known: ["path", "multiline_start", "max_line_bytes", "unparsed", "start_at"])
            guard let p = m["path"] else { throw item.error("a file to follow needs path (a path or a glob)") }
            let path = try p.string("files.path")
            guard path.hasPrefix("/") else {
                throw p.error("files.path must be absolute (eccd runs from its own directory): '\(path)'")
            }
            guard seen.insert(path).inserted else { throw p.error("'\(path)' is followed twice") }
            var s = FileSource(path: path)
            if let r = m["multiline_start"] {
                let text = try r.string("files.multiline_start")
                do { s.multilineStart = try Pattern(text) } catch {
                    throw r.error("files.multiline_start: \((error as? Pattern.CompileError)?.message ?? "\(error)")")
                }
            }
            if let n = m["max_line_bytes"] {
                s.maxLineBytes = try within(n, "files.max_line_bytes", 256...Maximum.fileLineBytes)
            }
            if let u = m["unparsed"] {
                let text = try u.string("files.unparsed")
                guard let value = FileSource.Unparsed(rawValue: text) else {
                    throw u.error("files.unparsed is drop or event, not '\(text)'")
                }
                s.unparsed = value
            }
            if let a = m["start_at"] {
                let text = try a.string("files.start_at")
                guard let value = FileSource.StartAt(rawValue: text) else {
                    throw a.error("files.start_at is end or beginning, not '\(text)'")
                }
                s.startAt = value
            }
            return s
        }
    }
}
