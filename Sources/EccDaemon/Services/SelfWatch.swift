import EccBus
import EccCollectors
import EccConfig
import EccCore
import Foundation
import Logging
import ServiceLifecycle

/// Samples eccd's own health every second and reports trouble as eccd events (``SelfAlarms``):
/// events dropped because the bus or the kernel's buffer was full, a collector gone silent, the wall
/// clock jumping. Each is reported when it starts and when it ends (a clock jump only when it happens).
struct SelfWatch: Service {
    let settings: SelfMonitoring
    let selfAlarm: SelfAlarms
    /// The collectors watched for drops and silence.
    let collectors: [ProducerStats]
    /// Datagrams the kernel dropped before eccd read them (SNMP), when known.
    let kernelDrops: @Sendable () -> Int?
    let logger: Logger

    /// What the last look saw.
    struct Look {
        var wall: Date
        var monotonic: ContinuousClock.Instant
        /// Events dropped so far, by collector (and `kernel`: datagrams its buffer could not hold).
        var dropped: [String: Int]
        var lastDrop: ContinuousClock.Instant?
        var dropsReported = false
        /// Per collector: events accepted so far, when the count last moved, whether reported silent.
        var accepted: [String: (count: Int, movedAt: ContinuousClock.Instant, silent: Bool)] = [:]
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var look = first()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                check(&look)
            }
        }
    }

    func first() -> Look {
        var look = Look(wall: Date(), monotonic: .now, dropped: droppedBy())
        for c in collectors { look.accepted[c.name] = (c.accepted, .now, false) }
        return look
    }

    private func droppedBy() -> [String: Int] {
        var by: [String: Int] = [:]
        for c in collectors { by[c.name] = c.dropped }
        by["kernel"] = kernelDrops() ?? 0
        return by
    }

    /// One look: compares with the last and reports what started or ended.
    func check(_ look: inout Look, wall: Date = Date(), monotonic: ContinuousClock.Instant = .now) {
        // The wall clock against elapsed time.
        let elapsed = monotonic - look.monotonic
        let wallElapsed = Duration.nanoseconds(Int64(wall.timeIntervalSince(look.wall) * 1e9))
        let jump = wallElapsed - elapsed
        if jump > settings.clockJump || jump < .zero - settings.clockJump {
            let seconds = Double(jump.components.seconds) + Double(jump.components.attoseconds) / 1e18
            logger.warning(
                "the wall clock jumped", metadata: ["ecc.jump_seconds": "\(String(format: "%.3f", seconds))"])
            selfAlarm.clockJumped(seconds: seconds)
        }
        look.wall = wall
        look.monotonic = monotonic
        // Drops.
        let dropped = droppedBy()
        let dropping = dropped.filter { $0.value > look.dropped[$0.key] ?? 0 }.keys.sorted()
        if !dropping.isEmpty {
            look.lastDrop = monotonic
            if !look.dropsReported {
                look.dropsReported = true
                let count = dropping.reduce(0) { $0 + (dropped[$1] ?? 0) - (look.dropped[$1] ?? 0) }
                selfAlarm.eventsDropped(true, count: count, by: dropping)
            }
        } else if look.dropsReported, let last = look.lastDrop, monotonic - last >= settings.dropsClearAfter {
            look.dropsReported = false
            selfAlarm.eventsDropped(false, count: 0, by: [])
        }
        look.dropped = dropped
        // Silent collectors: only one that has received something is watched (a collector nobody sends to
        // yet is not silent, it is unused).
        guard let after = settings.collectorSilentAfter else { return }
        for c in collectors {
            guard var seen = look.accepted[c.name] else { continue }
            let now = c.accepted
            if now != seen.count {
                if seen.silent { selfAlarm.collectorSilent(false, collector: c.name, after: after) }
                seen = (now, monotonic, false)
            } else if now > 0, !seen.silent, monotonic - seen.movedAt >= after {
                seen.silent = true
                selfAlarm.collectorSilent(true, collector: c.name, after: after)
            }
            look.accepted[c.name] = seen
        }
    }
}
