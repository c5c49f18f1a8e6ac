import NIOSSL
import Synchronization

/// A server certificate chain and its private key, read from PEM files and replaceable while serving.
///
/// Listeners built from ``serverConfiguration()`` ask for the current pair at every TLS handshake (through
/// swift-nio-ssl's `sslContextCallback`), so ``reload()`` on SIGHUP serves a renewed certificate to the next
/// connection without a restart; connections already open keep theirs.
package final class TLSCertificates: Sendable {
    package let certFile: String
    package let keyFile: String
    /// When set, clients must show a certificate signed by one of this file's CAs (read when a listener
    /// starts).
    package let clientCAFile: String?
    private let current: Mutex<Pair>

    struct Pair: Sendable {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    /// Reads the files; the key file must not be readable by others.
    package init(certFile: String, keyFile: String, clientCAFile: String? = nil) throws(CredentialFileError) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        if let clientCAFile {
            let cas: [NIOSSLCertificate]
            do { cas = try NIOSSLCertificate.fromPEMFile(clientCAFile) } catch {
                throw CredentialFileError("not a PEM certificate file (\(error))", file: clientCAFile)
            }
            guard !cas.isEmpty else { throw CredentialFileError("no CA certificate in the file", file: clientCAFile) }
        }
        current = Mutex(try Self.load(certFile: certFile, keyFile: keyFile))
    }

    /// Reads the files again and, when they are good, serves them from the next handshake on.
    package func reload() throws(CredentialFileError) {
        let pair = try Self.load(certFile: certFile, keyFile: keyFile)
        current.withLock { $0 = pair }
    }

    /// The subject of the first certificate in force (for logs).
    package var subject: String {
        current.withLock { p in p.chain.first.map { "\($0)" } ?? "" }
    }

    /// A TLS server configuration whose certificate is looked up at every handshake (and that asks for and
    /// verifies client certificates with ``clientCAFile``).
    package func serverConfiguration() -> TLSConfiguration {
        let pair = current.withLock { $0 }
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.chain.map { .certificate($0) }, privateKey: .privateKey(pair.key))
        c.minimumTLSVersion = .tlsv12
        if let clientCAFile {
            c.trustRoots = .file(clientCAFile)
            c.certificateVerification = .noHostnameVerification
        }
        c.sslContextCallback = { [self] _, promise in
            let now = current.withLock { $0 }
            var o = NIOSSLContextConfigurationOverride()
            o.certificateChain = now.chain.map { .certificate($0) }
            o.privateKey = .privateKey(now.key)
            promise.succeed(o)
        }
        return c
    }

    private static func load(certFile: String, keyFile: String) throws(CredentialFileError) -> Pair {
        try SecretFile.checkPermissions(keyFile)
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certFile) } catch {
            throw CredentialFileError("not a PEM certificate chain (\(error))", file: certFile)
        }
        guard !chain.isEmpty else { throw CredentialFileError("no certificate in the file", file: certFile) }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw CredentialFileError("not a PEM private key (\(error))", file: keyFile)
        }
        // A context is where BoringSSL checks that the key belongs to the certificate.
        do {
            _ = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
        } catch {
            throw CredentialFileError("the key does not go with \(certFile) (\(error))", file: keyFile)
        }
        return Pair(chain: chain, key: key)
    }
}
