import ArgumentParser
import EccClient
import EccRules
import Foundation

/// `eccctl rules`: for rule authors.
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, test and reload rule files.", subcommands: [Check.self, Test.self, Reload.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rule files exactly as eccd would; print file:line:col: message per error.")

        @Argument(help: "Rule files or directories (default: rules).") var paths: [String] = []

        func run() async throws {
            let targets = paths.isEmpty ? ["rules"] : paths
            do {
                let files = try RuleLoader.ruleFiles(in: targets)
                let rules = try RuleLoader.load(paths: targets)
                print("ok: \(rules.rules.count) rules in \(files.count) files")
            } catch {
                for e in error.errors { print(e.description) }
                printError("\(error.errors.count) error\(error.errors.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        }
    }

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

    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the running eccd to reload its rules (as SIGHUP does).")

        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await cli {
                let (status, body) = try await server.client().request(.POST, "/v1/rules/reload")
                let obj = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
                let report = (obj?["report"] as? String) ?? String(decoding: body, as: UTF8.self)
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
