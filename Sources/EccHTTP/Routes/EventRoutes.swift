import EccBus
import EccCore
import Hummingbird

/// `POST /v1/events`: one event object or an array of them. With API tokens each event's `sender` attribute
/// is the token's principal.
///
/// The response comes after every event is on the bus: `202 {"accepted": n}` means accepted, which is
/// what a graceful shutdown promises to keep. Any invalid event refuses the whole request with 400,
/// naming the event and the field, so a client can fix and resend without duplicates.
enum EventRoutes {
    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        router.post("/v1/events") { request, context -> Response in
            let body: ByteBuffer
            switch await RequestBody.collect(request, limit: deps.maxBodyBytes, deps) {
            case .success(let b): body = b
            case .failure(let refusal): return refusal.response
            }
            let now = deps.clock.now()
            let decoded: Result<[Event], EventDecodingError> = body.withUnsafeReadableBytes { raw in
                do throws(EventDecodingError) {
                    return .success(try JSONEventDecoder.decodeEvents(raw, receivedAt: now, limits: deps.input))
                } catch { return .failure(error) }
            }
            let events: [Event]
            switch decoded {
            case .success(let e): events = e
            case .failure(let e):
                deps.edge.reporter.report(
                    "bad events refused", peer: "http", detail: e.description, reason: e.reason)
                return Responses.error(.badRequest, e.description, field: e.field, index: e.index, offset: e.offset)
            }
            if deps.ring.isClosed { return Responses.error(.serviceUnavailable, "eccd is shutting down") }
            let producer = Producer(ring: deps.ring, policy: .wait, stats: deps.httpStats, batchSize: 1024)
            // With tokens, who sent it is known: the principal, in the attribute `sender` (replacing any the event
            // carried, so it cannot be claimed).
            let sender = context.principal.flatMap { $0.authenticated ? AttributeValue.string($0.name) : nil }
            for var e in events {
                if let sender { e.attributes["sender"] = sender }
                producer.append(e)
            }
            await producer.flushAsync()
            var w = JSONWriter()
            w.beginObject()
            w.field("accepted", Int64(events.count))
            w.endObject()
            return Responses.json(w.bytes, status: .accepted)
        }
    }
}
