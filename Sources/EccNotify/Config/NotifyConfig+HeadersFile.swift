import EccRules
import EccYAML
import Foundation

extension NotifyConfig {
    /// `headers_file`: request headers kept out of eccd.yaml because they carry credentials
    /// (`Authorization: Bearer …`, `X-Api-Key: …`). One `Name: value` per line, `#` comments and blank lines
    /// skipped. Errors name the file and line, never the value.
    static func headersFile(_ m: YAMLMapping, _ what: String) throws(ConfigError) -> [(name: String, value: String)] {
        guard let f = m["headers_file"] else { return [] }
        let path = try f.string("\(what).headers_file")
        let text = try readFile(f, path, "\(what).headers_file")
        var out: [(name: String, value: String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw f.error("\(path):\(n + 1): expected 'Name: value'")
            }
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) })
            else { throw f.error("\(path):\(n + 1): not a header name") }
            out.append((name, value))
        }
        return out
    }
}
