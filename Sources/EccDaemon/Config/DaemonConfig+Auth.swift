import EccAuth
import EccHTTP
import EccRules

extension DaemonConfig {
    /// The API's credentials: `http.tokens_file` and `http.allowed_origins`.
    public struct HTTPAuthSettings: Sendable, Equatable {
        /// The hashed tokens file (`eccctl token create`); nil: no tokens, allowed on loopback only.
        public var tokensFile: String?
        /// Browser origins besides eccd's own that may call the API (`https://console.example.net`).
        public var allowedOrigins: [String] = []

        public init() {}
    }

    /// The `http:` keys of ``HTTPAuthSettings``.
    static let httpAuthKeys = ["tokens_file", "allowed_origins"]

    static func httpAuthSettings(_ m: YAMLMapping, into c: inout DaemonConfig) throws(ConfigError) {
        if let f = m["tokens_file"] { c.httpAuth.tokensFile = try f.string("http.tokens_file") }
        if let list = m["allowed_origins"] {
            c.httpAuth.allowedOrigins = try list.list("http.allowed_origins").map { v throws(ConfigError) in
                let o = try v.string("an origin")
                guard o.hasPrefix("http://") || o.hasPrefix("https://"), !o.dropFirst(8).contains("/") else {
                    throw v.error("an origin is scheme://host[:port] with no path, e.g. https://console.example.net")
                }
                return o
            }
        }
    }

    /// The API's access policy, as eccd starts with it and `eccd --check-config` checks it: the tokens file
    /// read (and its permissions checked), and a listener off loopback refused when there are no tokens.
    public func apiAccess() throws(ConfigError) -> APIAccess {
        guard let path = httpAuth.tokensFile else {
            guard ListenAddress.isLoopback(httpHost) else {
                throw ConfigError(
                    "http.listen is \(httpHost):\(httpPort), off loopback, but no http.tokens_file is set: "
                        + "anyone who can reach it could act. Create a token with "
                        + "`eccctl token create --principal NAME --role admin --file /etc/ecc/tokens`, "
                        + "set http.tokens_file: /etc/ecc/tokens, or listen on 127.0.0.1",
                    file: "the configuration")
            }
            return .open
        }
        do {
            return APIAccess(tokens: try TokenFile.load(path: path), allowedOrigins: httpAuth.allowedOrigins)
        } catch {
            throw ConfigError("http.tokens_file: \(error.description)", file: "the configuration")
        }
    }
}
