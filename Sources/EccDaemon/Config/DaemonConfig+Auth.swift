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
        /// `http.tls.cert_file` and `http.tls.key_file` (PEM): HTTPS instead of HTTP when set.
        public var tlsCertFile: String?
        public var tlsKeyFile: String?

        public init() {}
    }

    /// The `http:` keys of ``HTTPAuthSettings``.
    static let httpAuthKeys = ["tokens_file", "allowed_origins", "tls"]

    static func httpAuthSettings(_ m: YAMLMapping, into c: inout DaemonConfig) throws(ConfigError) {
        if let f = m["tokens_file"] { c.httpAuth.tokensFile = try f.string("http.tokens_file") }
        if let t = m["tls"] {
            let tls = try t.mapping("http.tls", known: ["cert_file", "key_file"])
            guard let cert = tls["cert_file"], let key = tls["key_file"] else {
                throw t.error("http.tls needs cert_file and key_file (PEM)")
            }
            c.httpAuth.tlsCertFile = try cert.string("http.tls.cert_file")
            c.httpAuth.tlsKeyFile = try key.string("http.tls.key_file")
        }
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

    /// The API's certificate and key (nil: plain HTTP), read and checked as eccd starts with them.
    public func apiTLS() throws(ConfigError) -> TLSCertificates? {
        guard let cert = httpAuth.tlsCertFile, let key = httpAuth.tlsKeyFile else { return nil }
        do { return try TLSCertificates(certFile: cert, keyFile: key) } catch {
            throw ConfigError("http.tls: \(error.description)", file: "the configuration")
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
