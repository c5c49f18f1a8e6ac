import EccCore
import EccIncidents
import EccStore
import EccTestSupport
import Foundation
import Testing

/// Fixes suggested on an incident: knowledge articles and known errors, by rule, CI or text.
@Suite("Suggestions")
struct SuggestionTests {
    typealias T = IncidentTests

    @Test("a known error matches by its incidents' rule or CI, or by a text in the incident's title")
    func knownErrorByText() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let store = try AlarmStore(path: path)
            let desk = try IncidentDesk(path: path)
            let reader = try StoreReader(path: path)
            // The known error's own incident: node-down on core1.
            try T.raise(store, 1, key: "core1", rule: "node-down", host: "core1")
            let first = try #require(try reader.incidents().first?.id)
            let problem = try desk.openProblem(title: "optics fail", incidents: [first], by: "alice", at: T.at(1))
            let known = try desk.updateProblem(
                problem.id, state: .knownError, rootCause: nil, workaround: "reseat the SFP",
                matchText: "INTERFACE DOWN",
                by: "alice", at: T.at(2))
            #expect(known.matchText == "INTERFACE DOWN")

            // Another rule on another CI, its title "Interface down on sw7": found by the text alone.
            try T.raise(store, 2, key: "sw7/1", host: "sw7", at: 3)
            let other = try #require(try reader.incidents().first { $0.alarm.id == 2 })
            #expect(other.title == "Interface down on sw7" && other.ci == "sw7")
            let byText = try reader.suggestions(for: other).map { "\($0.kind.rawValue) \($0.text) (\($0.matchedBy))" }
            #expect(byText == ["known_error reseat the SFP (text \"INTERFACE DOWN\")"])
            // Its own rule still matches by rule first.
            let own = try #require(try reader.incidents().first { $0.alarm.id == 1 })
            #expect(try reader.suggestions(for: own).map(\.matchedBy) == ["rule node-down"])

            // Without the text, nothing leads from sw7's incident to the known error.
            _ = try desk.updateProblem(
                problem.id, state: nil, rootCause: nil, workaround: nil, matchText: "", by: "alice", at: T.at(4))
            #expect(try reader.problem(id: problem.id)?.matchText == nil)
            #expect(try reader.suggestions(for: other).isEmpty)
        }
    }
}
