import EccCore
import EccDaemon
import EccRules
import EccYAML
import Foundation

/// Replay on event time (issue 14): the shipped rules over a recording of a busy estate, as `eccd --replay`
/// runs it (read from a file, decoded, the engine on the events' own time, each change written as text).
enum ReplayBench {
    /// One hour of a busy estate as JSON lines, `n` events 3.6 ms apart: 2,000 hosts sampling filesystems
    /// and CPU around their own levels, SSH failures, nodes and units going down and up, 64 switches × 48
    /// ports with linkDown/linkUp (most ports stay down and repeat), desktop heartbeats that stop now and then.
    static func recording(_ n: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n * 160)
        var rng = SplitMix(seed: 14)
        let t0: Int64 = 1_795_600_800_000_000_000
        for i in 0..<n {
            let time = t0 + Int64(i) * 3_600_000
            let h = Int(rng.next() % 2000)
            let k = rng.next() % 100
            let body: String
            switch k {
            case 0..<30:
                let pct = 40 + (h * 37) % 58 + Int(rng.next() % 5) - 2
                body =
                    #""source":"agent","host":"srv\#(h)","type":"fsUsage","attributes":{"mount":"/var","pct":\#(pct)}"#
            case 30..<60:
                let usage = [20, 35, 50, 70, 93][h % 5] + Int(rng.next() % 7) - 3
                body = #""source":"agent","host":"srv\#(h)","type":"cpuUsage","attributes":{"usage":\#(usage)}"#
            case 60..<72:
                body =
                    #""source":"syslog","host":"srv\#(h % 50)","type":"auth_failure","attributes":{"service":"sshd","src_ip":"203.0.113.\#(rng.next() % 40)","user":"root"}"#
            case 72..<74:
                body = #""source":"poller","host":"srv\#(h)","type":"\#(rng.next() % 2 == 0 ? "nodeDown" : "nodeUp")""#
            case 74..<76:
                body =
                    #""source":"agent","host":"srv\#(h)","type":"\#(rng.next() % 2 == 0 ? "unitFailed" : "unitActive")","attributes":{"unit":"nginx.service"}"#
            case 76..<92:
                let port = Int(rng.next() % 48) + 1
                let down = port <= 44 || rng.next() % 2 == 0
                body =
                    #""source":"snmp","host":"sw\#(h % 64)","type":"\#(down ? "linkDown" : "linkUp")","attributes":{"ifIndex":\#(port)}"#
            default:
                // Desktops report every few seconds; one in 40 falls silent for a while.
                if h % 40 == 0 && (i / 100_000) % 2 == 1 { continue }
                body = #""source":"desktop","host":"pc\#(h)","type":"heartbeat""#
            }
            out += Array(#"{"time":\#(time),"#.utf8) + Array(body.utf8) + [UInt8(ascii: "}"), 0x0A]
        }
        return out
    }

    /// events/s of `eccd --replay`'s path over `n` events, 3 runs; the changes made; and the engine alone
    /// on the same events decoded beforehand, 3 runs. (Its memory is not measured here: an RSS delta inside
    /// this long-lived process would say little.)
    static func run(events n: Int) throws -> (endToEnd: Spread, changes: Int, engineOnly: Spread) {
        let rules = try RuleLoader.load(paths: ["rules"])
        let bytes = recording(n)
        let path = NSTemporaryDirectory() + "ecc-replay-bench-\(getpid()).jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rates: [Double] = []
        var changes = 0
        for _ in 0..<3 {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            var replay = Replay(rules: rules)
            var out: [UInt8] = []
            var written = 0
            let seconds = timed {
                let write = { (b: ChangeBatch) in
                    for c in b.changes where c.kind != .repeated { ReplayFormat.text.write(c, to: &out) }
                    written += out.count
                    out.removeAll(keepingCapacity: true)
                }
                ReplayInput.read(fd: fd, event: { replay.feed($0, emit: write) }, refused: { _ in })
                replay.finish(emit: write)
            }
            rates.append(Double(replay.summary.events) / seconds)
            changes = replay.summary.changes.values.reduce(0, +)
            precondition(written > 0 && replay.summary.events > n / 2, "the replay bench replayed nothing")
        }
        // The engine alone: the same events decoded beforehand.
        var events: [Event] = []
        let fd = open(path, O_RDONLY)
        ReplayInput.read(fd: fd, event: { events.append($0) }, refused: { _ in })
        close(fd)
        var engineRates: [Double] = []
        for _ in 0..<3 {
            var replay = Replay(rules: rules)
            let seconds = timed {
                for e in events { replay.feed(e) { _ in } }
                replay.finish { _ in }
            }
            engineRates.append(Double(events.count) / seconds)
        }
        return (Spread(rates), changes, Spread(engineRates))
    }
}

/// A small deterministic generator (SplitMix64), so every run replays the same recording.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
