import EccAPI
import EccCore
import EccStore
import Foundation
import Hummingbird
import NIOPosix

/// The notification outbox: `GET /v1/notify/queue`, `GET /v1/notify/receivers`, `POST /v1/notify/test`.
enum NotifyRoutes {

    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        router.get("/v1/notify/queue") { request, _ -> Response in
            guard let n = deps.notify else { return off(deps) }
            let q = request.uri.queryParameters
            let text = q.get("state") ?? "pending,retrying,held,failed"
            var wanted: [MessageState] = []
            for name in text == "all" ? [] : text.split(separator: ",") {
                guard let state = MessageState(rawValue: String(name)) else {
                    let known = MessageState.allCases.map(\.rawValue).joined(separator: ", ")
                    return Responses.error(
                        .badRequest, "unknown state '\(name)' (states: \(known), or all)", field: "state")
                }
                wanted.append(state)
            }
            guard let limit = QueryRoutes.parseLimit(q.get("limit") ?? "100") else {
                return Responses.error(.badRequest, "limit must be a positive whole number", field: "limit")
            }
            do {
                let receiver = q.get("receiver")
                let list = try await NIOThreadPool.singleton.runIfActive { [wanted] in
                    try n.queue(wanted, receiver, limit)
                }
                return Responses.encoded(list)
            } catch {
                return Responses.error(.internalServerError, "store: \(error)")
            }
        }
        // Kannel's dlr-url: `.../v1/notify/dlr?id={{id}}&status=%d&to=%p&answer=%A`, to which eccd appends
        // `&secret=` (the receiver's dlr_secret). Kannel can only GET and send no token: the secret is the
        // credential, checked against the message's own receiver.
        router.get("/v1/notify/dlr") { request, _ -> Response in
            guard let n = deps.notify else { return off(deps) }
            let q = request.uri.queryParameters
            guard let id = q.get("id"), !id.isEmpty, let status = q.get("status").flatMap({ Int($0) }) else {
                return Responses.error(.badRequest, "give id and a numeric status (Kannel: status=%d)", field: "status")
            }
            switch await n.report(id, status, q.get("to"), q.get("answer"), q.get("secret")) {
            case .recorded: return Responses.text(Array("ok\n".utf8), contentType: "text/plain")
            case .unknownMessage: return Responses.error(.notFound, "no notification \(id)", field: "id")
            case .badSecret:
                deps.access.count(.badSecret)
                return Responses.error(.forbidden, "missing or wrong secret for this receiver", field: "secret")
            }
        }
        router.get("/v1/notify/receivers") { _, _ -> Response in
            guard let n = deps.notify else { return off(deps) }
            return Responses.encoded(n.receivers())
        }
        router.post("/v1/notify/test") { request, context -> Response in
            guard let n = deps.notify else { return off(deps) }
            let body: NotifyTestRequest
            switch await RequestBody.decode(NotifyTestRequest.self, from: request, limit: 64 << 10, deps) {
            case .success(let b): body = b
            case .failure(let refusal): return refusal.response
            }
            guard let receiver = body.receiver, !receiver.isEmpty else {
                return Responses.error(.badRequest, "send {\"receiver\": \"NAME\"}", field: "receiver")
            }
            let wait = body.waitSeconds.map { max(0, min($0, 300)) } ?? 60
            let result: NotificationView?
            do { result = try await n.test(receiver, .seconds(wait)) } catch {
                return Responses.error(.serviceUnavailable, "\(error)")
            }
            guard let result else {
                return Responses.error(.notFound, "no receiver named '\(receiver)' in eccd.yaml", field: "receiver")
            }
            return Responses.encoded(result)
        }
    }

    static func off(_ deps: APIDependencies) -> Response {
        Responses.error(
            .serviceUnavailable,
            deps.readOnly == nil
                ? "notifications are off: eccd's configuration has no notify section (see docs/configuration.md#notify)"
                : "a read-only view has no notification queue: a replay routes alarms but sends nothing "
                    + "(its summary says who would have been paged)")
    }
}
