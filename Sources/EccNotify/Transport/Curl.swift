import CCurl

/// One libcurl transfer through the CCurl shim: set up, performed once, then read. Not shared between
/// threads; every call of a transport makes its own.
final class CurlTransfer {
    private let handle: OpaquePointer

    /// Nil when libcurl cannot make a handle (its global init failed, or out of memory).
    init?() {
        guard let h = ecc_curl_new() else { return nil }
        handle = h
    }

    deinit { ecc_curl_free(handle) }

    /// libcurl's version, for logs.
    static var version: String { String(cString: ecc_curl_version()) }

    func url(_ s: String) { ecc_curl_set_url(handle, s) }
    func protocols(_ s: String) { ecc_curl_set_protocols(handle, s) }
    func method(_ s: String) { ecc_curl_set_method(handle, s) }
    func header(_ line: String) { ecc_curl_add_header(handle, line) }
    func body(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { ecc_curl_set_body(handle, $0.baseAddress, $0.count) }
    }
    func upload(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { ecc_curl_set_upload(handle, $0.baseAddress, $0.count) }
    }
    func mailFrom(_ s: String) { ecc_curl_set_mail_from(handle, s) }
    func recipient(_ s: String) { ecc_curl_add_rcpt(handle, s) }
    func useSSL(_ level: Int32) { ecc_curl_set_use_ssl(handle, level) }

    func login(user: String, password: String, options: String?) {
        if let options {
            ecc_curl_set_login(handle, user, password, options)
        } else {
            ecc_curl_set_login(handle, user, password, nil)
        }
    }

    func tls(caFile: String?, verify: Bool) {
        if let caFile {
            ecc_curl_set_tls(handle, caFile, verify ? 1 : 0)
        } else {
            ecc_curl_set_tls(handle, nil, verify ? 1 : 0)
        }
    }

    /// Timeouts in nanoseconds (0 = libcurl's default).
    func timeouts(connect: Int64, total: Int64) {
        ecc_curl_set_timeouts(handle, Int(connect / 1_000_000), Int(total / 1_000_000))
    }

    /// Runs the transfer; the result describes both what libcurl and what the server said.
    func perform() -> CurlResult {
        let code = ecc_curl_perform(handle)
        var bodyLength = 0
        let bodyPointer = ecc_curl_body(handle, &bodyLength)
        let body = bodyPointer.map { Array(UnsafeBufferPointer(start: $0, count: bodyLength)) } ?? []
        var headLength = 0
        let headPointer = ecc_curl_headers(handle, &headLength)
        let head =
            headPointer.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: headLength), as: UTF8.self)
            } ?? ""
        let failure = CurlResult.Failure(rawValue: ecc_curl_failure_kind(code)) ?? .other
        return CurlResult(
            code: code, failure: failure, responseCode: ecc_curl_response_code(handle),
            errorText: String(cString: ecc_curl_error_text(handle)), body: body, rawHeaders: head)
    }
}

/// What one transfer ended with.
struct CurlResult {
    /// The shim's grouping of CURLcodes (`enum ecc_curl_failure`).
    enum Failure: Int32 {
        case none = 0
        case connect = 1
        case timeout = 2
        case io = 3
        case tls = 4
        case loginDenied = 5
        case badRequest = 6
        case other = 7
    }

    var code: Int32
    var failure: Failure
    /// HTTP status or the last SMTP reply code; 0 when none came.
    var responseCode: Int
    var errorText: String
    var body: [UInt8]
    /// Header lines as received (for SMTP: every reply line of the dialogue).
    var rawHeaders: String

    /// `curl error 7 (…)` for messages.
    var curlDescription: String { "curl error \(code): \(errorText)" }
}
