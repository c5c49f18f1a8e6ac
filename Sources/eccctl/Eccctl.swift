import ArgumentParser
import EccAPI
import EccClient
import Foundation

/// eccctl: the operator's and rule author's tool.
@main
struct Eccctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eccctl",
        abstract: "Operate eccd: send events, tail alarms, work incidents, check rules.",
        discussion: "eccctl finds eccd at http://127.0.0.1:8470 unless --server or ECC_SERVER says otherwise.",
        version: "0.1.0",
        subcommands: [
            Send.self, Tail.self, Incidents.self, Alarms.self, Rules.self, Status.self, CIs.self, Changes.self,
            Problems.self, Knowledge.self, BackupCommand.self, Notify.self, Token.self,
        ])
}

/// The `--server` option every command that talks to eccd takes.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "eccd's address, http:// or https:// (default: $ECC_SERVER or http://127.0.0.1:8470).")
    var server: String?

    @Option(
        name: .customLong("token-file"),
        help: "A file holding your API token (default: $ECC_TOKEN_FILE; none: eccd's tokenless loopback mode).")
    var tokenFile: String?

    @Option(
        name: .customLong("ca-file"),
        help: "For an https:// server: trust this CA certificate (PEM) instead of the system's ($ECC_CA_FILE).")
    var caFile: String?

    func client() throws -> DaemonClient {
        let env = ProcessInfo.processInfo.environment
        let token = try (tokenFile ?? env["ECC_TOKEN_FILE"]).map { path throws(CLIError) in
            try readToken(path)
        }
        return try DaemonClient(
            server: server ?? env["ECC_SERVER"] ?? "http://127.0.0.1:8470", token: token,
            caFile: caFile ?? env["ECC_CA_FILE"])
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs a command body, turning ``CLIError`` into `eccctl: message` and exit code 1.
func cli(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let e as CLIError {
        printError("eccctl: \(e.description)")
        throw ExitCode(1)
    }
}

/// Decodes a JSON error body `{"error": ...}` into a message.
func errorMessage(_ body: [UInt8], status: Int) -> String {
    if let answer = try? APIJSON.decode(ErrorView.self, from: body) { return answer.error }
    return "HTTP \(status): \(String(decoding: body.prefix(300), as: UTF8.self))"
}

/// Percent-encodes a query value.
func queryEscape(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}

/// Builds `path?k=v&...` from the non-nil values.
func pathWithQuery(_ path: String, _ items: [(String, String?)]) -> String {
    let q = items.compactMap { k, v in v.map { "\(k)=\(queryEscape($0))" } }
    return q.isEmpty ? path : path + "?" + q.joined(separator: "&")
}
