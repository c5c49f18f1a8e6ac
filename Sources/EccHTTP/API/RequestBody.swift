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
        do {
            return .success(
                try JSONDecoder().decode(T.self, from: raw.readableBytes == 0 ? Data("{}".utf8) : Data(buffer: raw)))
        } catch let error as DecodingError {
            return .failure(BadBody(response: refusal(error)))
        } catch {
            return .failure(BadBody(response: Responses.error(.badRequest, "the body must be a JSON object")))
        }
    }

    /// A 400 for a body that did not decode, naming the field (`items[2].name`) and what it must be.
    static func refusal(_ error: DecodingError) -> Response {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let i = key.intValue { return text + "[\(i)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Bool.Type: "true or false"
            case is Int.Type, is Int64.Type: "a whole number"
            case is Double.Type: "a number"
            default: type is any Collection.Type ? "a list" : "an object"
            }
        }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            guard !field.isEmpty else { return Responses.error(.badRequest, "the body must be a JSON object") }
            return Responses.error(.badRequest, "\(field) must be \(kind(type))", field: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return Responses.error(.badRequest, "give \(field)", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            guard !field.isEmpty else { return Responses.error(.badRequest, "the body must be a JSON object") }
            return Responses.error(.badRequest, "\(field): \(context.debugDescription)", field: field)
        @unknown default:
            return Responses.error(.badRequest, "the body must be a JSON object")
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
