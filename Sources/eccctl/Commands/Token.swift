import ArgumentParser
import EccAuth
import EccClient
import Foundation

/// `eccctl token create`: a new API token for eccd's tokens file.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create API tokens for eccd (http.tokens_file).",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token: print it once, append its SHA-256 to the tokens file.",
            discussion: """
                The token is printed once and never stored; the tokens file keeps only its SHA-256, the principal
                and the role. The file is created with mode 0600 (0640 root:ecc also works); eccd refuses one that
                others may read. eccd reads the file at start and on SIGHUP. Save the token where eccctl reads it:
                  eccctl token create --principal alice --role operator --file /etc/ecc/tokens > ~/.ecc-token
                  chmod 600 ~/.ecc-token; export ECC_TOKEN_FILE=~/.ecc-token
                """)

        @Option(help: "Who the token stands for; recorded in every journal entry it makes.") var principal: String
        @Option(help: "viewer (read), operator (work incidents, send events) or admin (everything).") var role: String
        @Option(help: "The tokens file eccd reads (http.tokens_file).") var file: String

        func run() async throws {
            try await cli {
                guard Principal.isValidName(principal) else {
                    throw CLIError("--principal: 1 to 64 letters, digits and . _ @ -")
                }
                guard let r = Role(name: role) else { throw CLIError("--role must be viewer, operator or admin") }
                do throws(CredentialFileError) {
                    let token = try TokenDigest.newToken()
                    try TokenFile.append(
                        .init(hash: TokenDigest.sha256Hex(token), principal: principal, role: r), to: file)
                    print(token)
                    printError("eccctl: token for \(principal) (\(r.name)) added to \(file); it is shown only once")
                } catch {
                    throw CLIError(error.description)
                }
            }
        }
    }
}

/// Reads a token file (the token on its first line), refusing one that others may read, as ssh does.
func readToken(_ path: String) throws(CLIError) -> String {
    do { try TokenFile.checkPermissions(path) } catch { throw CLIError("token file \(error.description)") }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
        let line = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
        !line.isEmpty
    else { throw CLIError("token file \(path): empty or unreadable") }
    return line
}
