import EccAuth
import EccHTTP
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the API tokens file (the TCP collector's tokens too) and the TLS certificates and keys (API, TCP
/// collector) on SIGHUP, alongside the rules: good files replace what is in force at once (the next
/// handshake gets the new certificate, the next connection is checked against the new tokens); a file that
/// is unreadable, too open or malformed is refused and what is in force stays.
struct CredentialReloadService: Service {
    let access: APIAccess
    let tokensFile: String?
    let certificates: [TLSCertificates]
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals { reload() }
        }
    }

    /// Reloads now; returns whether everything configured was reloaded.
    @discardableResult
    func reload() -> Bool {
        var ok = true
        if let tokensFile, access.requiresTokens {
            do {
                let file = try TokenFile.load(path: tokensFile)
                access.replaceTokens(file)
                logger.notice("API tokens reloaded", metadata: ["ecc.tokens": "\(file.entries.count)"])
            } catch {
                ok = false
                logger.error(
                    "API tokens file refused; the tokens in force stay", metadata: ["ecc.error": "\(error.description)"]
                )
            }
        }
        for tls in certificates {
            do {
                try tls.reload()
                logger.notice("TLS certificate reloaded", metadata: ["ecc.certificate": "\(tls.certFile)"])
            } catch {
                ok = false
                logger.error(
                    "TLS certificate or key refused; the ones in force stay",
                    metadata: ["ecc.error": "\(error.description)"])
            }
        }
        return ok
    }
}
