import EccCore
import EccYAML
import Foundation

/// Runs rule tests on the pure engine, on event time: the same code path as the daemon, minus I/O.
package enum RuleTestRunner {
    /// The outcome of one test.
    package struct Result: Sendable {
        package var file: String
        package var name: String
        package var location: SourceLocation
        /// Empty when the test passed; otherwise a readable report of expected vs. got.
        package var failure: String?
    }

    /// Loads a test file and its rules and runs every test in it.
    package static func run(file: String) throws(ConfigErrors) -> [Result] {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigErrors([ConfigError("cannot read: \(error.localizedDescription)", file: file)])
        }
        let testFile: RuleTestFile
        do { testFile = try RuleTestParser.parse(text, file: file) } catch { throw ConfigErrors([error]) }
        let dir = (file as NSString).deletingLastPathComponent
        let base = dir.isEmpty ? "." : dir
        let paths =
            testFile.rulePaths.isEmpty
            ? [base] : testFile.rulePaths.map { $0.hasPrefix("/") ? $0 : (base as NSString).appendingPathComponent($0) }
        let rules = try RuleLoader.load(paths: paths)
        return testFile.cases.map { run($0, rules: rules, file: file) }
    }

    /// Runs one test against compiled rules.
    package static func run(_ test: RuleTestCase, rules: RuleSet, file: String) -> Result {
        var engine = Engine(rules: rules)
        var got: [(Int64, AlarmChange)] = []
        // Events in time order (stable for equal times), or as listed; each processed at the latest event
        // time seen so far (the wall clock of a live daemon never goes back).
        let ordered =
            test.arrivalAsListed
            ? Array(test.events.enumerated())
            : test.events.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }
        var clock = EventTime.zero
        func collect(_ batch: ChangeBatch) {
            for c in batch.changes where test.includeRepeats || c.kind != .repeated {
                got.append((c.at.nanoseconds - RuleTestParser.epoch.nanoseconds, c))
            }
        }
        for (_, item) in ordered {
            var batch = ChangeBatch()
            clock = max(clock, item.event.time)
            engine.handle(item.event, at: clock, into: &batch)
            collect(batch)
        }
        if let until = test.until {
            var batch = ChangeBatch()
            engine.tick(at: RuleTestParser.epoch.adding(nanoseconds: until), into: &batch)
            collect(batch)
        }
        let receiversOf = { (routes: [String]) in rules.receivers(ofRoutes: routes) }
        let ok =
            got.count == test.expect.count
            && zip(test.expect, got).allSatisfy { e, g in e.matches(g.1, offset: g.0, receiversOf: receiversOf) }
        guard !ok else { return Result(file: file, name: test.name, location: test.location, failure: nil) }
        var report = "  expected:\n"
        report += test.expect.isEmpty ? "    (no alarm changes)\n" : test.expect.map { "    \($0)\n" }.joined()
        report += "  got:\n"
        report +=
            got.isEmpty
            ? "    (no alarm changes)\n"
            : got.map { "    \($0.1.testLine(offset: $0.0, receiversOf: receiversOf))\n" }.joined()
        let pairs = Array(zip(test.expect, got))
        if let firstBad = pairs.firstIndex(where: { !$0.0.matches($0.1.1, offset: $0.1.0, receiversOf: receiversOf) }) {
            report += "  first difference: expected change \(firstBad + 1) (\(test.expect[firstBad].location))\n"
        } else if got.count != test.expect.count {
            report += "  expected \(test.expect.count) changes, got \(got.count)\n"
        }
        return Result(file: file, name: test.name, location: test.location, failure: report)
    }

    /// The test files under `paths`: files as given, `*.test.yaml` / `*.test.yml` in directories.
    package static func testFiles(in paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                out.append(p)  // reported as unreadable by run(file:)
                continue
            }
            if isDir.boolValue {
                let names = ((try? fm.contentsOfDirectory(atPath: p)) ?? []).filter {
                    $0.hasSuffix(".test.yaml") || $0.hasSuffix(".test.yml")
                }
                out += names.sorted().map { (p as NSString).appendingPathComponent($0) }
            } else {
                out.append(p)
            }
        }
        return out
    }
}
