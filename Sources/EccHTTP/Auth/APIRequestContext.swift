import EccAuth
import Hummingbird

/// The request context of eccd's API: Hummingbird's core storage and who is asking.
package struct APIRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by ``AccessMiddleware`` before any handler runs (nil only on routes anyone may call).
    package var principal: Principal?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
