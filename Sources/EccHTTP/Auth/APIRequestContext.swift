public import EccAuth
public import Hummingbird

/// The request context of eccd's API: Hummingbird's core storage and who is asking.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AccessMiddleware`` before any handler runs (nil only on routes anyone may call).
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
