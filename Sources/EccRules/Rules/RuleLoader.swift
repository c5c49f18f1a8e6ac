import EccCore
import EccYAML
import Foundation

/// Loads rule files from files and directories into one validated ``RuleSet``: the same code serves
/// `eccd` (start and SIGHUP) and `eccctl rules check`.
package enum RuleLoader {
    /// The rule files under `paths`: files as given, directories' `*.yaml` / `*.yml` sorted by name.
    package static func ruleFiles(in paths: [String]) throws(ConfigErrors) -> [String] {
        var files: [String] = []
        var errors: [ConfigError] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                errors.append(ConfigError("no such file or directory", file: path))
                continue
            }
            if isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                let yaml = names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
                    .filter { !$0.hasSuffix(".test.yaml") && !$0.hasSuffix(".test.yml") }
                    .sorted()
                files += yaml.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return files
    }

    /// Loads and validates every rule under `paths`. Throws every error found; nothing partial.
    package static func load(paths: [String]) throws(ConfigErrors) -> RuleSet {
        var sources: [(file: String, text: String)] = []
        var errors: [ConfigError] = []
        for file in try ruleFiles(in: paths) {
            do {
                sources.append((file, try String(contentsOfFile: file, encoding: .utf8)))
            } catch {
                errors.append(ConfigError("cannot read: \(error.localizedDescription)", file: file))
            }
        }
        return try load(sources: sources, errors: errors)
    }

    /// Loads and validates rule files given as text (the fuzz target's way in; ``load(paths:)`` reads the
    /// files and comes here). Throws every error found, `errors` (from reading) included; nothing partial.
    package static func load(
        sources: [(file: String, text: String)], errors readErrors: [ConfigError] = []
    ) throws(ConfigErrors) -> RuleSet {
        var all = RuleFileContents()
        var errors = readErrors
        for (file, text) in sources {
            let (c, e) = RuleParser.parseFile(text, file: file)
            all.rules += c.rules
            all.transforms += c.transforms
            all.tables += c.tables
            all.cis += c.cis
            all.inhibitions += c.inhibitions
            all.maintenance += c.maintenance
            all.routes += c.routes
            all.escalations += c.escalations
            all.parsers += c.parsers
            if let l = c.engine {
                if let first = all.engine {
                    errors.append(
                        ConfigError("engine settings are given twice (first at \(first.1))", file: l.1.file, at: l.1))
                }
                all.engine = l
            }
            errors += e
        }
        errors += cmdbErrors(all.cis)
        if errors.isEmpty {
            do {
                let set = try RuleSet(
                    all.rules, transforms: all.transforms, tables: all.tables, cmdb: CMDB(all.cis),
                    inhibitions: all.inhibitions, maintenance: all.maintenance, routes: all.routes,
                    escalations: all.escalations, lateness: all.engine?.0.lateness ?? 0,
                    history: all.engine?.0.history ?? HistoryPolicy(), parsers: all.parsers)
                let lint = RuleLint.check(set).filter(\.error)
                if lint.isEmpty { return set }
                errors += lint.map { ConfigError($0.message, file: $0.location?.file ?? "rules", at: $0.location) }
            } catch {
                errors.append(
                    ConfigError(error.message, file: error.location?.file ?? "rules", at: error.location))
            }
        }
        throw ConfigErrors(errors)
    }

    /// Duplicate items, unknown parents and cycles in the CMDB.
    static func cmdbErrors(_ cis: [CMDB.Item]) -> [ConfigError] {
        var errors: [ConfigError] = []
        var byName: [String: CMDB.Item] = [:]
        for ci in cis {
            if let first = byName[ci.name] {
                errors.append(
                    ConfigError(
                        "duplicate configuration item '\(ci.name)' (first at \(first.location?.description ?? "?"))",
                        file: ci.location?.file ?? "rules", at: ci.location))
            }
            byName[ci.name] = ci
        }
        for ci in cis {
            guard let p = ci.parent else { continue }
            if byName[p] == nil {
                errors.append(
                    ConfigError(
                        "configuration item '\(ci.name)': parent '\(p)' is not a configuration item",
                        file: ci.location?.file ?? "rules", at: ci.location))
                continue
            }
            var seen: Set<String> = [ci.name]
            var cur: String? = p
            while let c = cur {
                if !seen.insert(c).inserted {
                    errors.append(
                        ConfigError(
                            "configuration item '\(ci.name)' is its own ancestor (a cycle through '\(c)')",
                            file: ci.location?.file ?? "rules", at: ci.location))
                    break
                }
                cur = byName[c]?.parent
            }
        }
        return errors
    }
}
