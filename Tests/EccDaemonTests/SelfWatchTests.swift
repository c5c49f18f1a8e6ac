import EccBus
import EccConfig
import EccCore
import EccRules
import EccTestSupport
import EccYAML
import Foundation
import Logging
import Synchronization
import Testing

@testable import EccDaemon

@Suite("Self-monitoring")
struct SelfWatchTests {
    /// What the watch reported, and a kernel drop counter to move.
    final class Seen: Sendable {
        let events = Mutex<[Event]>([])
        let kernel = Mutex<Int>(0)
        var types: [String] { events.withLock { $0.map(\.type) } }
        var first: Event? { events.withLock { $0.first } }
    }

    /// A watch over two collectors whose events land in `seen` (times are given to each look).
    func watch(_ settings: SelfMonitoring = SelfMonitoring()) -> (SelfWatch, ProducerStats, ProducerStats, Seen) {
        let seen = Seen()
        let alarms = SelfAlarms(clock: ManualClock())
        alarms.attach { e in
            seen.events.withLock { $0.append(e) }
            return true
        }
        let tcp = ProducerStats(name: "tcp")
        let snmp = ProducerStats(name: "snmp")
        let w = SelfWatch(
            settings: settings, selfAlarm: alarms, collectors: [tcp, snmp],
            kernelDrops: { seen.kernel.withLock { $0 } }, logger: Logger(label: "test"))
        return (w, tcp, snmp, seen)
    }

    @Test("a wall clock that jumps against elapsed time is reported, with the jump; a steady one is not")
    func clockJump() {
        let (w, _, _, seen) = watch()
        var look = w.first()
        let t0 = look.wall
        let m0 = look.monotonic
        w.check(&look, wall: t0.addingTimeInterval(1.002), monotonic: m0 + .seconds(1))
        #expect(seen.types.isEmpty)
        // NTP stepped the clock back by 42 s during a one-second sleep.
        w.check(&look, wall: t0.addingTimeInterval(2 - 42), monotonic: m0 + .seconds(2))
        #expect(seen.types == ["clockJump"])
        #expect(seen.first?.source == "eccd")
        if case .double(let j)? = seen.first?.attributes["jump_seconds"] {
            #expect(abs(j + 42) < 0.01)
        } else {
            Issue.record("no jump_seconds")
        }
        // The next look measures from the new time: no second report.
        w.check(&look, wall: t0.addingTimeInterval(3 - 42), monotonic: m0 + .seconds(3))
        #expect(seen.types == ["clockJump"])
    }

    @Test("drops raise once (bus or kernel) and clear after a minute without one")
    func drops() {
        let (w, _, snmp, seen) = watch()
        var look = w.first()
        let (t0, m0) = (look.wall, look.monotonic)
        func at(_ s: Int) { w.check(&look, wall: t0.addingTimeInterval(Double(s)), monotonic: m0 + .seconds(s)) }
        at(1)
        snmp.addDropped(500)
        at(2)
        snmp.addDropped(10)
        seen.kernel.withLock { $0 = 7 }
        at(3)
        #expect(seen.types == ["eventsDropped"])
        #expect(seen.first?.attributes["collectors"] == AttributeValue.string("snmp"))
        at(62)  // 59 s after the last drop: still dropping, as far as anyone knows
        #expect(seen.types == ["eventsDropped"])
        at(63)
        #expect(seen.types == ["eventsDropped", "eventsNotDropped"])
        seen.kernel.withLock { $0 = 8 }
        at(64)
        #expect(seen.types == ["eventsDropped", "eventsNotDropped", "eventsDropped"])
    }

    @Test("a collector that received events and then none for collector_silent_after is silent until it receives again")
    func silentCollector() {
        var settings = SelfMonitoring()
        settings.collectorSilentAfter = .seconds(600)
        let (w, tcp, snmp, seen) = watch(settings)
        var look = w.first()
        let (t0, m0) = (look.wall, look.monotonic)
        func at(_ s: Int) { w.check(&look, wall: t0.addingTimeInterval(Double(s)), monotonic: m0 + .seconds(s)) }
        tcp.addAccepted(10)
        at(1)
        at(600)
        #expect(seen.types.isEmpty)
        at(601)
        // tcp went silent; snmp never received anything, so it is unused, not silent.
        #expect(seen.types == ["collectorSilent"])
        #expect(seen.first?.attributes["collector"] == AttributeValue.string("tcp"))
        at(900)
        #expect(seen.types == ["collectorSilent"])
        tcp.addAccepted(1)
        at(901)
        #expect(seen.types == ["collectorSilent", "collectorActive"])
        _ = snmp
    }

    @Test("collector_silent_after: 0 turns the silence watch off; the section is checked")
    func config() throws {
        let c = try DaemonConfig.parse("self_monitoring: {collector_silent_after: 0, clock_jump: 30s}", file: "e.yaml")
        #expect(c.selfMonitoring.collectorSilentAfter == nil)
        #expect(c.selfMonitoring.clockJump == .seconds(30))
        #expect(throws: ConfigError.self) {
            try DaemonConfig.parse("self_monitoring: {collector_silent_after: 5s}", file: "e.yaml")
        }
        #expect(throws: ConfigError.self) { try DaemonConfig.parse("self_monitoring: {clock: 5s}", file: "e.yaml") }
    }
}
