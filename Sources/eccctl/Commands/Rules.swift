import ArgumentParser
import EccClient
import EccRules
import Foundation

/// `eccctl rules`: for rule authors.
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and reload rule files.", subcommands: [Check.self, Reload.self])

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
