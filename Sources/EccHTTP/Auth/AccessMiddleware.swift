import EccAuth
import Foundation
import Hummingbird

/// Checks every request against ``RouteAccess`` before its handler runs: the origin, the token, the role.
///
/// Credentials come only from the `Authorization: Bearer` header, never from a cookie, so a browser cannot
/// lend an operator's credentials to another site; a request whose `Origin` is not eccd's own is refused
/// outright (a cross-site `text/plain` POST carries one).
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let access: APIAccess
    /// Why this API changes nothing (``APIDependencies/readOnly``); nil: a read-write API.
    var readOnly: String? = nil

    func handle(
        _ request: Request, context: APIRequestContext,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        // Not a route (404 follows): nothing to protect.
        guard let path = context.endpointPath else { return try await next(request, context) }
        guard let requirement = RouteAccess.requirement(method: request.method.rawValue, path: path) else {
            return refuse(.unlistedRoute, .forbidden, "this route has no entry in eccd's access table")
        }
        let host = request.head.authority ?? ""
        if let origin = request.headers[.origin], !originAllowed(origin, host: host) {
            return refuse(.foreignOrigin, .forbidden, "cross-origin request refused (Origin: \(origin.prefix(100)))")
        }
        if let readOnly, request.method != .get, request.method != .head {
            var response = Responses.error(.methodNotAllowed, readOnly)
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        var context = context
        switch requirement {
        case .anyone, .receiverSecret:
            return try await next(request, context)
        case .role(let needed):
            if !access.requiresTokens {
                // Tokenless loopback mode: a web page must not reach eccd through a DNS name rebound to
                // 127.0.0.1, so the Host must be a loopback name too.
                // (No Host at all is no browser: HTTP/1.0 tools and raw clients.)
                guard host.isEmpty || Self.isLoopbackHost(host) else {
                    return refuse(.foreignHost, .forbidden, "without tokens eccd answers only loopback host names")
                }
                context.principal = Principal(name: "anonymous", role: .admin, authenticated: false)
                return try await next(request, context)
            }
            guard let token = Self.bearer(request.headers[.authorization]) else {
                return refuse(
                    .missingToken, .unauthorized,
                    "this API needs a token: Authorization: Bearer TOKEN "
                        + "(eccctl: --token-file or ECC_TOKEN_FILE)")
            }
            guard let principal = access.principal(forToken: token) else {
                return refuse(.badToken, .unauthorized, "unknown token")
            }
            guard principal.role >= needed else {
                return refuse(
                    .role, .forbidden, "\(principal.name) is \(principal.role.name); this needs \(needed.name)")
            }
            context.principal = principal
            return try await next(request, context)
        }
    }

    private func refuse(_ reason: APIAccess.Refusal, _ status: HTTPResponse.Status, _ message: String) -> Response {
        access.count(reason)
        var response = Responses.error(status, message)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"eccd\"" }
        return response
    }

    private func originAllowed(_ origin: String, host: String) -> Bool {
        if access.allowedOrigins.contains(origin) { return true }
        // Same origin: the page came from eccd itself.
        return !host.isEmpty && (origin == "http://\(host)" || origin == "https://\(host)")
    }

    /// The token of `Bearer TOKEN` (scheme case-insensitive).
    static func bearer(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
    static func isLoopbackHost(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("[") {
            guard let end = name.firstIndex(of: "]") else { return false }
            name = name[name.index(after: name.startIndex)..<end]
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        return ListenAddress.isLoopback(String(name))
    }
}
