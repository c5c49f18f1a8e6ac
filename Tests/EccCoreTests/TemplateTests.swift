import EccCore
import EccTestSupport
import Testing

@Suite("Templates")
struct TemplateTests {
    @Test("renders fields, attributes, count and literal braces")
    func render() throws {
        let t = try Template("{host}/{ifIndex} {{x}} n={count} {missing}!")
        let e = Event.make("linkDown", host: "sw1", ["ifIndex": "7"])
        #expect(t.render(e, count: 3) == "sw1/7 {x} n=3 !")
        #expect(t.usesCount)
        #expect(t.fields == [.host, .attribute("ifIndex"), .attribute("missing")])
    }

    @Test("refuses malformed templates with the offset", arguments: [("a{b", 1), ("{}", 0), ("a}", 1), ("{a b}", 0)])
    func malformed(text: String, offset: Int) {
        #expect { try Template(text) } throws: { ($0 as? Template.ParseError)?.offset == offset }
    }
}
