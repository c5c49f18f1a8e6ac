import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Testing

/// A rule file with one `host: {regex: …}` condition; the pattern's opening quote is at line 2, column 24.
func regexRule(_ pattern: String) -> String {
    "- rule: a\n  when: {host: {regex: \"\(pattern)\"}}\n  alarm: {summary: s}\n"
}

@Suite("Rule regular expressions (RE2)")
struct PatternTests {
    @Test(
        "what RE2 refuses is reported at file:line:column with the reason",
        arguments: [
            ("^a(?=b)", "r.yaml:2:27: regular expression '^a(?=b)' is not accepted: lookahead '(?='"),
            ("a(?!b)", "r.yaml:2:26: regular expression 'a(?!b)' is not accepted: lookahead '(?!'"),
            ("(?<=a)b", "r.yaml:2:25: regular expression '(?<=a)b' is not accepted: lookbehind"),
            ("x(?<!a)b", "r.yaml:2:26: regular expression 'x(?<!a)b' is not accepted: lookbehind"),
            ("(a)\\\\1", "r.yaml:2:28: regular expression '(a)\\1' is not accepted: backreference '\\1'"),
            ("(?<n>a)\\\\k<n>", "r.yaml:2:32: regular expression '(?<n>a)\\k<n>' is not accepted: backreference"),
            ("ab++", "r.yaml:2:27: regular expression 'ab++' is not accepted: possessive quantifier '++'"),
            ("(?>a+)b", "r.yaml:2:25: regular expression '(?>a+)b' is not accepted: atomic group '(?>'"),
            ("core\\\\Z", "r.yaml:2:29: regular expression 'core\\Z' is not accepted: '\\Z' is not supported"),
            ("a{1001}", "r.yaml:2:26: regular expression 'a{1001}' is not accepted: repetition '{1001}'"),
            ("a(", "r.yaml:2:25: regular expression 'a(' is not accepted: missing ): a("),
            (
                "(?<s>a)-(?<s>b)",
                "r.yaml:2:33: regular expression '(?<s>a)-(?<s>b)' is not accepted: the group name 's' is used twice"
            ),
        ])
    func refusals(pattern: String, expected: String) {
        let errs = errors(regexRule(pattern))
        #expect(errs.count == 1)
        #expect(errs.first?.hasPrefix(expected) == true, "got \(errs)")
    }

    @Test("the column is exact in plain and single-quoted scalars too")
    func columnsInOtherStyles() {
        let plain = errors("- rule: a\n  when:\n    host: {regex: ab(?=c)}\n  alarm: {summary: s}\n")
        #expect(plain.first?.hasPrefix("r.yaml:3:21: regular expression 'ab(?=c)' is not accepted") == true)
        let quoted = errors("- rule: a\n  when:\n    host: {regex: 'it''s(?=c)'}\n  alarm: {summary: s}\n")
        #expect(quoted.first?.hasPrefix("r.yaml:3:25: regular expression 'it's(?=c)' is not accepted") == true)
    }

    @Test("named groups in (?<name>…) and (?P<name>…) both capture; classes and escapes are left alone")
    func namedGroups() throws {
        let a = try Pattern("^(?<site>[^-]+)-(?P<unit>[0-9]+)")
        #expect(a.captureNames == ["site", "unit"])
        #expect(a.match("zürich-12").map { $0.map { "\($0.0)=\($0.1)" } } == ["site=zürich", "unit=12"])
        let cls = try Pattern("^[(?<x>]+$")
        #expect(cls.captureNames.isEmpty)
        #expect(cls.matches("(?<x>"))
        let escaped = try Pattern("\\(?<x>")
        #expect(escaped.captureNames.isEmpty)
        #expect(escaped.matches("(<x>"))
        let quoted = try Pattern("\\Q(?<x>\\E")
        #expect(quoted.captureNames.isEmpty)
        #expect(quoted.matches("a(?<x>b"))
    }

    @Test("Perl classes are ASCII, Unicode classes are spelled out; '.' is one code point (docs/rules.md)")
    func unicode() throws {
        #expect(try Pattern("^\\d+$").matches("123"))
        #expect(try !Pattern("^\\d+$").matches("١٢٣"))
        #expect(try Pattern("^\\p{Nd}+$").matches("١٢٣"))
        #expect(try Pattern("^\\pL+$").matches("zürich"))
        #expect(try !Pattern("^.$").matches("e\u{301}"))
        #expect(try Pattern("^..$").matches("e\u{301}"))
    }

    @Test("groups that take no part give no field; an empty group gives an empty one")
    func participation() throws {
        let p = try Pattern("(?<a>x)|(?<b>y)")
        #expect(p.match("y").map { $0.map(\.0) } == ["b"])
        #expect(p.match("z") == nil)
        let empty = try Pattern("^(?<x>a*)$")
        #expect(empty.match("").map { $0.map { "\($0.0)=\($0.1)" } } == ["x="])
    }

    @Test("more groups than the shim keeps on its stack still capture")
    func manyGroups() throws {
        let source = String(repeating: "(.)", count: 20) + "(?<last>.)"
        let p = try Pattern(source)
        let text = "abcdefghijklmnopqrstu"
        #expect(p.match(text).map { $0.map { "\($0.0)=\($0.1)" } } == ["last=u"])
    }

    @Test("a nested-quantifier pattern in a real rule finishes against a hostile event")
    func pathological() throws {
        // Under a backtracking engine each of these takes minutes (2^n paths); RE2 is linear in the text.
        let rules = try compileRules(
            """
            - rule: nested
              when: {type: linkDown, host: {regex: "^(a+)+$"}}
              alarm: {severity: major, summary: "link down on {host}"}
            - rule: nested-captures
              when: {type: linkUp, host: {regex: "^(?<name>(a|aa)+)$"}}
              key: "{name}"
              alarm: {severity: minor, summary: "{name}"}
            """)
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        let hostile = String(repeating: "a", count: 40) + "!"
        engine.handle(Event.make("linkDown", host: hostile, severity: .major), at: testEpoch, into: &batch)
        engine.handle(Event.make("linkUp", host: hostile, severity: .major), at: testEpoch, into: &batch)
        #expect(batch.changes.isEmpty)
        let fine = String(repeating: "a", count: 40)
        engine.handle(Event.make("linkDown", host: fine, severity: .major), at: testEpoch, into: &batch)
        engine.handle(Event.make("linkUp", host: fine, severity: .major), at: testEpoch, into: &batch)
        #expect(batch.changes.map(\.alarm.rule) == ["nested", "nested-captures"])
        #expect(batch.changes.last?.alarm.key == fine)
    }
}
