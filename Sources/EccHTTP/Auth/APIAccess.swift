import EccAuth
import Synchronization

/// Who may use the API: the tokens (or, on loopback only, nobody needs one) and the browser origins allowed.
package final class APIAccess: Sendable {
    /// Why a request was refused before its handler ran (the `reason` label of
    /// `ecc_http_refused_total`).
    package enum Refusal: String, Sendable, CaseIterable {
        /// No `Authorization: Bearer` header on a route that needs a token.
        case missingToken = "missing_token"
        /// A token no tokens-file line matches.
        case badToken = "bad_token"
        /// A valid token whose role is below the route's.
        case role
        /// An `Origin` header that is not eccd's own address nor in `http.allowed_origins`.
        case foreignOrigin = "foreign_origin"
        /// Tokenless mode: a `Host` header that is not a loopback name (DNS rebinding).
        case foreignHost = "foreign_host"
        /// A route the access table does not list.
        case unlistedRoute = "unlisted_route"
        /// A Kannel delivery report without the receiver's secret.
        case badSecret = "bad_secret"
    }

    /// The tokens in force; nil: tokenless loopback mode (every caller is an unauthenticated admin and names
    /// itself in the request body).
    private let tokens: Mutex<TokenFile?>
    /// Extra origins a browser may send requests from (`https://console.example.net`).
    package let allowedOrigins: Set<String>
    private let refusals = Mutex<[Refusal: Int]>([:])

    package init(tokens: TokenFile?, allowedOrigins: [String] = []) {
        self.tokens = Mutex(tokens)
        self.allowedOrigins = Set(allowedOrigins)
    }

    /// Tokenless loopback mode.
    package static var open: APIAccess { APIAccess(tokens: nil) }

    /// Whether requests need tokens.
    package var requiresTokens: Bool { tokens.withLock { $0 != nil } }

    /// Who a presented token stands for.
    package func principal(forToken token: String) -> Principal? {
        tokens.withLock { $0?.principal(forToken: token) }
    }

    /// Replaces the tokens (SIGHUP). Tokenless mode stays tokenless and a token mode never becomes tokenless.
    package func replaceTokens(_ file: TokenFile) {
        tokens.withLock { if $0 != nil { $0 = file } }
    }

    func count(_ r: Refusal) { refusals.withLock { $0[r, default: 0] += 1 } }

    /// Refusals so far, by reason (every reason, zeros included).
    package var refusalCounts: [(Refusal, Int)] {
        let now = refusals.withLock { $0 }
        return Refusal.allCases.map { ($0, now[$0] ?? 0) }
    }
}
