import EccAPI
import EccCore
import EccIncidents
import EccStore
import Foundation
import Hummingbird
import NIOPosix

/// Incidents: list with filters, one with its timeline, and the operator actions (acknowledge, assign,
/// hand over, note, resolve, close, reopen). Actions take a JSON body with the action's fields; who acts is the
/// token's principal (only without tokens, on loopback, the body's `actor`). Refusals are 409 with the reason,
/// unknown incidents 404, incomplete requests 400.
enum IncidentRoutes {
    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        router.get("/v1/incidents") { request, _ -> Response in
            let q = request.uri.queryParameters
            var filter = IncidentFilter()
            if let s = q.get("state") {
                guard let state = IncidentFilter.StateFilter(s) else {
                    return Responses.error(
                        .badRequest,
                        "state must be open, \(IncidentState.allCases.map(\.rawValue).joined(separator: ", "))",
                        field: "state")
                }
                filter.state = state
            }
            filter.host = q.get("host")
            filter.owner = q.get("owner")
            filter.group = q.get("group")
            filter.ci = q.get("ci")
            if let s = q.get("severity") {
                guard let sev = Severity(name: s) else {
                    return Responses.error(
                        .badRequest, "unknown severity '\(s)' (expected \(Severity.namesForHelp))", field: "severity")
                }
                filter.severity = sev
            }
            if let p = q.get("priority") {
                let digits = p.uppercased().hasPrefix("P") ? String(p.dropFirst()) : p
                guard let n = Int(digits), (1...5).contains(n) else {
                    return Responses.error(.badRequest, "priority must be P1 to P5", field: "priority")
                }
                filter.priority = n
            }
            if let b = q.get("breached") {
                guard b == "true" || b == "false" else {
                    return Responses.error(.badRequest, "breached must be true or false", field: "breached")
                }
                filter.breached = b == "true"
            }
            guard let limit = QueryRoutes.parseLimit(q.get("limit")) else {
                return Responses.error(.badRequest, "limit must be a positive whole number", field: "limit")
            }
            filter.limit = limit
            do {
                let incidents = try await NIOThreadPool.singleton.runIfActive { [filter] in
                    try deps.reader.incidents(filter)
                }
                return Responses.encoded(incidents.map(IncidentView.init))
            } catch {
                return Responses.error(.serviceUnavailable, "store: \(error)")
            }
        }
        router.get("/v1/incidents/:id") { _, context -> Response in
            guard let text = context.parameters.get("id"), let id = Int64(text) else {
                return Responses.error(.badRequest, "the incident id must be a whole number", field: "id")
            }
            do {
                let found = try await NIOThreadPool.singleton.runIfActive {
                    () throws -> (IncidentDetail, [Suggestion], [Int64])? in
                    guard let d = try deps.reader.incident(id: id) else { return nil }
                    return (d, try deps.reader.suggestions(for: d.incident), try deps.reader.problems(ofIncident: id))
                }
                guard let (detail, suggestions, problems) = found else {
                    return Responses.error(.notFound, "no incident \(id)")
                }
                return Responses.encoded(IncidentDetailView(detail, suggestions: suggestions, problems: problems))
            } catch {
                return Responses.error(.serviceUnavailable, "store: \(error)")
            }
        }
        action(router, deps, .acknowledge, AcknowledgeRequest.self) { desk, id, actor, body, now in
            try desk.acknowledge(id, by: actor, note: body.note, at: now)
        }
        action(router, deps, .assign, AssignRequest.self) { desk, id, actor, body, now in
            guard let group = body.group else { throw IncidentRefusal.invalid("give the group") }
            return try desk.assign(id, group: group, by: actor, reason: body.reason, at: now)
        }
        action(router, deps, .handOver, HandOverRequest.self) { desk, id, actor, body, now in
            guard let to = body.to else { throw IncidentRefusal.invalid("give who takes it over (to)") }
            return try desk.handOver(
                id, to: to, by: actor, reason: body.reason ?? "", override: body.override ?? false, at: now)
        }
        action(router, deps, .note, NoteRequest.self) { desk, id, actor, body, now in
            try desk.addNote(id, text: body.text ?? "", followUp: body.followUp ?? false, by: actor, at: now)
        }
        action(router, deps, .resolve, ResolveRequest.self) { desk, id, actor, body, now in
            try desk.resolve(id, by: actor, note: body.note ?? "", at: now)
        }
        action(router, deps, .close, CloseRequest.self) { desk, id, actor, body, now in
            try desk.close(id, by: actor, note: body.note, at: now)
        }
        action(router, deps, .reopen, ReopenRequest.self) { desk, id, actor, body, now in
            try desk.reopen(id, by: actor, reason: body.reason ?? "", at: now)
        }
    }

    /// `POST /v1/incidents/{id}/{action}` with its body (EccAPI's type for the action).
    private static func action<Body: ActingRequest>(
        _ router: Router<APIRequestContext>, _ deps: APIDependencies, _ action: IncidentAction, _: Body.Type,
        _ perform: @escaping @Sendable (any DeskActions, Int64, String, Body, EventTime) throws -> Incident
    ) {
        router.post("/v1/incidents/:id/\(action.rawValue)") { request, context -> Response in
            guard let desk = deps.desk else {
                return Responses.error(.serviceUnavailable, "incident actions are not available")
            }
            guard let text = context.parameters.get("id"), let id = Int64(text) else {
                return Responses.error(.badRequest, "the incident id must be a whole number", field: "id")
            }
            let body: Body
            switch await RequestBody.decode(Body.self, from: request, deps) {
            case .success(let b): body = b
            case .failure(let bad): return bad.response
            }
            let actor: String
            switch Self.actor(body.actor, context) {
            case .success(let name): actor = name
            case .failure(let bad): return bad.response
            }
            let now = deps.clock.now()
            do {
                let incident = try await NIOThreadPool.singleton.runIfActive {
                    try perform(desk, id, actor, body, now)
                }
                return Responses.encoded(IncidentView(incident))
            } catch {
                return refused(error)
            }
        }
    }

    /// The answer for an action that threw: 404, 409, 400 or 503.
    static func refused(_ error: any Error) -> Response {
        guard let refusal = error as? IncidentRefusal else {
            return Responses.error(.serviceUnavailable, "\(error)")
        }
        switch refusal {
        case .notFound(let m): return Responses.error(.notFound, m)
        case .conflict(let m): return Responses.error(.conflict, m)
        case .invalid(let m): return Responses.error(.badRequest, m)
        case .store(let e): return Responses.error(.serviceUnavailable, "store: \(e)")
        }
    }

    /// Who acts: the token's principal; only in tokenless loopback mode the body's `actor` (unauthenticated).
    static func actor(_ claimed: String?, _ context: APIRequestContext) -> Result<String, BadBody> {
        if let p = context.principal, p.authenticated { return .success(p.name) }
        guard let name = claimed, !name.isEmpty else {
            return .failure(
                BadBody(response: Responses.error(.badRequest, "say who acts: \"actor\": \"name\"", field: "actor")))
        }
        return .success(name)
    }
}
