import EccAPI
import EccCore
import EccIncidents
import EccStore
import Foundation
import Hummingbird
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Configuration items, changes, problems and knowledge articles. Importing CIs and approving or
/// cancelling a change reload the rules, so the engine's topology and maintenance windows follow.
enum ITSMRoutes {
    static func add(to router: Router<APIRequestContext>, _ deps: APIDependencies) {
        // MARK: CMDB
        router.get("/v1/cis") { _, _ -> Response in
            await read { try deps.reader.cis().map(CIView.init) }
        }
        post(router, deps, "/v1/cis", CIImportRequest.self, reload: true) { desk, body, _, actor, now in
            guard let list = body.items else {
                throw IncidentRefusal.invalid("give the items: {\"actor\": ..., \"items\": [{\"name\": ...}]}")
            }
            let items = list.map { ConfigurationItem(name: $0.name, parent: $0.parent, attributes: $0.attributes) }
            let (added, updated) = try desk.importCIs(items, by: actor, at: now)
            return CIImportResult(added: added, updated: updated)
        }

        // MARK: Changes
        router.get("/v1/changes") { request, _ -> Response in
            var state: ChangeState?
            if let s = request.uri.queryParameters.get("state") {
                guard let st = ChangeState(rawValue: s) else {
                    return Responses.error(
                        .badRequest, "state must be \(ChangeState.allCases.map(\.rawValue).joined(separator: ", "))",
                        field: "state")
                }
                state = st
            }
            return await read { [state] in try deps.reader.changes(state: state).map(ChangeView.init) }
        }
        post(router, deps, "/v1/changes", ChangeRequest.self, reload: false) { desk, body, _, actor, now in
            guard let startText = body.start else {
                throw IncidentRefusal.invalid("start must be an RFC 3339 time")
            }
            guard let endText = body.end else {
                throw IncidentRefusal.invalid("end must be an RFC 3339 time (every change window has an end)")
            }
            let start: EventTime
            let end: EventTime
            switch (RFC3339.check(startText), RFC3339.check(endText)) {
            case (.failure(let p), _): throw IncidentRefusal.invalid("start: " + p.message(startText))
            case (_, .failure(let p)): throw IncidentRefusal.invalid("end: " + p.message(endText))
            case (.success(let s), .success(let e)): (start, end) = (s, e)
            }
            let change = try desk.requestChange(
                title: body.title ?? "", description: body.description, start: start, end: end, cis: body.cis ?? [],
                by: actor, at: now)
            return ChangeView(change)
        }
        for decision in ChangeDecision.allCases {
            let state: ChangeState =
                switch decision {
                case .approve: .approved
                case .reject: .rejected
                case .cancel: .cancelled
                }
            post(
                router, deps, "/v1/changes/:id/\(decision.rawValue)", ChangeDecisionRequest.self,
                reload: state != .rejected
            ) { desk, body, id, actor, now in
                guard let id else { throw IncidentRefusal.invalid("bad change id") }
                return ChangeView(try desk.decideChange(id, state, by: actor, note: body.note, at: now))
            }
        }

        // MARK: Problems
        router.get("/v1/problems") { _, _ -> Response in
            await read { try deps.reader.problems().map(ProblemView.init) }
        }
        router.get("/v1/problems/:id") { _, context -> Response in
            guard let id = context.parameters.get("id").flatMap({ Int64($0) }) else {
                return Responses.error(.badRequest, "the problem id must be a whole number", field: "id")
            }
            return await read { try deps.reader.problem(id: id).map(ProblemView.init) }
        }
        post(router, deps, "/v1/problems", ProblemRequest.self, reload: false) { desk, body, _, actor, now in
            return ProblemView(
                try desk.openProblem(title: body.title ?? "", incidents: body.incidents ?? [], by: actor, at: now))
        }
        post(router, deps, "/v1/problems/:id/link", ProblemLinkRequest.self, reload: false) {
            desk, body, id, actor, now in
            guard let id, let incident = body.incident else {
                throw IncidentRefusal.invalid("give the incident to link: {\"incident\": 12}")
            }
            return ProblemView(try desk.linkIncident(incident, toProblem: id, by: actor, at: now))
        }
        post(router, deps, "/v1/problems/:id/update", ProblemUpdateRequest.self, reload: false) {
            desk, body, id, actor, now in
            guard let id else { throw IncidentRefusal.invalid("bad problem id") }
            var state: ProblemState?
            if let s = body.state {
                guard let st = ProblemState(rawValue: s) else {
                    throw IncidentRefusal.invalid(
                        "state must be \(ProblemState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = st
            }
            let p = try desk.updateProblem(
                id, state: state, rootCause: body.rootCause, workaround: body.workaround, matchText: body.matchText,
                by: actor, at: now)
            return ProblemView(p)
        }

        // MARK: Backup
        router.get("/v1/backup") { _, _ -> Response in
            guard !deps.databasePath.isEmpty else { return Responses.error(.notFound, "backups are not available") }
            // The copy goes to a private directory (mode 0700) under TMPDIR, never beside the database where
            // others could read it; it is unlinked as soon as it is open and gone when the body is sent.
            guard let dir = PrivateTemp.makeDirectory() else {
                return Responses.error(
                    .serviceUnavailable, "backup failed: cannot create a private temporary directory")
            }
            let temp = dir + "/ecc-backup.db"
            defer { PrivateTemp.remove(dir) }
            let summary: Backup.Summary
            do {
                summary = try await NIOThreadPool.singleton.runIfActive {
                    try Backup.copy(from: deps.databasePath, to: temp)
                }
            } catch {
                return Responses.error(.serviceUnavailable, "backup failed: \(error)")
            }
            guard let file = ReadOnlyFile(path: temp) else {
                return Responses.error(.serviceUnavailable, "backup written but not readable")
            }
            // Unlinked at once (with its directory, by the defer): the open descriptor keeps the data until the
            // body is sent.
            let body = ResponseBody { writer in
                defer { file.close() }
                while true {
                    let chunk = try await NIOThreadPool.singleton.runIfActive { file.read(1 << 20) }
                    if chunk.isEmpty { break }
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.sqlite3", .contentLength: String(summary.bytes),
                    .contentDisposition: "attachment; filename=\"ecc-backup.db\"",
                ],
                body: body)
        }

        // MARK: Knowledge
        router.get("/v1/knowledge") { _, _ -> Response in
            await read { try deps.reader.knowledge().map(KnowledgeView.init) }
        }
        post(router, deps, "/v1/knowledge", KnowledgeRequest.self, reload: false) { desk, body, _, actor, now in
            let k = try desk.addArticle(
                title: body.title ?? "", body: body.body ?? "", rule: body.rule, ci: body.ci, text: body.text,
                by: actor, at: now)
            return KnowledgeView(k)
        }
    }

    /// A read on the thread pool, answered as EccAPI's type; store errors are 503.
    static func read<T: Encodable & Sendable>(_ query: @escaping @Sendable () throws -> T) async -> Response {
        do {
            return Responses.encoded(try await NIOThreadPool.singleton.runIfActive { try query() })
        } catch {
            return Responses.error(.serviceUnavailable, "store: \(error)")
        }
    }

    /// A POST with a body of EccAPI's type `Body`, acting as the token's principal
    /// (``IncidentRoutes/actor(_:_:)``); `:id` in the path is handed over as the closure's id. With `reload`,
    /// the rules are reloaded afterwards (the engine then sees the new CMDB or windows).
    static func post<Body: ActingRequest>(
        _ router: Router<APIRequestContext>, _ deps: APIDependencies, _ path: RouterPath, _: Body.Type,
        reload: Bool,
        _ perform:
            @escaping @Sendable (any DeskActions, Body, Int64?, String, EventTime) throws -> any Encodable & Sendable
    ) {
        router.post(path) { request, context -> Response in
            guard let desk = deps.desk else { return Responses.error(.serviceUnavailable, "the desk is not available") }
            let body: Body
            switch await RequestBody.decode(Body.self, from: request, deps) {
            case .success(let b): body = b
            case .failure(let bad): return bad.response
            }
            let actor: String
            switch IncidentRoutes.actor(body.actor, context) {
            case .success(let name): actor = name
            case .failure(let bad): return bad.response
            }
            var id: Int64?
            if let text = context.parameters.get("id") {
                guard let n = Int64(text) else { return Responses.error(.badRequest, "the id must be a whole number") }
                id = n
            }
            let now = deps.clock.now()
            do {
                let answer = try await NIOThreadPool.singleton.runIfActive { [id] in
                    try perform(desk, body, id, actor, now)
                }
                if reload {
                    let (applied, report) = await deps.reloadRules()
                    if !applied {
                        return Responses.encoded(
                            ReloadWarning(
                                warning: "stored, but the rules did not reload (fix them, then reload): \(report)"),
                            status: .accepted)
                    }
                }
                return Responses.encoded(answer)
            } catch {
                return IncidentRoutes.refused(error)
            }
        }
    }
}

/// A file open for reading by its descriptor (Sendable as a plain number), read from one task at a time:
/// the response body's.
private struct ReadOnlyFile: Sendable {
    let fd: Int32

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    /// Up to `count` bytes; empty at the end of the file (or on an error, which ends the body early).
    func read(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            var n = -1
            repeat { n = Glibc.read(fd, buffer.baseAddress, count) } while n < 0 && errno == EINTR
            filled = max(0, n)
        }
    }

    func close() { _ = Glibc.close(fd) }
}
