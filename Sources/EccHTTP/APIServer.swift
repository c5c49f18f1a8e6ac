import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// Builds the HTTP API application (a ServiceLifecycle `Service`).
package enum APIServer {
    /// The router with every route, each behind ``AccessMiddleware``.
    package static func router(_ deps: APIDependencies) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // Before any route: middleware applies to the routes added after it.
        router.add(middleware: AccessMiddleware(access: deps.access, readOnly: deps.readOnly))
        EventRoutes.add(to: router, deps)
        QueryRoutes.add(to: router, deps)
        QueryRoutes.addWhy(to: router, deps)
        IncidentRoutes.add(to: router, deps)
        ITSMRoutes.add(to: router, deps)
        StreamRoutes.add(to: router, deps)
        NotifyRoutes.add(to: router, deps)
        return router
    }

    /// Every route the router serves, as `METHOD /path` (paths as ``RouteAccess/table`` spells them).
    package static func routes(_ deps: APIDependencies) -> [String] {
        router(deps).routes.map { "\($0.method.rawValue) \($0.path.description)" }.sorted()
    }

    /// The application listening on `host:port`, HTTPS with `tls`; `onBound` receives the actual port (useful
    /// with port 0).
    package static func application(
        _ deps: APIDependencies, host: String, port: Int, tls: TLSConfiguration? = nil, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let base = HTTPServerBuilder.http1(
            configuration: .init(additionalChannelHandlers: [HTTPEdgeHandler(edge: deps.edge)]))
        return Application(
            router: router(deps),
            server: try tls.map { try .tls(base, tlsConfiguration: $0) } ?? base,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "eccd"),
            onServerRunning: { channel in onBound(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
