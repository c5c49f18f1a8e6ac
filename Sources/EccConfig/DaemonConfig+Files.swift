import EccCollectors
import EccCore
import EccYAML

extension DaemonConfig {
    /// The `files:` section: the files to follow, each a path or a glob with its options.
    static func fileSources(_ v: YAMLValue, into c: inout DaemonConfig) throws(ConfigError) {
        var seen: Set<String> = []
        c.files = try v.list("files").map { item throws(ConfigError) -> FileSource in
            let m = try item.mapping(
                "a file to follow",
                known: [
                    "path", "format", "program", "parsers", "multiline_start", "max_line_bytes", "unparsed",
                    "start_at",
                ])
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
            if let a = m["start_at"] { s.startAt = try startAt(a, "files.start_at") }
            if let p = m["program"] {
                let name = try p.string("files.program")
                guard !name.isEmpty, name.utf8.count <= 64, !name.contains(where: { $0 == " " || $0 == ":" }) else {
                    throw p.error("files.program is a program's name as syslog shows it (sshd), not '\(name)'")
                }
                s.program = name
            }
            if let list = m["parsers"] {
                let names = try list.list("files.parsers").map { v throws(ConfigError) in try v.string("files.parsers")
                }
                guard !names.isEmpty else {
                    throw list.error("files.parsers is empty: name parsers, or leave it out for all of them")
                }
                s.parsers = names
            }
            if let f = m["format"] {
                let text = try f.string("files.format")
                guard let value = FileSource.Format(rawValue: text) else {
                    throw f.error("files.format is lines or eve (Suricata's EVE JSON), not '\(text)'")
                }
                guard value == .lines || s.parsers == nil else {
                    throw f.error("files.format eve reads EVE records itself: no parsers")
                }
                guard value == .lines || s.program == nil else {
                    throw f.error("files.format eve reads JSON records, not a program's messages: no program")
                }
                guard value == .lines || s.multilineStart == nil else {
                    throw f.error("files.format eve has one JSON object a line: no multiline_start")
                }
                s.format = value
            }
            return s
        }
    }

    /// The `journal:` section: which journal (a directory, else this machine's), which entries, where to start.
    static func journalSource(_ v: YAMLValue) throws(ConfigError) -> JournalSource {
        let m = try v.mapping("journal", known: ["directory", "units", "identifiers", "start_at"])
        var j = JournalSource()
        if let d = m["directory"] {
            let path = try d.string("journal.directory")
            guard path.hasPrefix("/") else {
                throw d.error("journal.directory must be absolute (eccd runs from its own directory): '\(path)'")
            }
            j.directory = path
        }
        func names(_ key: String) throws(ConfigError) -> [String] {
            guard let list = m[key] else { return [] }
            return try list.list("journal.\(key)").map { item throws(ConfigError) -> String in
                let name = try item.string("journal.\(key)")
                guard !name.isEmpty, !name.contains("="), name.utf8.count <= 256 else {
                    throw item.error("journal.\(key): '\(name)' is not a name (1–256 bytes, no '=')")
                }
                return name
            }
        }
        j.units = try names("units")
        j.identifiers = try names("identifiers")
        if let a = m["start_at"] { j.startAt = try startAt(a, "journal.start_at") }
        return j
    }

    /// The `integrity:` section: the files and directories watched, the rescan, the limits.
    static func integritySettings(_ v: YAMLValue) throws(ConfigError) -> IntegritySettings {
        let m = try v.mapping("integrity", known: ["paths", "rescan", "max_file_bytes", "max_files"])
        guard let list = m["paths"] else { throw v.error("integrity needs paths (the files and directories to watch)") }
        var seen: Set<String> = []
        let paths = try list.list("integrity.paths").map { item throws(ConfigError) -> String in
            let path = try item.string("integrity.paths")
            guard path.hasPrefix("/") else { throw item.error("integrity.paths must be absolute: '\(path)'") }
            guard path != "/" else { throw item.error("integrity.paths: '/' is the whole machine; name what matters") }
            guard seen.insert(path).inserted else { throw item.error("'\(path)' is watched twice") }
            return path
        }
        guard !paths.isEmpty else { throw list.error("integrity.paths is empty") }
        var s = IntegritySettings(paths: paths)
        if let r = m["rescan"] {
            let second: Int64 = 1_000_000_000
            s.rescan = try duration(r, "integrity.rescan", min: second, max: 7 * 86_400 * second)
        }
        if let b = m["max_file_bytes"] {
            s.maxFileBytes = Int64(try positive(b, "integrity.max_file_bytes", max: Maximum.integrityFileBytes))
        }
        if let n = m["max_files"] { s.maxFiles = try positive(n, "integrity.max_files", max: Maximum.integrityFiles) }
        return s
    }

    /// `start_at`: `end` or `beginning`.
    private static func startAt(_ v: YAMLValue, _ what: String) throws(ConfigError) -> FileSource.StartAt {
        let text = try v.string(what)
        guard let value = FileSource.StartAt(rawValue: text) else {
            throw v.error("\(what) is end or beginning, not '\(text)'")
        }
        return value
    }
}
