import EccBus
import ServiceLifecycle
import Synchronization

/// Runs a collector's `loop` on a thread of its own named `name` until graceful shutdown (SIGTERM) or the
/// cancellation of this task sets `stop` (which the loop checks).
func serveOnThread(_ name: String, stop: Box<Atomic<Bool>>, _ loop: @escaping @Sendable () -> Void) async {
    await withTaskCancellationHandler {
        await withGracefulShutdownHandler {
            await DedicatedThread(name: name, loop).join()
        } onGracefulShutdown: {
            stop.value.store(true, ordering: .relaxed)
        }
    } onCancel: {
        stop.value.store(true, ordering: .relaxed)
    }
}

/// A shared, immutable home for a non-copyable value (the stop flag a collector thread reads).
final class Box<Value: ~Copyable & Sendable>: Sendable {
    let value: Value
    init(_ value: consuming Value) { self.value = value }
}
