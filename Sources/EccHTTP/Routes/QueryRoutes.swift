import EccAPI
import EccCore
import EccStore
import Hummingbird
import NIOPosix

/// Read-only routes: alarms, incidents, status, health, metrics.
enum QueryRoutes {
    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        router.get("/healthz") { _, _ -> Response in
            Responses.text(Array("ok\n".utf8), contentType: "text/plain")
        }
        // Ready to take events: 200 `ready`, or 503 with the reasons (a load balancer or systemd check
        // sends traffic elsewhere meanwhile).
        router.get("/readyz") { _, _ -> Response in
            let reasons = deps.notReady()
            guard !reasons.isEmpty else { return Responses.text(Array("ready\n".utf8), contentType: "text/plain") }
            return Responses.encoded(NotReadyView(reasons: reasons), status: .serviceUnavailable)
        }
        router.get("/metrics") { _, _ -> Response in
            Responses.text(deps.metrics(), contentType: "text/plain; version=0.0.4")
        }
        router.get("/v1/status") { _, _ -> Response in
            Responses.encoded(deps.status())
        }
        router.get("/v1/alarms") { request, _ -> Response in
            let q = request.uri.queryParameters
            let stateText = q.get("state") ?? "active"
            let state: AlarmState?
            switch stateText {
            case "all": state = nil
            case let s:
                guard let st = AlarmState(rawValue: s) else {
                    return Responses.error(.badRequest, "state must be active, cleared or all", field: "state")
                }
                state = st
            }
            guard let limit = parseLimit(q.get("limit")) else {
                return Responses.error(.badRequest, "limit must be a positive whole number", field: "limit")
            }
            do {
                let alarms = try await NIOThreadPool.singleton.runIfActive {
                    try deps.reader.alarms(state: state, limit: limit)
                }
                // Written by hand (up to a million alarms); a test holds it to EccAPI's AlarmView.
                var w = JSONWriter(capacity: 256 * alarms.count + 2)
                w.beginArray()
                for a in alarms { w.write(a) }
                w.endArray()
                return Responses.json(w.bytes)
            } catch {
                return Responses.error(.internalServerError, "store: \(error)")
            }
        }
        router.post("/v1/rules/reload") { _, _ -> Response in
            let (applied, report) = await deps.reloadRules()
            return Responses.encoded(
                ReloadView(applied: applied, report: report), status: applied ? .ok : .unprocessableContent)
        }
    }

    static func parseLimit(_ text: String?) -> Int? {
        guard let text else { return 1000 }
        guard let n = Int(text), n > 0 else { return nil }
        return min(n, 1_000_000)
    }
}

extension QueryRoutes {
    /// `GET /v1/alarms/{id}/why`: the alarm, its raising event and the trace of decisions.
    static func addWhy(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        router.get("/v1/alarms/:id/why") { _, context -> Response in
            guard let text = context.parameters.get("id"), let id = UInt64(text) else {
                return Responses.error(.badRequest, "the alarm id must be a whole number", field: "id")
            }
            do {
                let found = try await NIOThreadPool.singleton.runIfActive { try deps.reader.alarmOrigin(id: id) }
                guard let (alarm, eventJSON, notify) = found else {
                    return Responses.error(.notFound, "no alarm #\(id)")
                }
                let origin = eventJSON.flatMap {
                    try? JSONEventDecoder.decodeEvent($0, receivedAt: EventTime(nanoseconds: 0))
                }
                let lines = deps.rules().trace(alarm: alarm, origin: origin, notify: notify)
                return Responses.encoded(AlarmWhyView(alarm: AlarmView(alarm), notify: notify, trace: lines))
            } catch {
                return Responses.error(.internalServerError, "store: \(error)")
            }
        }
    }
}
