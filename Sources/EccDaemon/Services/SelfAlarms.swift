import EccBus
import EccCore
import Foundation
import Synchronization

/// eccd's own trouble as events (source `eccd`), so its rules raise alarms about it like about anything
/// else: `storeUnwritable` when the database stops taking writes (disk full, read-only, I/O errors),
/// `storeWritable` when it takes them again; `outboxUnwritable` and `outboxWritable` likewise for the
/// notification outbox; and what ``SelfWatch`` sees (events dropped, a collector silent, a clock jump). They go to the engine ahead of the bus and of its wait for the
/// store (``EngineRunner/submitUrgent(_:)``), never blocking: the store writer reports through here.
final class SelfAlarms: Sendable {
    private let clock: any EccCore.Clock
    /// Where the events go: the engine, ahead of the bus (``EngineRunner/submitUrgent(_:)``).
    private let submit = Mutex<(@Sendable (Event) -> Bool)?>(nil)
    let stats = ProducerStats(name: Event.eccdSource)
    private let host = ProcessInfo.processInfo.hostName

    init(clock: any EccCore.Clock) { self.clock = clock }

    func attach(_ runner: EngineRunner) { attach { runner.submitUrgent($0) } }

    /// Sends the events to `submit` (tests watch them here).
    func attach(_ submit: @escaping @Sendable (Event) -> Bool) { self.submit.withLock { $0 = submit } }

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

    /// Events were dropped (`eventsDropped`: the bus was full, or the kernel's receive buffer) or have not
    /// been for a while (`eventsNotDropped`).
    func eventsDropped(_ dropping: Bool, count: Int, by collectors: [String]) {
        var e = event(
            dropping ? "eventsDropped" : "eventsNotDropped", severity: dropping ? .major : .info,
            summary: dropping
                ? "eccd drops events it cannot take (\(collectors.joined(separator: ", "))): more arrive than it processes"
                : "eccd has dropped no events for a while")
        if dropping {
            e.attributes["dropped"] = .int(Int64(count))
            e.attributes["collectors"] = .string(collectors.joined(separator: ","))
        }
        publish(e)
    }

    /// A collector that was receiving events has received none for `after` (`collectorSilent`), or
    /// receives them again (`collectorActive`).
    func collectorSilent(_ silent: Bool, collector: String, after: Duration) {
        var e = event(
            silent ? "collectorSilent" : "collectorActive", severity: silent ? .major : .info,
            summary: silent
                ? "eccd's \(collector) collector has received nothing for \(after.components.seconds / 60) min"
                : "eccd's \(collector) collector receives events again")
        e.attributes["collector"] = .string(collector)
        publish(e)
    }

    /// The wall clock moved `seconds` more (or, negative, less) than the time that passed.
    func clockJumped(seconds: Double) {
        var e = event(
            "clockJump", severity: .major,
            summary: "the wall clock of eccd's host jumped by \(String(format: "%+.1f", seconds)) s")
        e.attributes["jump_seconds"] = .double(seconds)
        publish(e)
    }

    /// One trouble event: critical with the error while it lasts, info when it is over.
    private func health(_ type: String, ok: Bool, error: String, summary: String) {
        var e = event(type, severity: ok ? .info : .critical, summary: summary)
        if !ok { e.attributes["error"] = .string(error) }
        publish(e)
    }

    private func event(_ type: String, severity: Severity, summary: String) -> Event {
        Event(
            time: clock.now(), source: Event.eccdSource, host: host, type: type, severity: severity, summary: summary)
    }

    private func publish(_ e: Event) {
        guard let submit = submit.withLock({ $0 }) else { return }
        if submit(e) { stats.addAccepted(1) } else { stats.addDropped(1) }
    }
}
