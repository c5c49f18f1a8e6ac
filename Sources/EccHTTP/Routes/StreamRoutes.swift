import EccCore
import Hummingbird

/// `GET /v1/stream`: live alarm changes as server-sent events, one JSON object per `data:` line.
///
/// Query filters: `severity` (that severity and above), `source` (exact). The stream ends when the
/// client goes away or eccd shuts down. A `: keepalive` comment is sent every 15 s. At most
/// `http.stream.max_subscribers` streams are open (503 past that); a client that falls more than
/// `http.stream.backlog` changes behind gets `event: overrun` and the stream ends (reconnect to go on).
enum StreamRoutes {
    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
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
            guard
                let stream = deps.alarms.subscribe(
                    bufferLimit: deps.streamBacklog, maxSubscribers: deps.streamMaxSubscribers,
                    onOverrun: {
                        deps.edge.reporter.report(
                            "stream subscriber dropped", peer: "http",
                            detail: "more than \(deps.streamBacklog) changes unread (http.stream.backlog)",
                            reason: .slowSubscriber)
                    })
            else {
                deps.edge.reporter.report(
                    "stream subscriber refused", peer: "http",
                    detail: "\(deps.streamMaxSubscribers) subscribers (http.stream.max_subscribers)",
                    reason: .subscribers)
                return Responses.error(
                    .serviceUnavailable,
                    "\(deps.streamMaxSubscribers) stream subscribers are connected, the most allowed "
                        + "(http.stream.max_subscribers)")
            }
            let body = ResponseBody { [minimum] writer in
                try await writer.write(ByteBuffer(string: ": eccd alarm stream\n\n"))
                reading: for await item in stream {
                    switch item {
                    case .values(let changes):
                        // One write for what one transaction committed.
                        var buffer = ByteBuffer()
                        for change in changes {
                            if let minimum, change.alarm.severity < minimum { continue }
                            if let source, change.alarm.source != source { continue }
                            var w = JSONWriter()
                            w.write(change)
                            buffer.writeString("data: ")
                            buffer.writeBytes(w.bytes)
                            buffer.writeString("\n\n")
                        }
                        if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    case .heartbeat:
                        // An SSE comment: keeps proxies from timing out and fails fast on a dead client.
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                    case .overrun:
                        // Reported when it happened (onOverrun); the client is told if it is still reading.
                        try await writer.write(
                            ByteBuffer(string: "event: overrun\ndata: {\"error\": \"too far behind; reconnect\"}\n\n"))
                        break reading
                    }
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
