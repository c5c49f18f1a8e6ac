import EccCore
import Foundation

/// Loads rule files from files and directories into one validated ``RuleSet``: the same code serves
/// `eccd` (start and SIGHUP) and `eccctl rules check`.
public enum RuleLoader {
    /// The rule files under `paths`: files as given, directories' `*.yaml` / `*.yml` sorted by name.
    public static func ruleFiles(in paths: [String]) throws(ConfigErrors) -> [String] {
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
    public static func load(paths: [String]) throws(ConfigErrors) -> RuleSet {
        let files = try ruleFiles(in: paths)
        var rules: [Rule] = []
        var errors: [ConfigError] = []
        for file in files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                errors.append(ConfigError("cannot read: \(error.localizedDescription)", file: file))
                continue
            }
            let (r, e) = RuleParser.parse(text, file: file)
            rules += r
            errors += e
        }
        if errors.isEmpty {
            do { return try RuleSet(rules) } catch {
                errors.append(
                    ConfigError(error.message, file: error.location?.file ?? "rules", at: error.location))
            }
        }
        throw ConfigErrors(errors)
    }
}
