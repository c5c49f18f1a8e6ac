import EccCore
import EccYAML

/// Configuration items to import into the incident store (`eccctl cis import FILE`): a YAML list of
/// `- ci: name` entries (as in rule files: `parent` and any other attributes), or a CSV file whose
/// header starts with the item's name column (`ci` or `name`), then `parent` and attributes.
package enum CMDBFile {
    package static func parse(_ text: String, file: String) throws(ConfigErrors) -> [CMDB.Item] {
        if file.lowercased().hasSuffix(".csv") {
            do {
                let table = try ContextParser.csvTable(name: "cis", text: text, file: file)
                return table.rows.keys.sorted().map { name in
                    var attributes = table.rows[name] ?? [:]
                    let parent = attributes.removeValue(forKey: "parent")
                    return CMDB.Item(name: name, parent: parent, attributes: attributes)
                }
            } catch { throw ConfigErrors([error]) }
        }
        var out: [CMDB.Item] = []
        var errors: [ConfigError] = []
        do {
            guard let doc = try YAMLValue.parse(text, file: file) else { return [] }
            for entry in try doc.list("the configuration items") {
                do throws(ConfigError) { out.append(try ContextParser.ci(entry)) } catch { errors.append(error) }
            }
        } catch { errors.append(error) }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return out
    }
}
