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

/// What the machine's CPUs did, from `/proc/stat` and this process's own times (children it waited for
/// included): enough to tell how much of the machine other processes used between two samples.
struct MachineSample {
    let busy: Double
    let total: Double
    let own: Double
    static let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Now; the CPU time of `pids` (children not waited for yet, such as a receiver under test) counts as
    /// this process's own.
    static func now(including pids: [pid_t] = []) -> MachineSample {
        var busy = 0.0
        var total = 0.0
        if let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let cpu = stat.split(separator: "\n").first, cpu.hasPrefix("cpu ")
        {
            let f = cpu.split(separator: " ").dropFirst().compactMap { Double($0) }
            // user nice system idle iowait irq softirq steal. Busy is what processes ran (user, nice, system):
            // interrupts and softirqs are work done for whoever sent the packets (often the bench itself),
            // steal is the hypervisor's; neither is another process's load.
            if f.count >= 8 {
                total = f[0..<8].reduce(0, +)
                busy = f[0] + f[1] + f[2]
            }
        }
        var own = 0.0
        for process in ["self"] + pids.map(String.init) {
            if let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            {
                // After "(comm)": state is field 3; utime, stime, cutime, cstime are fields 14–17.
                let f = stat[stat.index(after: close)...].split(separator: " ")
                if f.count >= 15 { own += [f[11], f[12], f[13], f[14]].compactMap { Double($0) }.reduce(0, +) }
            }
        }
        return MachineSample(busy: busy, total: total, own: own)
    }

    /// CPUs' worth of work other processes did from `self` to `later` (0.5: half a core on average).
    func others(until later: MachineSample) -> Double {
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let elapsed = (later.total - total) / cores
        guard elapsed > 0 else { return 0 }
        return Swift.max(0, (later.busy - busy) - (later.own - own)) / elapsed
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
