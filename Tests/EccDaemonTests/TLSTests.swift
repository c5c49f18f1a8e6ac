import EccAuth
import EccClient
import EccConfig
import EccDaemon
import EccTestSupport
import Foundation
import Testing

/// Makes a self-signed certificate for 127.0.0.1 and localhost with the real `openssl` command.
func makeCertificate(in dir: String, name: String, commonName: String) throws -> (cert: String, key: String) {
    let cert = dir + "/\(name).pem"
    let key = dir + "/\(name).key"
    try openssl([
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
        cert, "-days", "2", "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ])
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
    return (cert, key)
}

@Suite(
    "HTTPS API", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"),
    .serialized)
struct TLSTests {
    @Test("HTTPS with a certificate made by openssl; eccctl's client verifies it; SIGHUP serves a renewed one")
    func httpsAndReload() async throws {
        let dir = try TestDaemon.makeDir(rules: incidentRules)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try makeCertificate(in: dir, name: "first", commonName: "eccd first")
        let second = try makeCertificate(in: dir, name: "second", commonName: "eccd second")
        let live = (cert: dir + "/server.pem", key: dir + "/server.key")
        try FileManager.default.copyItem(atPath: first.cert, toPath: live.cert)
        try FileManager.default.copyItem(atPath: first.key, toPath: live.key)
        let d = try await TestDaemon(dir: dir) { c in
            c.http.auth.tls = .init(certFile: live.cert, keyFile: live.key)
        }
        let port = d.daemon.httpPort ?? 0
        // TestDaemon's own client speaks plain HTTP: eccd answers no HTTP there.
        #expect(await (try? d.client.request(.GET, "/healthz"))?.status != 200)

        let trustsFirst = try DaemonClient(server: "https://127.0.0.1:\(port)", caFile: first.cert)
        let trustsSecond = try DaemonClient(server: "https://127.0.0.1:\(port)", caFile: second.cert)
        let byName = try DaemonClient(server: "https://localhost:\(port)", caFile: first.cert)
        #expect(try await trustsFirst.request(.GET, "/healthz").status == 200)
        #expect(try await byName.request(.GET, "/v1/status").status == 200)
        // Verification is real: a client that trusts another certificate refuses this one.
        await #expect(throws: CLIError.self) { _ = try await trustsSecond.request(.GET, "/healthz") }
        // The system's CAs do not know a self-signed certificate either.
        let systemRoots = try DaemonClient(server: "https://127.0.0.1:\(port)")
        await #expect(throws: CLIError.self) { _ = try await systemRoots.request(.GET, "/healthz") }

        // Renewal: new files in place, SIGHUP's reload, and the next connection gets the new certificate.
        try FileManager.default.removeItem(atPath: live.cert)
        try FileManager.default.removeItem(atPath: live.key)
        try FileManager.default.copyItem(atPath: second.cert, toPath: live.cert)
        try FileManager.default.copyItem(atPath: second.key, toPath: live.key)
        #expect(d.daemon.reloadCredentials())
        #expect(try await trustsSecond.request(.GET, "/healthz").status == 200)
        await #expect(throws: CLIError.self) { _ = try await trustsFirst.request(.GET, "/healthz") }

        // A key that does not match the certificate is refused; the pair in force stays.
        try FileManager.default.removeItem(atPath: live.key)
        try FileManager.default.copyItem(atPath: first.key, toPath: live.key)
        #expect(d.daemon.reloadCredentials() == false)
        #expect(try await trustsSecond.request(.GET, "/healthz").status == 200)
        try await d.stop()
    }

    @Test("a key file others can read, or a key for another certificate, refuses the start")
    func badFilesRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try makeCertificate(in: dir, name: "a", commonName: "a")
        let b = try makeCertificate(in: dir, name: "b", commonName: "b")
        var config = DaemonConfig()
        config.http.auth.tls = .init(certFile: a.cert, keyFile: a.key)
        #expect(try config.apiTLS() != nil)
        config.http.auth.tls?.keyFile = b.key
        #expect(throws: (any Error).self) { _ = try config.apiTLS() }
        config.http.auth.tls?.keyFile = a.key
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: a.key)
        #expect(throws: (any Error).self) { _ = try config.apiTLS() }
        let parsed = try DaemonConfig.parse(
            "http: {listen: \"127.0.0.1:8470\", tls: {cert_file: /c.pem, key_file: /k.pem}}", file: "e.yaml")
        #expect(parsed.http.auth.tls == .init(certFile: "/c.pem", keyFile: "/k.pem"))
        #expect(throws: (any Error).self) {
            _ = try DaemonConfig.parse("http: {tls: {cert_file: /c.pem}}", file: "e.yaml")
        }
    }
}

/// A certificate authority made with the real `openssl`, for certificates it signs (``signedCertificate``).
func makeCertificateAuthority(in dir: String) throws -> (cert: String, key: String) {
    let (cert, key) = (dir + "/ca.pem", dir + "/ca.key")
    try openssl([
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
        "-days", "2", "-subj", "/CN=ECC test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])
    return (cert, key)
}

/// A certificate for 127.0.0.1 and localhost signed by `ca`, good for a server and a client.
func signedCertificate(in dir: String, ca: (cert: String, key: String), name: String, commonName: String) throws
    -> (cert: String, key: String)
{
    let (cert, key, request) = (dir + "/\(name).pem", dir + "/\(name).key", dir + "/\(name).csr")
    try openssl([
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request,
        "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext",
        "extendedKeyUsage=serverAuth,clientAuth",
    ])
    try openssl([
        "x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert, "-days",
        "2", "-copy_extensions", "copy",
    ])
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
    return (cert, key)
}

private func openssl(_ arguments: [String]) throws {
    let (status, output) = try ChildProcess.run("/usr/bin/openssl", arguments)
    guard status == 0 else { throw CLIError("openssl \(arguments[0]) failed (\(status)):\n\(output)") }
}
