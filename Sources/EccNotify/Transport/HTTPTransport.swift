import EccCore
import Foundation

/// One HTTP(S) request with libcurl. Blocking; safe to call from several threads at once.
package struct HTTPTransport: Sendable {
    /// A CA bundle for the server's certificate (nil = the system's).
    package var caFile: String?
    /// Verify the server's certificate and name.
    package var verify: Bool
    /// Connect timeout in nanoseconds.
    package var connectTimeout: Int64
    /// Whole-request timeout in nanoseconds.
    package var timeout: Int64

    package init(
        caFile: String? = nil, verify: Bool = true, connectTimeout: Int64 = 10_000_000_000,
        timeout: Int64 = 30_000_000_000
    ) {
        self.caFile = caFile
        self.verify = verify
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// What the server answered.
    package struct Response: Sendable, Hashable {
        package var status: Int
        /// Headers of the final response in order (names as sent).
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]

        package init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The body as UTF-8 text (invalid bytes replaced).
        package var text: String { String(decoding: body, as: UTF8.self) }

        /// The first header called `name` (case-insensitive).
        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        package static func == (a: Response, b: Response) -> Bool {
            a.status == b.status && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name)
                && a.headers.map(\.value) == b.headers.map(\.value)
        }

        package func hash(into h: inout Hasher) {
            h.combine(status)
            h.combine(body)
        }
    }

    /// Why no response came.
    package struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Retrying cannot help (malformed URL, a scheme other than http/https).
        package var permanent: Bool
        package var description: String
    }

    /// Sends one request; a response with any status is a success here (see ``classify(_:)``).
    package func request(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil
    ) -> Result<Response, Failure> {
        guard let t = CurlTransfer() else {
            return .failure(Failure(permanent: false, description: "libcurl could not make a transfer handle"))
        }
        t.url(url)
        t.protocols("http,https")
        t.method(method)
        for h in headers { t.header("\(h.name): \(h.value)") }
        // No "Expect: 100-continue" round trip for bodies over 1 KiB.
        t.header("Expect:")
        if let body { t.body(body) }
        t.tls(caFile: caFile, verify: verify)
        t.timeouts(connect: connectTimeout, total: timeout)
        let r = t.perform()
        guard r.failure == .none else {
            return .failure(
                Failure(permanent: r.failure == .badRequest, description: "\(Self.redacted(url)): \(r.curlDescription)")
            )
        }
        return .success(Response(status: r.responseCode, headers: Self.parseHeaders(r.rawHeaders), body: r.body))
    }

    /// Headers of the last response in `raw` (libcurl passes those of every response, e.g. after a 100).
    static func parseHeaders(_ raw: String) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        for l in raw.split(whereSeparator: \.isNewline) {
            if l.hasPrefix("HTTP/") {
                out.removeAll()
                continue
            }
            guard let colon = l.firstIndex(of: ":") else { continue }
            let name = String(l[..<colon])
            let value = l[l.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            out.append((name, String(value)))
        }
        return out
    }

    /// 2xx delivered; 408, 425, 429 and 5xx temporary; other statuses permanent; transport failures
    /// temporary unless retrying cannot help. `what` names the service for the message.
    package static func classify(_ result: Result<Response, Failure>, what: String = "HTTP") -> DeliveryResult {
        switch result {
        case .failure(let f): return f.permanent ? .permanent(f.description) : .temporary(f.description)
        case .success(let r): return classify(status: r.status, body: r.text, what: what)
        }
    }

    /// The status-based classification, with the body's start in the detail.
    package static func classify(status: Int, body: String, what: String = "HTTP") -> DeliveryResult {
        let detail = "\(what) \(status)" + (body.isEmpty ? "" : ": " + excerpt(body))
        switch status {
        case 200..<300: return .delivered(detail: detail)
        case 408, 425, 429, 500..<600: return .temporary(detail)
        default: return .permanent(detail)
        }
    }

    /// The start of a body on one line, for messages and logs.
    package static func excerpt(_ body: String, limit: Int = 200) -> String {
        let flat = body.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }

    /// The URL as logs and the outbox show it: scheme, host and port only. Kannel's sendsms takes its
    /// password as a query parameter, webhook URLs often carry a token in the path, and an SMTP URL may
    /// hold user and password: none of it may reach a log line or `eccctl notify queue`.
    package static func redacted(_ url: String) -> String {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return "(a URL)" }
        let port = c.port.map { ":\($0)" } ?? ""
        let rest = (c.path.isEmpty || c.path == "/") && c.query == nil ? "" : "/…"
        return "\(scheme)://\(host)\(port)\(rest)"
    }
}
