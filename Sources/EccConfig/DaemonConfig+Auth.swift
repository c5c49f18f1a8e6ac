import EccAuth
import EccHTTP
import EccRules
import EccYAML

extension DaemonConfig {
    /// The API's credentials: `http.tokens_file` and `http.allowed_origins`.
    package struct HTTPAuthSettings: Sendable, Equatable {
        /// The hashed tokens file (`eccctl token create`); nil: no tokens, allowed on loopback only.
        package var tokensFile: String?
        /// Browser origins besides eccd's own that may call the API (`https://console.example.net`).
        package var allowedOrigins: [String] = []
        /// `http.tls`: HTTPS instead of HTTP when set.
        package var tls: TLSFiles?

        package init() {}
    }

    /// A listener's certificate and key (`cert_file`, `key_file`, PEM), read at start and on SIGHUP; where
    /// allowed, `client_ca_file`: clients must show a certificate signed by it.
    package struct TLSFiles: Sendable, Equatable {
        package var certFile: String
        package var keyFile: String
        package var clientCAFile: String?

        package init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }

        /// Reads and checks the files, as eccd starts with them; `section` (`http.tls`) names them in errors.
        func load(_ section: String) throws(ConfigError) -> TLSCertificates {
            do {
                return try TLSCertificates(certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile)
            } catch {
                throw ConfigError("\(section): \(error.description)", file: "the configuration")
            }
        }

        /// The `tls:` mapping of `section`; `more` are the section's other keys (`listen`), and
        /// `clientCertificates` whether it may name a client CA.
        static func parse(_ v: YAMLValue, _ section: String, more: [String] = [], clientCertificates: Bool = false)
            throws(ConfigError) -> TLSFiles
        {
            let tls = try v.mapping(
                section, known: ["cert_file", "key_file"] + (clientCertificates ? ["client_ca_file"] : []) + more)
            guard let cert = tls["cert_file"], let key = tls["key_file"] else {
                throw v.error("\(section) needs cert_file and key_file (PEM)")
            }
            return TLSFiles(
                certFile: try cert.string("\(section).cert_file"), keyFile: try key.string("\(section).key_file"),
                clientCAFile: try tls["client_ca_file"]?.string("\(section).client_ca_file"))
        }
    }

    /// The `http:` keys of ``HTTPAuthSettings``.
    static let httpAuthKeys = ["tokens_file", "allowed_origins", "tls"]

    static func httpAuthSettings(_ m: YAMLMapping, into c: inout DaemonConfig) throws(ConfigError) {
        if let f = m["tokens_file"] { c.http.auth.tokensFile = try f.string("http.tokens_file") }
        if let t = m["tls"] { c.http.auth.tls = try TLSFiles.parse(t, "http.tls") }
        if let list = m["allowed_origins"] {
            c.http.auth.allowedOrigins = try list.list("http.allowed_origins").map { v throws(ConfigError) in
                let o = try v.string("an origin")
                guard o.hasPrefix("http://") || o.hasPrefix("https://"), !o.dropFirst(8).contains("/") else {
                    throw v.error("an origin is scheme://host[:port] with no path, e.g. https://console.example.net")
                }
                return o
            }
        }
    }

    /// The API's certificate and key (nil: plain HTTP), read and checked as eccd starts with them.
    package func apiTLS() throws(ConfigError) -> TLSCertificates? {
        try http.auth.tls?.load("http.tls")
    }

    /// The JSON-lines collector's certificate and key (nil: plain TCP).
    package func tcpCertificates() throws(ConfigError) -> TLSCertificates? {
        guard tcp.enabled else { return nil }
        return try tcp.tls?.load("tcp.tls")
    }

    /// The syslog TLS listener's certificate, key and client CA (nil: no TLS listener).
    package func syslogCertificates() throws(ConfigError) -> TLSCertificates? {
        guard syslog.enabled else { return nil }
        return try syslog.tls?.files.load("syslog.tls")
    }

    /// The API's access policy, as eccd starts with it and `eccd --check-config` checks it: the tokens file
    /// read (and its permissions checked), and a listener off loopback refused when there are no tokens.
    package func apiAccess() throws(ConfigError) -> APIAccess {
        guard let path = http.auth.tokensFile else {
            guard ListenAddress.isLoopback(http.host) else {
                throw ConfigError(
                    "http.listen is \(http.host):\(http.port), off loopback, but no http.tokens_file is set: "
                        + "anyone who can reach it could act. Create a token with "
                        + "`eccctl token create --principal NAME --role admin --file /etc/ecc/tokens`, "
                        + "set http.tokens_file: /etc/ecc/tokens, or listen on 127.0.0.1",
                    file: "the configuration")
            }
            return .open
        }
        do {
            return APIAccess(tokens: try TokenFile.load(path: path), allowedOrigins: http.auth.allowedOrigins)
        } catch {
            throw ConfigError("http.tokens_file: \(error.description)", file: "the configuration")
        }
    }
}
