import EccAPI
import EccCore
import Foundation
import Hummingbird
import NIOCore

/// Reads request bodies within the API's bounds: a declared `Content-Length` over the limit is refused
/// with 413 before a byte is read, and a body that grows past it with 413 when it does; either way the
/// connection is closed after the answer. Each refusal is counted
/// (`ecc_input_refused_total{collector="http",reason="body_size"}`). A body that does not arrive whole
/// within `http.body_timeout` is cut off by ``HTTPEdgeHandler``.
enum RequestBody {
    /// The body, or the response refusing it.
    static func collect(_ request: Request, limit: Int, _ deps: APIDependencies) async -> Result<ByteBuffer, BadBody> {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            deps.edge.reporter.report(
                "request body refused", peer: "http", detail: "Content-Length \(declared) over \(limit)",
                reason: .bodySize)
            return .failure(BadBody(response: tooLarge(limit)))
        }
        do {
            return .success(try await request.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            deps.edge.reporter.report(
                "request body refused", peer: "http", detail: "body over \(limit) bytes", reason: .bodySize)
            return .failure(BadBody(response: tooLarge(limit)))
        } catch {
            // The client went away or the connection was closed (by the body timeout): nobody to answer.
            var r = Responses.error(.badRequest, "request body not received: \(error)")
            r.headers[.connection] = "close"
            return .failure(BadBody(response: r))
        }
    }

    /// The body decoded as `T` (an empty body is `{}`; fields are those of EccAPI's request types), or a 400
    /// naming the field that is wrong.
    static func decode<T: Decodable>(
        _: T.Type, from request: Request, limit: Int = 1 << 20, _ deps: APIDependencies
    ) async -> Result<T, BadBody> {
        let raw: ByteBuffer
        switch await collect(request, limit: limit, deps) {
        case .success(let b): raw = b
        case .failure(let refusal): return .failure(refusal)
        }
        let body = raw.readableBytes == 0 ? Data() : Data(buffer: raw)
        return APIJSON.decodeRequest(T.self, from: body).mapError { refusal in
            BadBody(response: Responses.error(.badRequest, refusal.message, field: refusal.field))
        }
    }

    private static func tooLarge(_ limit: Int) -> Response {
        var r = Responses.error(.contentTooLarge, "request body larger than \(limit) bytes")
        r.headers[.connection] = "close"
        return r
    }
}

/// A request refused before its route ran, with the answer to send.
struct BadBody: Error {
    let response: Response
}
