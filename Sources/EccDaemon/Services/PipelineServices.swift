import EccBus
import EccCore
import EccIncidents
import EccNotify
import EccStore
import ServiceLifecycle

/// Runs the store writer; on shutdown (last of all) waits until it committed everything and closed.
struct StoreService: Service {
    let writer: StoreWriter

    func run() async throws {
        writer.start()
        try? await gracefulShutdown()
        await writer.waitUntilFinished()
    }
}

/// Runs the engine thread; on shutdown closes the bus (producers have stopped by then) and waits until
/// every accepted event went through the engine and on to the store.
struct EngineService: Service {
    let runner: EngineRunner
    let bus: Ring<Event>

    func run() async throws {
        runner.start()
        try? await gracefulShutdown()
        bus.close()
        await runner.waitUntilFinished()
    }
}

/// Sends stream heartbeats (so dead clients are noticed and dropped) and ends live streams on shutdown,
/// so the HTTP server can finish its open requests.
struct StreamService: Service {
    let alarms: Broadcast<AlarmChange>
    var heartbeat: Duration = .seconds(15)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                alarms.heartbeat()
            }
        }
        alarms.finish()
    }
}

/// Runs the notification dispatcher; stops it (letting sends in flight finish) before the store closes.
struct NotifyService: Service {
    let dispatcher: Dispatcher

    func run() async throws {
        dispatcher.start()
        try? await gracefulShutdown()
        await dispatcher.stop()
    }
}
