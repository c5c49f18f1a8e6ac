import EccCore
import EccRules
import EccYAML
import Foundation

/// How the engine's cost grows (issue 15): with the number of rules, of live alarm keys and of attributes
/// per event. Every key measurement runs in a fresh child process (this binary with
/// `ECC_BENCH_SCALE_CHILD` set), so its peak resident set (`VmHWM`) is that of one engine and nothing
/// else, and no heap left over from an earlier measurement helps or hurts it.
///
/// Workload of one child: K distinct keys, each raised once in a random order (a multiplicative
/// permutation of 0..<K), then each touched again (a repeat) in another random order. Events are built
/// untimed in chunks of 65,536 and fed to `Engine.handle` timed, so the figure is the engine's, not the
/// generator's. The orders are the strides k -> (k * p + 7) mod K for two large primes p: a fixed
/// permutation, not a shuffle, but one whose neighbours are far apart in key and in hash. Memory is
/// measured by other children that make each event just before the engine takes it.
enum ScaleBench {
    /// Which rules a child runs.
    enum RuleBase: Equatable {
        /// `rules/`, as shipped: events rotate over three immediate raises with distinct keys (`unitFailed`
        /// → service-failed, whose key service-restart-loop also holds as a pending sequence;
        /// `filesystemFull`; `malware`).
        case shipped
        /// `n` rules, each for its own event type (`t0`…); event k has type `t(k mod n)`.
        case synthetic(Int)

        var spec: String {
            switch self {
            case .shipped: "shipped"
            case .synthetic(let n): String(n)
            }
        }

        init?(spec: String) {
            if spec == "shipped" {
                self = .shipped
            } else if let n = Int(spec), n > 0 {
                self = .synthetic(n)
            } else {
                return nil
            }
        }
    }

    /// `n` rules, each for its own event type, like a large rule base.
    static func rules(_ n: Int) throws -> RuleSet {
        var yaml = ""
        for i in 0..<n {
            yaml +=
                "- rule: r\(i)\n  when: {type: t\(i), source: snmp}\n  key: \"{host}/{ifIndex}\"\n"
                + "  clear_when: {type: u\(i)}\n  alarm: {severity: major, summary: \"t\(i) on {host}\"}\n"
        }
        let (r, errors) = RuleParser.parse(yaml, file: "scale.yaml")
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return try RuleSet(r)
    }

    static func ruleSet(_ base: RuleBase) throws -> RuleSet {
        switch base {
        case .shipped: try RuleLoader.load(paths: ["rules"])
        case .synthetic(let n): try rules(n)
        }
    }

    static func event(type: String, host: Int, ifIndex: Int) -> Event {
        Event(
            time: EventTime(nanoseconds: 1_795_600_800_000_000_000), source: "snmp", host: "core-sw-\(host).dc1",
            type: type, severity: .major, attributes: ["ifIndex": .int(Int64(ifIndex))])
    }

    static let time = EventTime(nanoseconds: 1_795_600_800_000_000_000)

    /// The event for key `k` under `base`, with `attributes` attributes in all (at least 2).
    static func event(key k: Int, base: RuleBase, attributes: Int) -> Event {
        var a = Attributes()
        a.reserveCapacity(attributes)
        let e: Event
        switch base {
        case .synthetic(let n):
            // host/ifIndex is unique per k: 48 ports per host. "h" and up to 6 digits stays an inline string.
            a.appendUnchecked("ifIndex", .int(Int64(k % 48)))
            a.appendUnchecked("site", .string("dc\(k % 4)"))
            e = Event(time: time, source: "snmp", host: "h\(k / 48)", type: "t\(k % n)", severity: .major)
        case .shipped:
            let j = k / 3
            let host = "h\(j / 8)"
            switch k % 3 {
            case 0:
                a.appendUnchecked("unit", .string("u\(j % 8).service"))
                a.appendUnchecked("result", .string("exit-code"))
                e = Event(time: time, source: "agent", host: host, type: "unitFailed", severity: .minor)
            case 1:
                a.appendUnchecked("mount", .string("/m\(j % 8)"))
                a.appendUnchecked("pct", .int(99))
                e = Event(time: time, source: "agent", host: host, type: "filesystemFull", severity: .major)
            default:
                a.appendUnchecked("signature", .string("Eicar-\(j % 8)"))
                a.appendUnchecked("path", .string("/tmp/x"))
                e = Event(time: time, source: "security", host: host, type: "malware", severity: .critical)
            }
        }
        for i in 2..<max(2, attributes) { a.appendUnchecked(extraNames[i], .int(Int64(i))) }
        var out = e
        out.attributes = a
        return out
    }

    /// Names of extra attributes, made once (`x2` … `x199`).
    static let extraNames = (0..<200).map { "x\($0)" }

    /// What the children measured for one configuration: rates from three, memory from three others.
    struct Measured {
        var raise: Spread
        var touch: Spread
        var alarms: Int
        /// Resident bytes per live alarm: VmHWM after the raises less VmHWM before the first event.
        var perAlarm: Spread
        /// VmHWM of the memory children, in MB.
        var peak: Spread
    }

    /// The child's side: `ECC_BENCH_SCALE_CHILD="RULES KEYS ATTRIBUTES rate|memory"`; prints one
    /// `scale-child:` line. A rate child builds events untimed in chunks and times the engine alone; a
    /// memory child makes each event just before the engine takes it (nothing else held), and reports
    /// its peak resident set after raising every key less its peak before the first event.
    static func child(_ spec: String) {
        let f = spec.split(separator: " ").map(String.init)
        guard f.count == 4, let rulesBase = RuleBase(spec: f[0]), let keys = Int(f[1]), let attributes = Int(f[2]),
            let rules = try? ruleSet(rulesBase)
        else {
            print("# scale child: bad spec '\(spec)' (or the rules do not load)")
            exit(2)
        }
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        // Two primes larger than any key count, so k -> (k * p + 7) mod keys is a permutation of 0..<keys.
        let first = 2_654_435_761
        let second = 4_294_967_291
        if f[3] == "memory" {
            let before = peakResidentBytes()
            for j in 0..<keys {
                engine.handle(
                    event(key: (j &* first &+ 7) % keys, base: rulesBase, attributes: attributes), at: time,
                    into: &batch)
                if batch.count > 4096 { batch.removeAll() }
            }
            batch.removeAll()
            let after = peakResidentBytes()
            print("scale-child: \(engine.activeAlarmCount) \(after - before) \(after)")
            return
        }
        var chunk: [Event] = []
        chunk.reserveCapacity(65_536)
        // Feeds every key once in the permutation's order; the timed part is the engine's only.
        func pass(_ p: Int) -> Double {
            var seconds = 0.0
            var i = 0
            while i < keys {
                let end = min(keys, i + 65_536)
                chunk.removeAll(keepingCapacity: true)
                for j in i..<end {
                    chunk.append(event(key: (j &* p &+ 7) % keys, base: rulesBase, attributes: attributes))
                }
                seconds += timed {
                    for e in chunk {
                        engine.handle(e, at: time, into: &batch)
                        if batch.count > 4096 { batch.removeAll() }
                    }
                }
                i = end
            }
            batch.removeAll()
            return keys > 0 ? Double(keys) / seconds : 0
        }
        let raise = pass(first)
        let alarms = engine.activeAlarmCount
        let touch = pass(second)
        if engine.activeAlarmCount != alarms { print("# warning: \(engine.activeAlarmCount) alarms after touching") }
        print("scale-child: \(raise) \(touch) \(alarms)")
    }

    /// Runs one child and returns the numbers of its line.
    static func runChild(_ base: RuleBase, keys: Int, attributes: Int, mode: String) throws -> [Double] {
        let spec = "\(base.spec) \(keys) \(attributes) \(mode)"
        guard let text = try benchChild(["ECC_BENCH_SCALE_CHILD": spec], timeout: 1800) else {
            throw BenchFailure("scale child (\(spec)) did not finish within 30 minutes")
        }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") { print(line) }
            guard line.hasPrefix("scale-child: ") else { continue }
            let numbers = line.dropFirst("scale-child: ".count).split(separator: " ").compactMap { Double($0) }
            if numbers.count == 3 { return numbers }
        }
        throw BenchFailure("scale child (\(spec)) printed \(text)")
    }

    /// Six fresh children for one configuration: three for the rates, three for the memory.
    static func measure(_ base: RuleBase, keys: Int, attributes: Int = 2) throws -> Measured {
        let rates = try (0..<3).map { _ in try runChild(base, keys: keys, attributes: attributes, mode: "rate") }
        let memory = try (0..<3).map { _ in try runChild(base, keys: keys, attributes: attributes, mode: "memory") }
        let alarms = Int(memory[0][0])
        // Every key raises one alarm under both rule bases: anything else is a broken workload.
        guard (rates.map { Int($0[2]) } + memory.map { Int($0[0]) }).allSatisfy({ $0 == keys }) else {
            throw BenchFailure(
                "scale \(base.spec) \(keys) keys: live alarms \(rates.map { Int($0[2]) }) and "
                    + "\(memory.map { Int($0[0]) }), not one per key")
        }
        return Measured(
            raise: Spread(rates.map { $0[0] }), touch: Spread(rates.map { $0[1] }), alarms: alarms,
            perAlarm: Spread(memory.map { $0[1] / Double(max(1, alarms)) }),
            peak: Spread(memory.map { $0[2] / 1_048_576 }))
    }

    /// Peak resident set size (`VmHWM` in /proc/PROCESS/status) of this process or another, in bytes; 0 when
    /// it cannot be read.
    static func peakResidentBytes(of process: String = "self") -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kb * 1024
        }
        return 0
    }

    /// Events/s through an engine with `ruleCount` rules; `matching` events hit rule 0, others no rule.
    static func ruleScaling(ruleCount: Int, matching: Bool, events n: Int) throws -> Double {
        var engine = Engine(rules: try rules(ruleCount))
        let events = (0..<4096).map { i in
            event(type: matching ? "t\(i % ruleCount)" : "other\(i % 7)", host: i % 500, ifIndex: i % 48)
        }
        var batch = ChangeBatch()
        let seconds = timed {
            for i in 0..<n {
                engine.handle(events[i & 4095], at: time, into: &batch)
                if batch.count > 4096 { batch.removeAll() }
            }
        }
        return Double(n) / seconds
    }
}

/// The scale group's report: the engine at 1 M keys, the growth tables and their plot.
extension ScaleBench {

    static func run() throws {
        workload(
            "K distinct alarm keys, each raised once in a random order, then each touched again (a repeat) in "
                + "another random order; events built untimed in chunks of 65,536, the engine timed alone on one "
                + "thread; rates from 3 fresh child processes; memory from 3 others that make each event just before the engine "
                + "takes it: VmHWM after the raises less VmHWM before the first event, per live alarm")
        var plot = GrowthPlot()
        for base in [RuleBase.shipped, .synthetic(1000)] {
            let name = base == .shipped ? "shipped_rules" : "1000_rules"
            let m = try measure(base, keys: 1_000_000)
            bench("engine_\(name)_1m_keys_random_raise_events_per_s", m.raise, "events/s")
            bench("engine_\(name)_1m_keys_random_repeat_events_per_s", m.touch, "events/s")
            bench("engine_\(name)_1m_keys_live_alarms", Double(m.alarms), "alarms")
            bench("engine_\(name)_rss_per_live_alarm", m.perAlarm, "bytes")
            bench("engine_\(name)_1m_keys_peak_rss", m.peak, "MB")
        }

        print("# growth: rules (synthetic, one type each; 100k keys spread over them)")
        for n in [10, 100, 1000, 10_000] {
            let m = try measure(.synthetic(n), keys: 100_000)
            let touch = m.touch
            bench("growth_rules_\(n)_100k_keys_repeat_events_per_s", touch, "events/s")
            bench("growth_rules_\(n)_100k_keys_peak_rss", m.peak, "MB")
            let nomatch = try (0..<3).map { _ in
                try ruleScaling(ruleCount: n, matching: false, events: scaled(2_000_000))
            }
            bench("growth_rules_\(n)_nomatch_events_per_s", Spread(nomatch), "events/s")
            plot.rules.append((Double(n), touch.median, Spread(nomatch).median))
        }

        print("# growth: live keys (10 synthetic rules)")
        var perAlarmAt1M = 0.0
        for keys in [1_000, 10_000, 100_000, 1_000_000, 10_000_000] {
            if keys == 10_000_000 {
                let need = perAlarmAt1M * 1e7 * 1.5
                let available = Double(memAvailable())
                if need > available {
                    print(
                        "# growth: 10M keys skipped: about \(Int(need / 1e9)) GB needed, \(Int(available / 1e9)) GB available"
                    )
                    continue
                }
            }
            let m = try measure(.synthetic(10), keys: keys)
            let label = keys >= 1_000_000 ? "\(keys / 1_000_000)m" : "\(keys / 1000)k"
            let touch = m.touch
            let raise = m.raise
            let per = m.perAlarm
            if keys == 1_000_000 { perAlarmAt1M = per.median }
            bench("growth_keys_\(label)_raise_events_per_s", raise, "events/s")
            bench("growth_keys_\(label)_repeat_events_per_s", touch, "events/s")
            bench("growth_keys_\(label)_rss_per_live_alarm", per, "bytes")
            plot.keys.append((Double(keys), raise.median, touch.median, per.median))
        }

        print("# growth: attributes per event (10 synthetic rules, 100k keys)")
        for attributes in [2, 20, 200] {
            let m = try measure(.synthetic(10), keys: 100_000, attributes: attributes)
            let touch = m.touch
            let per = m.perAlarm
            bench("growth_attributes_\(attributes)_repeat_events_per_s", touch, "events/s")
            bench("growth_attributes_\(attributes)_raise_events_per_s", m.raise, "events/s")
            bench("growth_attributes_\(attributes)_rss_per_live_alarm", per, "bytes")
            plot.attributes.append((Double(attributes), touch.median, per.median))
        }

        print("# growth: store size (incidents, one in 20 open; the desk's two listings, 100 rows, 5 runs each)")
        for n in [10_000, 100_000, 1_000_000, 10_000_000] {
            let label = n >= 1_000_000 ? "\(n / 1_000_000)m" : "\(n / 1000)k"
            let (open, owned) = try StoreBench.listing(incidents: n)
            bench("growth_store_\(label)_incidents_list_open_ms", open, "ms")
            bench("growth_store_\(label)_incidents_list_open_p1_by_owner_ms", owned, "ms")
            plot.store.append((Double(n), open.median, owned.median))
        }
        plot.write(to: "docs/performance-growth.png")
    }

    /// MemAvailable from /proc/meminfo, in bytes.
    static func memAvailable() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return (line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0) * 1024
        }
        return 0
    }
}

/// The growth tables drawn by gnuplot (Debian's `gnuplot-nox`, installed by `make bench-deps`) into one PNG.
struct GrowthPlot {
    var rules: [(Double, Double, Double)] = []
    var keys: [(Double, Double, Double, Double)] = []
    var attributes: [(Double, Double, Double)] = []
    var store: [(Double, Double, Double)] = []

    func write(to png: String) {
        guard let gnuplot = which("gnuplot") else {
            print("bench: growth plot skipped: gnuplot not installed (make bench-deps)")
            return
        }
        let dir = NSTemporaryDirectory() + "ecc-growth-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func table(_ name: String, _ rows: [[Double]]) {
            let text = rows.map { $0.map { String($0) }.joined(separator: " ") }.joined(separator: "\n") + "\n"
            try? text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        table("rules", rules.map { [$0.0, $0.1 / 1e6, $0.2 / 1e6] })
        table("keys", keys.map { [$0.0, $0.1 / 1e6, $0.2 / 1e6, $0.3] })
        table("attributes", attributes.map { [$0.0, $0.1 / 1e6, $0.2] })
        table("store", store.map { [$0.0, $0.1, $0.2] })
        let script = """
            set terminal pngcairo size 1400,1000 font ",11"
            set output '\(FileManager.default.currentDirectoryPath)/\(png)'
            set multiplot layout 2,2 title "ECC engine and store growth (make bench, ECC_BENCH_ONLY=scale; engine: medians of 3 fresh processes, one thread)" noenhanced
            set logscale x
            set grid
            set key bottom left
            set yrange [0:*]
            set y2range [0:*]
            set title "Rules (100k keys)"; set xlabel "rules"; set ylabel "M events/s"
            plot '\(dir)/rules' using 1:2 with linespoints title "repeat, matching", '' using 1:3 with linespoints title "no rule matches"
            set title "Live keys (10 rules)"; set xlabel "live alarm keys"; set ylabel "M events/s"; set y2label "bytes per live alarm"; set y2tics; set ytics nomirror
            plot '\(dir)/keys' using 1:2 with linespoints title "raise", '' using 1:3 with linespoints title "repeat", '' using 1:4 axes x1y2 with linespoints title "RSS per alarm"
            set title "Attributes per event (100k keys)"; set xlabel "attributes"; set ylabel "M events/s"; set y2label "bytes per live alarm"
            plot '\(dir)/attributes' using 1:2 with linespoints title "repeat", '' using 1:3 axes x1y2 with linespoints title "RSS per alarm"
            unset y2tics; unset y2label; set ytics mirror
            set title "Store size (desk listings, 100 rows; median of 5)"; set xlabel "incidents"; set ylabel "ms"
            plot '\(dir)/store' using 1:2 with linespoints title "open, newest first", '' using 1:3 with linespoints title "open P1 by owner"
            unset multiplot

            """
        try? script.write(toFile: dir + "/plot.gp", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gnuplot)
        p.arguments = [dir + "/plot.gp"]
        do {
            try p.run()
            p.waitUntilExit()
            print(
                p.terminationStatus == 0
                    ? "# growth: plot written to \(png)"
                    : "bench: growth plot failed: gnuplot exited \(p.terminationStatus)")
        } catch { print("bench: growth plot failed: \(error)") }
    }
}
