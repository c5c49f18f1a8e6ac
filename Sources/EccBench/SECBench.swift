import EccTestSupport
import Foundation

// ECC vs SEC (Simple Event Correlator 2.9, Debian package `sec`, Perl), fairly (issue 15): the same raw
// syslog lines from one file, nine correlation constructs written once for each engine, both whole
// processes on the lines' own timestamps, and the alarms checked equal as multisets before any figure is
// printed. The workload, the two rule sets and every semantic difference are in bench/sec/README.md:
//
// - input: `bench/sec/generate.py N` (N = 1,000,000 × ECC_BENCH_SCALE lines, seed 1), written once;
// - ECC: `eccd --replay FILE --input text --rules bench/sec/ecc` (the release eccd beside this binary):
//   its parsers read the lines, its engine runs on event time;
// - SEC: `perl -Ibench/sec -MFakeClock /usr/bin/sec --conf=bench/sec/sec.conf --input=FILE --notail
//   --nointevents --debug=1` with TZ=UTC; FakeClock makes SEC's time() the time of the line in hand;
// - equality: `bench/sec/compare.py --time` on the two outputs (one normal form, the comparison's one
//   home); a difference fails the bench;
// - figures, 3 rounds, ECC and SEC alternating: lines/s by wall clock, CPU seconds (user + system, from
//   wait4) and peak RSS of each process, and the ratio of the two rates pair by pair within a round
//   (refused when other processes loaded the machine differently during the two).

enum SECBench {
    /// One whole process, measured.
    struct Measured {
        var wall: Double
        var cpu: Double
        var peakRSS: Int
        var others: Double
    }

    static func run(lines n: Int) {
        guard FileManager.default.fileExists(atPath: "bench/sec/sec.conf") else {
            harnessBroken("sec: bench/sec not found; run make bench from the repository root")
            return
        }
        guard let perl = which("perl"), let sec = findSEC() else {
            harnessBroken("sec: SEC not installed (make bench-deps installs Debian's sec)")
            return
        }
        let eccd = URL(fileURLWithPath: benchExecutable).deletingLastPathComponent().appendingPathComponent("eccd").path
        guard FileManager.default.isExecutableFile(atPath: eccd) else {
            harnessBroken("sec: no eccd beside this binary (\(eccd)); make bench builds it")
            return
        }
        print("# sec: \(firstLine(perl, [sec, "--version"])), perl \(firstLine(perl, ["-e", "print $^V"]))")
        let dir = NSTemporaryDirectory() + "ecc-sec-bench-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/lines.log"
        do {
            _ = try spawn(["/usr/bin/python3", "bench/sec/generate.py", String(n), "1"], stdout: input)
            var ecc: [Measured] = []
            var secRuns: [Measured] = []
            var ratios: [Double] = []
            var cpuRatios: [Double] = []
            for round in 1...3 {
                let e = try spawn(
                    [eccd, "--replay", input, "--input", "text", "--rules", "bench/sec/ecc"], stdout: dir + "/ecc.out",
                    stderr: dir + "/ecc.err")
                let s = try spawn(
                    [
                        perl, "-Ibench/sec", "-MFakeClock", sec, "--conf=bench/sec/sec.conf", "--input=\(input)",
                        "--notail", "--nointevents", "--debug=1",
                    ], stdout: dir + "/sec.out", stderr: dir + "/sec.err", environment: ["TZ": "UTC"])
                let compare = try spawn(
                    ["/usr/bin/python3", "bench/sec/compare.py", "--time", dir + "/ecc.out", dir + "/sec.out"],
                    stdout: dir + "/compare.out", check: false)
                let verdict = (try? String(contentsOfFile: dir + "/compare.out", encoding: .utf8)) ?? ""
                if round == 1 || compare.status != 0 {
                    for line in verdict.split(separator: "\n") { print("# sec: \(line)") }
                }
                guard compare.status == 0 else {
                    harnessBroken("sec: ECC's and SEC's alarms differ (round \(round)); see bench/sec/README.md")
                    return
                }
                ecc.append(e.measured)
                secRuns.append(s.measured)
                let a = Side(value: Double(n) / e.measured.wall, others: e.measured.others)
                let b = Side(value: Double(n) / s.measured.wall, others: s.measured.others)
                if let r = pairRatio(a, b, "sec round \(round)") {
                    ratios.append(r)
                    cpuRatios.append(s.measured.cpu / e.measured.cpu)
                }
            }
            let label = n >= 1_000_000 ? "\(n / 1_000_000)m" : "\(n / 1000)k"
            workload(
                "\(n) syslog lines (bench/sec/generate.py \(n) 1: checks failing and recovering, services "
                    + "restarting, SSH brute force, heartbeats, maintenance, OOM kills, disk warnings, snapshots, "
                    + "noise) through nine constructs written for each engine (bench/sec/README.md); whole processes "
                    + "on the lines' timestamps: eccd --replay --input text, and SEC 2.9 under FakeClock; alarms equal "
                    + "(compare.py --time) in every round; 3 rounds")
            bench("sec_fair_\(label)_lines_ecc_lines_per_s", Spread(ecc.map { Double(n) / $0.wall }), "lines/s")
            bench("sec_fair_\(label)_lines_sec_lines_per_s", Spread(secRuns.map { Double(n) / $0.wall }), "lines/s")
            if !ratios.isEmpty {
                bench("sec_fair_ecc_vs_sec_ratio", Spread(ratios), "x")
                bench("sec_fair_ecc_vs_sec_cpu_ratio", Spread(cpuRatios), "x")
            }
            bench("sec_fair_ecc_cpu_s", Spread(ecc.map(\.cpu)), "s")
            bench("sec_fair_sec_cpu_s", Spread(secRuns.map(\.cpu)), "s")
            bench("sec_fair_ecc_peak_rss", Spread(ecc.map { Double($0.peakRSS) / 1_048_576 }), "MB")
            bench("sec_fair_sec_peak_rss", Spread(secRuns.map { Double($0.peakRSS) / 1_048_576 }), "MB")
        } catch {
            harnessBroken("sec: \(error)")
        }
    }

    /// Runs `argv` to its end, standard output (and error) into files, and measures it: wall clock, user +
    /// system CPU from `wait4`, peak RSS, and what other processes used of the machine meanwhile. One that
    /// outlives `timeout` seconds is stopped and fails the bench.
    static func spawn(
        _ argv: [String], stdout: String, stderr: String = "/dev/null", environment: [String: String] = [:],
        check: Bool = true, timeout: TimeInterval = 1200
    ) throws -> (status: Int32, measured: Measured) {
        for path in [stdout, stderr] where path != "/dev/null" { try? FileManager.default.removeItem(atPath: path) }
        let before = MachineSample.now()
        let start = ContinuousClock.now
        let child = try ChildProcess.spawn(
            argv[0], Array(argv.dropFirst()), stdoutPath: stdout, stderrPath: stderr, environment: environment)
        // Peak RSS is the child's VmHWM, read until it exits: wait4's ru_maxrss would be at least this
        // process's own (posix_spawn's child shares our memory until exec, and exec keeps its high mark).
        var peak = 0
        let exit: Int32
        let usage: rusage
        do {
            (exit, usage) = try child.wait(timeout: timeout) {
                peak = max(peak, ScaleBench.peakResidentBytes(of: "\(child.pid)"))
            }
        } catch {
            throw BenchFailure("\(argv.joined(separator: " ")) did not finish within \(Int(timeout)) s; stopped")
        }
        let d = ContinuousClock.now - start
        let wall = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        if check && exit != 0 {
            let err = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
            throw BenchFailure("\(argv.joined(separator: " ")) exited \(exit): \(err.suffix(500))")
        }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (
            exit,
            Measured(
                wall: wall, cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime), peakRSS: peak,
                others: before.others(until: MachineSample.now()))
        )
    }

    /// `sec` on the PATH, if it is the Simple Event Correlator.
    static func findSEC() -> String? {
        guard let exe = which("sec"),
            let text = try? String(contentsOfFile: exe, encoding: .utf8).prefix(4096),
            text.contains("Simple Event Correlator")
        else { return nil }
        return exe
    }
}
