import EccCore
import Hummingbird

/// Reads request bodies within the API's bounds: a declared `Content-Length` over the limit is refused
/// with 413 before a byte is read, a body that grows past it is refused when it does, and a body that has
/// not arrived within the body timeout is refused with 408 and the connection closed. Each refusal is
/// counted (`ecc_input_refused_total{collector="http"}`).
enum RequestBody {
    /// The body, or the response refusing it.
    static func collect(_ request: Request, limit: Int, _ deps: APIDependencies) async -> Result<ByteBuffer, BadBody> {
        let peer = "http"
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            deps.edge.reporter.report(
                "request body refused", peer: peer, detail: "Content-Length \(declared) over \(limit)",
                reason: .bodySize)
            return .failure(BadBody(response: tooLarge(limit)))
        }
        let timeout = deps.bodyTimeout
        let outcome: ByteBuffer?? = await withTaskGroup(of: ByteBuffer??.self) { group in
            group.addTask {
                do { return .some(try await request.body.collect(upTo: limit)) } catch { return .some(nil) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        switch outcome {
        case .some(.some(let body)): return .success(body)
        case .some(.none):
            deps.edge.reporter.report(
                "request body refused", peer: peer, detail: "body over \(limit) bytes", reason: .bodySize)
            return .failure(BadBody(response: tooLarge(limit)))
        case .none:
            deps.edge.reporter.report(
                "request body refused", peer: peer, detail: "body not received within \(timeout)",
                reason: .idleTimeout)
            var r = Responses.error(.requestTimeout, "request body not received within \(timeout)")
            r.headers[.connection] = "close"
            return .failure(BadBody(response: r))
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
