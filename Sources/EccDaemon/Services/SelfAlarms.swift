import EccBus
import EccCore
import Foundation
import Synchronization

/// eccd's own trouble as events (source `eccd`), so its rules raise alarms about it like about anything
/// else: `storeUnwritable` when the database stops taking writes (disk full, read-only, I/O errors),
/// `storeWritable` when it takes them again; `outboxUnwritable` and `outboxWritable` likewise for the
/// notification outbox. They go to the engine ahead of the bus and of its wait for the
/// store (``EngineRunner/submitUrgent(_:)``), never blocking: the store writer reports through here.
final class SelfAlarms: Sendable {
    private let clock: any EccCore.Clock
    private let engine = Mutex<EngineRunner?>(nil)
    let stats = ProducerStats(name: "eccd")
    private let host = ProcessInfo.processInfo.hostName

    init(clock: any EccCore.Clock) { self.clock = clock }

    func attach(_ runner: EngineRunner) { engine.withLock { $0 = runner } }

    func storeHealth(ok: Bool, error: String) {
        health(
            ok ? "storeWritable" : "storeUnwritable", ok: ok, error: error,
            summary: ok
                ? "eccd writes its database again; queued changes are committed"
                : "eccd cannot write its database: \(error); changes queue in memory and are retried")
    }

    /// The notification outbox stopped (`outboxUnwritable`) or started again (`outboxWritable`) being
    /// readable and writable.
    func outboxHealth(ok: Bool, error: String) {
        health(
            ok ? "outboxWritable" : "outboxUnwritable", ok: ok, error: error,
            summary: ok
                ? "eccd reads and writes its notification outbox again"
                : "eccd cannot read or write its notification outbox: \(error); notifications wait")
    }

    /// One trouble event: critical with the error while it lasts, info when it is over.
    private func health(_ type: String, ok: Bool, error: String, summary: String) {
        var e = Event(
            time: clock.now(), source: Event.eccdSource, host: host, type: type, severity: ok ? .info : .critical,
            summary: summary)
        if !ok { e.attributes["error"] = .string(error) }
        publish(e)
    }

    private func publish(_ e: Event) {
        guard let runner = engine.withLock({ $0 }) else { return }
        if runner.submitUrgent(e) { stats.addAccepted(1) } else { stats.addDropped(1) }
    }
}
