import ArgumentParser
import EccAPI
import EccClient
import EccConfig
import EccCore
import EccNotify
import EccRules
import EccYAML
import Foundation

/// `eccctl rules`: for rule authors.
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, test and reload rule files.", subcommands: [Check.self, Test.self, Explain.self, Reload.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rule files exactly as eccd would; print file:line:col: message per error.")

        @Argument(help: "Rule files or directories (default: rules).") var paths: [String] = []
        @Flag(help: "Also print warnings (template fields that no rule tests and no transform sets).")
        var strict = false
        @Option(
            help: """
                eccd's configuration file: also run eccd's own check of it (as eccd --check-config) with these rules, \
                including that every receiver the routes name is in its notify section.
                """)
        var config: String?

        func run() async throws {
            let targets = paths.isEmpty ? ["rules"] : paths
            do {
                let files = try RuleLoader.ruleFiles(in: targets)
                let rules = try RuleLoader.load(paths: targets)
                if strict {
                    for w in RuleLint.check(rules) where !w.error { print(w.description) }
                }
                func n(_ count: Int, _ what: String) -> String? {
                    count == 0
                        ? nil
                        : "\(count) \(count == 1 ? what : what.hasSuffix("y") ? what.dropLast() + "ies" : what + "s")"
                }
                let parts = [
                    n(rules.rules.count, "rule"), n(rules.transforms.count, "transform"),
                    n(rules.tables.count, "table"), n(rules.cmdb.items.count, "configuration item"),
                    n(rules.inhibitions.count, "inhibition"), n(rules.maintenance.count, "maintenance window"),
                    n(rules.routeIndex.count, "route"), n(rules.escalations.count, "escalation policy"),
                    n(rules.parsers.parsers.count, "parser"),
                ].compactMap { $0 }
                print(
                    "ok: \(parts.isEmpty ? "nothing" : parts.joined(separator: ", ")) in \(files.count) "
                        + "file\(files.count == 1 ? "" : "s")")
                if let config { try Self.checkConfig(rules, config: config) }
            } catch let error as ConfigErrors {
                for e in error.errors { print(e.description) }
                printError("\(error.errors.count) error\(error.errors.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        }
    }

}

extension Rules.Check {
    /// eccd's check of its configuration (``DaemonConfig/check(rules:)``, as `eccd --check-config` and
    /// eccd's start run it) with these rules in place of the configured ones.
    static func checkConfig(_ rules: RuleSet, config path: String) throws {
        let config: DaemonConfig
        do { config = try DaemonConfig.load(path: path) } catch {
            for e in error.errors { print(e.description) }
            printError("configuration refused")
            throw ExitCode(1)
        }
        if config.notify == nil { print("note: \(path) has no notify section: eccd sends no notifications") }
        do { print(try config.check(rules: rules).summary) } catch {
            print(error.description)
            printError("configuration refused")
            throw ExitCode(1)
        }
    }
}

extension Rules {
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run rule tests (*.test.yaml): timestamped events in, expected alarm changes out.",
            discussion: "Runs on the same engine as eccd, on event time, without a daemon. See docs/rules.md.")

        @Argument(help: "Test files or directories (default: rules).") var paths: [String] = []
        @Flag(name: .shortAndLong, help: "List passing tests too.") var verbose = false

        func run() async throws {
            let files = RuleTestRunner.testFiles(in: paths.isEmpty ? ["rules"] : paths)
            var passed = 0
            var failed = 0
            for file in files {
                do {
                    for r in try RuleTestRunner.run(file: file) {
                        if let failure = r.failure {
                            failed += 1
                            print("FAIL \(r.location): \(r.name)")
                            print(failure, terminator: "")
                        } else {
                            passed += 1
                            if verbose { print("ok   \(r.location): \(r.name)") }
                        }
                    }
                } catch {
                    failed += 1
                    for e in error.errors { print("ERROR \(e)") }
                }
            }
            if files.isEmpty { print("no *.test.yaml files found") }
            print("rules: \(passed) passed, \(failed) failed")
            if failed > 0 || files.isEmpty { throw ExitCode(1) }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how each rule treats an event: which conditions hold, and what it would raise or clear.",
            discussion: """
                eccctl rules explain --type linkDown --host sw1 --severity major --attr ifIndex=7
                eccctl rules explain --json '{"source":"snmp","type":"linkDown","host":"sw1"}'
                """)

        @Option(name: .customLong("rules"), help: "Rule files or directories (default: rules).")
        var rulePaths: [String] = []
        @Option(help: "The event as a JSON object (or '-' to read it from stdin).") var json: String?
        @Option(help: "Event source.") var source: String = "eccctl"
        @Option(help: "Event time, RFC 3339 (default: now); maintenance windows are decided on it.")
        var time: String?
        @Option(help: "Host.") var host: String = ""
        @Option(help: "Event type.") var type: String?
        @Option(help: "Severity: \(Severity.namesForHelp).") var severity: String = "info"
        @Option(help: "Summary.") var summary: String = ""
        @Option(name: .customLong("attr"), help: "Attribute NAME=VALUE (repeatable).") var attrs: [String] = []
        @Flag(help: "Show rules that are not considered (other types) too.") var all = false

        func run() async throws {
            try await cli {
                let rules: RuleSet
                do throws(ConfigErrors) {
                    rules = try RuleLoader.load(paths: rulePaths.isEmpty ? ["rules"] : rulePaths)
                } catch {
                    for e in error.errors { print(e.description) }
                    throw CLIError("the rules do not load")
                }
                let raw = try makeEvent()
                let style = Style.auto
                var w = JSONWriter()
                w.write(raw)
                print("event: \(w.string)")
                let (event, transformed) = rules.explainTransforms(raw)
                for line in transformed { print("  \(line)") }
                var shown = 0
                for e in rules.explain(event) where all || e.candidate {
                    shown += 1
                    let mark = e.clears || e.matched || e.follows ? style.paint("✔", "32") : style.paint("✘", "31")
                    print("\n\(mark) \(e.rule)\(e.location.map { "  (\($0))" } ?? "")")
                    if e.candidate {
                        for c in e.when { print("    when  \(c.passed ? "✔" : "✘") \(c.condition)") }
                        for c in e.clear { print("    clear \(c.passed ? "✔" : "✘") \(c.condition)") }
                        for c in e.then { print("    then  \(c.passed ? "✔" : "✘") \(c.condition)") }
                    }
                    if let key = e.key { print("    key   \(key)") }
                    print("    → \(e.outcome)")
                    if e.matched, !e.clears, let key = e.key {
                        for line in rules.explainContext(rule: e.rule, event: event, key: key) {
                            print("    → \(line)")
                        }
                    }
                }
                let skipped = rules.rules.count - shown
                print(
                    "\n\(shown) rule\(shown == 1 ? "" : "s") considered"
                        + (skipped > 0 ? ", \(skipped) ruled out by type (--all shows them)" : ""))
            }
        }

        func makeEvent() throws -> Event {
            // The event's time: --time, else now; an event's own "time" in --json wins over both.
            var at = EventTime(seconds: Date().timeIntervalSince1970)
            if let time {
                switch RFC3339.check(time) {
                case .success(let t): at = t
                case .failure(let p): throw CLIError("--time: " + p.message(time))
                }
            }
            if let json {
                var text = json
                if json == "-" {
                    // The whole of stdin: a pretty-printed object spans several lines.
                    var lines: [String] = []
                    while let line = readLine(strippingNewline: false) { lines.append(line) }
                    text = lines.joined().split(whereSeparator: \.isNewline).joined(separator: " ")
                }
                do { return try JSONEventDecoder.decodeEvent(text, receivedAt: at) } catch {
                    throw CLIError("the event: \(error)")
                }
            }
            guard let type else { throw CLIError("give --type (and other fields), or --json") }
            guard let sev = Severity(name: severity) else {
                throw CLIError("unknown severity '\(severity)' (expected \(Severity.namesForHelp))")
            }
            var attributes = Attributes()
            for a in attrs {
                guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                    throw CLIError("--attr '\(a)' must be NAME=VALUE")
                }
                let value = String(a[a.index(after: eq)...])
                attributes[String(a[..<eq])] = Int64(value).map { .int($0) } ?? .string(value)
            }
            return Event(
                time: at, source: source, host: host, type: type, severity: sev,
                summary: summary,
                attributes: attributes)
        }
    }

    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the running eccd to reload its rules (as SIGHUP does).")

        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await cli {
                let (status, body) = try await server.client().request(.POST, "/v1/rules/reload")
                let report =
                    (try? APIJSON.decode(ReloadView.self, from: body))?.report ?? String(decoding: body, as: UTF8.self)
                if status == 200 {
                    print("reloaded: \(report)")
                } else if status == 422 {
                    print(report)
                    throw CLIError("reload refused; the previous rules stay in force")
                } else {
                    throw CLIError(errorMessage(body, status: status))
                }
            }
        }
    }
}
