import EccTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

// How every figure is printed (issue 15): a median of several runs with its min and max, its workload on a
// line beside it, the machine's load around each group, and ratios only between two sides that ran under
// the same load from other processes.

/// Several runs of one figure.
struct Spread {
    let values: [Double]

    init(_ values: [Double]) { self.values = values.sorted() }

    var median: Double {
        guard !values.isEmpty else { return 0 }
        let n = values.count
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
    }
    var min: Double { values.first ?? 0 }
    var max: Double { values.last ?? 0 }
}

func figure(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
}

/// `bench: NAME MEDIAN UNIT median of N (min …, max …)`.
func bench(_ name: String, _ spread: Spread, _ unit: String) {
    print(
        "bench: \(name) \(figure(spread.median)) \(unit) median of \(spread.values.count) "
            + "(min \(figure(spread.min)), max \(figure(spread.max)))")
}

/// The workload of the figures that follow, on a line of its own.
func workload(_ text: String) {
    print("# workload: \(text)")
}

/// The CPU time every other process on the machine had used at one moment, read from `/proc/PID/stat`:
/// "other" is any process that is neither this one nor one of its descendants (receivers, senders, peers
/// under test), nor a kernel thread (ksoftirqd, kworker, jbd2: they mostly work for the bench's own
/// packets and writes). Each counts its own time and that of its children it has reaped, so a short job
/// that ended between two samples counts once its parent waited for it. Summed per process rather than
/// taken from `/proc/stat` less our own, because the kernel's softirq time for the packets a bench sends
/// shows up in one and not the other (others then read 0).
struct MachineSample {
    /// Clock ticks of user + system time per other process, with its reaped children's.
    let others: [Int32: Double]
    /// Ticks of all CPUs together (`/proc/stat`), for the elapsed time.
    let total: Double
    static let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func now() -> MachineSample {
        var total = 0.0
        if let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let cpu = stat.split(separator: "\n").first, cpu.hasPrefix("cpu ")
        {
            // user nice system idle iowait irq softirq steal
            total = cpu.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }.reduce(0, +)
        }
        var parent: [Int32: Int32] = [:]
        var used: [Int32: Double] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "(comm)": state, ppid, …; utime, stime, cutime and cstime are fields 14–17 of the line.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            guard f.count >= 15, let ppid = Int32(f[1]) else { continue }
            parent[pid] = ppid
            if pid == 2 || ppid == 2 { continue }  // kthreadd and the kernel's threads
            used[pid] = [f[11], f[12], f[13], f[14]].compactMap { Double($0) }.reduce(0, +)
        }
        let me = getpid()
        func ours(_ pid: Int32) -> Bool {
            var p = pid
            for _ in 0..<64 {
                if p == me { return true }
                guard let up = parent[p], up > 1 else { return false }
                p = up
            }
            return false
        }
        return MachineSample(others: used.filter { !ours($0.key) }, total: total)
    }

    /// CPUs' worth of work other processes did from `self` to `later` (0.5: half a core on average). A
    /// process that started meanwhile counts whole; one that ended meanwhile is not seen.
    func others(until later: MachineSample) -> Double {
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let elapsed = (later.total - total) / cores
        guard elapsed > 0 else { return 0 }
        let used = later.others.reduce(0.0) { sum, p in sum + Swift.max(0, p.value - (others[p.key] ?? 0)) }
        return used / elapsed
    }
}

/// One side of a ratio: its figure, and how busy other processes kept the machine while it ran.
struct Side {
    var value: Double
    var others: Double

    /// Runs `body` and notes the other processes' load meanwhile.
    static func measure(_ body: () throws -> Double) rethrows -> Side {
        let before = MachineSample.now()
        let value = try body()
        return Side(value: value, others: before.others(until: MachineSample.now()))
    }
}

/// Other processes may differ by this many CPUs' worth of load between the two sides of a ratio.
let ratioLoadTolerance = 0.25

/// The ratio of two sides measured in one iteration, or nil (and a line saying why) when others loaded the
/// machine differently during the two, or a side measured nothing.
func pairRatio(_ a: Side, _ b: Side, _ label: String) -> Double? {
    guard a.value > 0, b.value > 0 else {
        print("# \(label): a side measured 0, no ratio")
        return nil
    }
    guard abs(a.others - b.others) <= ratioLoadTolerance else {
        print(
            "# \(label): ratio refused: other processes used \(String(format: "%.2f", a.others)) and "
                + "\(String(format: "%.2f", b.others)) CPUs during the two sides")
        return nil
    }
    return a.value / b.value
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` gives them.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// Runs one group of figures between two lines giving the machine's load average.
func group(_ name: String, _ body: () async throws -> Void) async {
    print("# group \(name): load average \(loadAverage()) before")
    do { try await body() } catch { harnessBroken("\(name): \(error)") }
    print("# group \(name): load average \(loadAverage()) after")
}

/// A harness that measured nothing where something must be measured: the figure is not printed and
/// `make bench` fails at the end.
nonisolated(unsafe) var brokenHarnesses: [String] = []

func harnessBroken(_ what: String) {
    print("bench: FAILED \(what)")
    brokenHarnesses.append(what)
}

/// The path of `program` on the PATH (or in /usr/bin), or nil.
func which(_ program: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
    return dirs.map { $0 + "/" + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// This binary's path, for the groups that run a measurement in a fresh child process of it.
let benchExecutable =
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

/// A bench that cannot produce its figure: a child failed, a workload did not do what it must.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs this binary again with `environment` added, for a measurement that needs a fresh process (peak
/// memory, a match that may never end). Returns what it printed, or nil when it outlived `timeout` seconds
/// and was stopped; throws when it exits unsuccessfully.
func benchChild(_ environment: [String: String], timeout: TimeInterval) throws -> String? {
    let out = NSTemporaryDirectory() + "ecc-bench-child-\(getpid())-\(UUID().uuidString).out"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let child = try ChildProcess.spawn(
        benchExecutable, [], stdoutPath: out, stderrPath: out, environment: environment)
    let status: Int32
    do { status = try child.wait(timeout: timeout).status } catch { return nil }
    let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard status == 0 else {
        throw BenchFailure("child \(environment) exited \(status): \(text.suffix(300))")
    }
    return text
}

/// The first line `program arguments…` prints (a peer's version, printed beside its figures), or "unknown".
func firstLine(_ program: String, _ arguments: [String]) -> String {
    let output = (try? ChildProcess.run(program, arguments, timeout: 30).output) ?? ""
    return output.split(separator: "\n").first { !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? "unknown"
}
