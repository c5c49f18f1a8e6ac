import EccAuth
import EccHTTP
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the API tokens file on SIGHUP (alongside the rules): a new file replaces the tokens at once; a
/// file that is unreadable, too open or malformed is refused and the tokens in force stay.
struct CredentialReloadService: Service {
    let access: APIAccess
    let tokensFile: String?
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals { reload() }
        }
    }

    /// Reloads now; returns whether new tokens are in force.
    @discardableResult
    func reload() -> Bool {
        guard let tokensFile, access.requiresTokens else { return false }
        do {
            let file = try TokenFile.load(path: tokensFile)
            access.replaceTokens(file)
            logger.notice("API tokens reloaded", metadata: ["ecc.tokens": "\(file.entries.count)"])
            return true
        } catch {
            logger.error(
                "API tokens file refused; the tokens in force stay", metadata: ["ecc.error": "\(error.description)"])
            return false
        }
    }
}
