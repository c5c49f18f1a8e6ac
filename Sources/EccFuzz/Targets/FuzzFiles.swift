import EccCore
import EccRules
import EccYAML

/// Rule and CMDB files. The file names lie in a directory that does not exist, so a
/// `table: {file: x.csv}` refers to nothing.
enum FuzzFiles {
    /// Rule files through `RuleLoader`, the loader of `eccd` (start and SIGHUP) and `eccctl rules check`.
    static func rules(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? RuleLoader.load(sources: [("/nonexistent/fuzz.yaml", text)])
    }

    /// `eccctl cis import`: the same text as CSV and as YAML.
    static func cmdb(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? CMDBFile.parse(text, file: "/nonexistent/cis.csv")
        _ = try? CMDBFile.parse(text, file: "/nonexistent/cis.yaml")
    }
}
