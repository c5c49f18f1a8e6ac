import EccCore
import EccRules
import EccYAML
import Foundation
import Testing

/// Rule and configuration files are input too: aliases, nesting and NUL characters are bounded before
/// Yams composes the document.
@Suite("YAML bounds")
struct YAMLBoundsTests {
    /// The classic "billion laughs" (9 levels of 9 aliases: 387 M strings), 1.2 KB, in a rule's `in:` list.
    static let laughs: String = {
        var lines = ["- &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for (prev, name) in zip("abcdefgh", "bcdefghi") {
            lines.append("- &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n- rule: lol\n  when: {type: x, host: {in: *i}}\n"
            + "  alarm: {severity: major, summary: s}\n"
    }()

    @Test("a billion-laughs rule file is refused at the alias past the budget, with file:line:col")
    func billionLaughs() {
        #expect(Self.laughs.utf8.count < 1300)
        let errs = RuleParser.parse(Self.laughs, file: "lol.yaml").errors.map(\.description)
        #expect(errs.count == 1)
        // &a is 10 nodes, &b 91, &c 820, &d 7,381, &e 66,430: the aliases in &b…&e stand for 74,718 nodes,
        // and the first alias in &f (line 6, column 7) takes the total past 100,000.
        #expect(errs.first?.hasPrefix("lol.yaml:6:7: aliases expand to more than 100000 nodes") == true)
    }

    @Test("the same file is refused by the loader eccd uses at start and on SIGHUP (and rules check)")
    func billionLaughsLoader() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-lol-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.laughs.write(to: dir.appendingPathComponent("lol.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try RuleLoader.load(paths: [dir.path])
            Issue.record("a billion-laughs file loaded")
        } catch {
            #expect(error.description.contains("lol.yaml:6:7: aliases expand to more than"))
        }
    }

    @Test("an alias as a mapping key is bounded too (Yams hashes keys while it composes)")
    func aliasKey() {
        let text = Self.laughs.components(separatedBy: "\n").prefix(9).joined(separator: "\n") + "\n- {? *i : 1}\n"
        let errs = RuleParser.parse(text, file: "k.yaml").errors.map(\.description)
        #expect(errs.first?.contains("aliases expand to more than") == true)
    }

    @Test("anchors and aliases within the budget work as before")
    func aliasesWork() {
        let (rules, errs) = RuleParser.parse(
            """
            - rule: a
              when: &down {type: linkDown}
              alarm: &major {severity: major, summary: "down"}
            - rule: b
              when: *down
              alarm: *major
            """, file: "r.yaml")
        #expect(errs.isEmpty)
        #expect(rules.map(\.name) == ["a", "b"])
    }

    @Test("nesting deeper than 64 levels is refused where it goes too deep")
    func depth() {
        let text =
            "- rule: deep\n  when: {type: x}\n  description: " + String(repeating: "[", count: 100)
            + String(repeating: "]", count: 100) + "\n"
        let errs = RuleParser.parse(text, file: "d.yaml").errors.map(\.description)
        #expect(errs == ["d.yaml:3:78: lists and mappings nest deeper than 64 levels"])
    }

    @Test(
        "a NUL character in a rule file is refused, not truncated, at its scalar",
        arguments: [
            ("- rule: a\n  when: {type: \"link\\0Down\"}\n", "n.yaml:2:16"),
            ("- rule: a\n  when: {\"ty\\x00pe\": x}\n", "n.yaml:2:10"),
            ("- rule: a\n  description: \"\\u0000\"\n", "n.yaml:2:16"),
        ])
    func nul(text: String, location: String) {
        let errs = RuleParser.parse(text, file: "n.yaml").errors.map(\.description)
        #expect(errs == ["\(location): a NUL character is not allowed in a rule or configuration file"])
    }

    @Test("a raw NUL byte, or another control character, is refused with its position")
    func rawNul() {
        let nul = RuleParser.parse("- rule: a\n  when: {type: li\u{0}nk}\n", file: "n.yaml").errors
        #expect(
            nul.map(\.description) == ["n.yaml:2:18: a NUL character is not allowed in a rule or configuration file"])
        let ctl = RuleParser.parse("- rule: \u{e9}\u{1}\n", file: "n.yaml").errors
        #expect(ctl.map(\.description) == ["n.yaml:1:10: invalid YAML: control characters are not allowed"])
    }

    @Test("a NUL character in a table or CMDB CSV file is refused with its line and column")
    func csvNul() {
        do {
            _ = try CMDBFile.parse("ci,site\nsw1,dc\u{0}1\n", file: "cis.csv")
            Issue.record("a NUL was accepted")
        } catch {
            #expect(error.description == "cis.csv:2:7: a NUL character is not allowed in a table file")
        }
    }
}
