import EccCore
import Hummingbird

/// `GET /v1/stream`: live alarm changes as server-sent events, one JSON object per `data:` line.
///
/// Query filters: `severity` (that severity and above), `source` (exact). The stream ends when the
/// client goes away or eccd shuts down. A `: keepalive` comment is sent every 15 s.
enum StreamRoutes {
    static func add(to router: Router<BasicRequestContext>, _ deps: APIDependencies) {
        router.get("/v1/stream") { request, _ -> Response in
            let q = request.uri.queryParameters
            var minimum: Severity?
            if let s = q.get("severity") {
                guard let sev = Severity(name: s) else {
                    return Responses.error(
                        .badRequest, "unknown severity '\(s)' (expected \(Severity.namesForHelp))", field: "severity")
                }
                minimum = sev
            }
            let source = q.get("source")
            let stream = deps.alarms.subscribe()
            let body = ResponseBody { [minimum] writer in
                try await writer.write(ByteBuffer(string: ": eccd alarm stream\n\n"))
                for await item in stream {
                    guard case .value(let change) = item else {
                        // An SSE comment: keeps proxies from timing out and fails fast on a dead client.
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        continue
                    }
                    if let minimum, change.alarm.severity < minimum { continue }
                    if let source, change.alarm.source != source { continue }
                    var w = JSONWriter()
                    w.write(change)
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(w.bytes.count + 8)
                    buffer.writeString("data: ")
                    buffer.writeBytes(w.bytes)
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: body)
        }
    }
}
