import EccCore
import EccRules
import EccYAML
import Foundation
import Testing

/// `eccctl cis import FILE`: configuration items from YAML or CSV.
@Suite("CMDB files")
struct CMDBFileTests {
    func parse(_ text: String, file: String) throws -> [String] {
        try CMDBFile.parse(text, file: file).map { i in
            let attrs = i.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ([i.name, i.parent.map { "← \($0)" } ?? "-"] + attrs).joined(separator: " ")
        }
    }

    func errors(_ text: String, file: String) -> [String] {
        do {
            _ = try CMDBFile.parse(text, file: file)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test("YAML: - ci: entries with a parent and attributes")
    func yaml() throws {
        let items = try parse(
            """
            - ci: core1
              criticality: high
            - ci: sw1
              parent: core1
              site: dc2
              follow_up: "true"
            """, file: "cis.yaml")
        #expect(items == ["core1 - criticality=high", "sw1 ← core1 follow_up=true site=dc2"])
        #expect(try CMDBFile.parse("", file: "empty.yaml").isEmpty)
    }

    @Test("CSV: the first column names the item, then parent and attributes; empty cells are left out")
    func csv() throws {
        let items = try parse(
            """
            name,parent,criticality,site
            sw1,core1,,dc2
            core1,,high,dc2
            "r7, rack 3",core1,low,"dc2"
            """, file: "cis.CSV")
        #expect(
            items == [
                "core1 - criticality=high site=dc2", "r7, rack 3 ← core1 criticality=low site=dc2",
                "sw1 ← core1 site=dc2",
            ])
    }

    @Test(
        "a bad line is reported with its file and line",
        arguments: [
            ("cis.csv", "name,parent\ncore1,\nsw1,core1,extra\n", ["cis.csv:3:1: 3 fields, but the header has 2"]),
            (
                "cis.csv", "name,parent\ncore1,\n\"sw1,core1\n",
                ["cis.csv:3:1: unclosed quote in the record starting here"]
            ),
            (
                "cis.yaml", "- ci: core1\n- parent: core1\n  site: dc2\n",
                ["cis.yaml:2:3: a configuration item needs a name: 'ci: <name>'"]
            ),
            (
                "cis.yaml", "- ci: core1\n  parent: core1\n- ci: sw1\n  site: [a, b]\n",
                [
                    "cis.yaml:2:11: 'core1' cannot be its own parent",
                    "cis.yaml:4:9: site must be a single value, not a list",
                ]
            ),
        ])
    func badLine(file: String, text: String, expected: [String]) {
        #expect(errors(text, file: file) == expected)
    }
}

/// The incident store's CMDB and change windows joining the rule files' (RuleSet.adding).
@Suite("Rules with the store's CMDB and changes")
struct RuleSetMergeTests {
    func rules(_ yaml: String) throws -> RuleSet {
        let (c, errs) = RuleParser.parseFile(yaml, file: "r.yaml")
        #expect(errs.isEmpty, "\(errs)")
        return try RuleSet(
            c.rules, transforms: c.transforms, tables: c.tables, cmdb: CMDB(c.cis), maintenance: c.maintenance)
    }

    static let window = MaintenanceWindow(
        name: "change-1", intervals: [.init(start: EventTime(nanoseconds: 0), end: EventTime(nanoseconds: 10))],
        hosts: ["sw5"], match: nil)
    static let items = [
        CMDB.Item(name: "core9", parent: nil, attributes: ["criticality": "high"]),
        CMDB.Item(name: "sw9", parent: "core9", attributes: [:]),
    ]

    @Test("items and windows are added; the rule files' own entries win on a name clash")
    func added() throws {
        let base = try rules(
            """
            - ci: sw9
              site: rules
            - rule: node-down
              when: {type: nodeDown}
              alarm: {}
            """)
        let merged = try base.merging(cis: Self.items, maintenance: [Self.window, Self.window])
        #expect(merged.cmdb.items.keys.sorted() == ["core9", "sw9"])
        #expect(merged.cmdb.items["sw9"]?.attributes == ["site": "rules"])
        #expect(merged.maintenance.map(\.name) == ["change-1"])
        #expect(merged.tables["cmdb"]?.rows["core9"] == ["criticality": "high"])
        #expect(base.adding(cis: Self.items, maintenance: [Self.window]).mergeWarnings.isEmpty)
    }

    @Test("a table named cmdb beside the store's items: they are refused with the reason, the windows still added")
    func tableNamedCMDB() throws {
        // The rule parser refuses a `- table: cmdb`; a rule set built in code can still have one.
        let (c, errs) = RuleParser.parseFile(
            """
            - transform: site
              lookup: {table: cmdb, key: "{host}", fields: [site]}
            - rule: node-down
              when: {type: nodeDown}
              alarm: {}
            """, file: "r.yaml")
        #expect(errs.isEmpty, "\(errs)")
        let table = LookupTable(name: "cmdb", columns: ["site"], rows: ["sw1": ["site": "dc1"]])
        let base = try RuleSet(c.rules, transforms: c.transforms, tables: [table])
        #expect {
            try base.merging(cis: Self.items, maintenance: [])
        } throws: { "\($0)".contains("lookup table named 'cmdb'") }
        let kept = base.adding(cis: Self.items, maintenance: [Self.window])
        #expect(kept.cmdb.isEmpty)
        #expect(kept.tables["cmdb"]?.rows["sw1"] == ["site": "dc1"], "the rule set's own table is kept")
        #expect(kept.maintenance.map(\.name) == ["change-1"], "the change windows are not dropped with the items")
        #expect(kept.mergeWarnings.count == 1)
        #expect(
            kept.mergeWarnings.first?.contains("2 configuration items from the incident store were not added") == true)
        // Windows alone are added beside the table.
        let windows = base.adding(cis: [], maintenance: [Self.window])
        #expect(windows.maintenance.map(\.name) == ["change-1"] && windows.mergeWarnings.isEmpty)
        #expect(windows.tables["cmdb"]?.rows["sw1"] == ["site": "dc1"])
    }
}
