import EccCore
import EccRules
import Foundation

// `make bench`: one `bench: <name> <value> <unit>` line per figure. Release build only.
// Sizes can be scaled with ECC_BENCH_SCALE (1 = default).

func bench(_ name: String, _ value: Double, _ unit: String) {
    let text = value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    print("bench: \(name) \(text) \(unit)")
}

let scale = Double(ProcessInfo.processInfo.environment["ECC_BENCH_SCALE"] ?? "1") ?? 1
func scaled(_ n: Int) -> Int { max(1000, Int(Double(n) * scale)) }

// ECC_BENCH_ONLY=bus|core|scale|outage|replay|e2e|latency|restart|store|notify|snmp|sec|lines|syslog|log-sources|syslog-udp|files|regex
// runs one group (for profiling).
let only = ProcessInfo.processInfo.environment["ECC_BENCH_ONLY"]
func enabled(_ group: String) -> Bool { only == nil || only == group }

// The regex group's child process (Swift's `Regex` on the pathological pattern, killed after a timeout).
if ProcessInfo.processInfo.environment["ECC_BENCH_REGEX_CHILD"] != nil {
    RegexBench.child()
    exit(0)
}
// The scale group's child process: one engine, one key count, its rates and peak RSS.
if let spec = ProcessInfo.processInfo.environment["ECC_BENCH_SCALE_CHILD"] {
    ScaleBench.child(spec)
    exit(0)
}

print(
    "# ECC benchmarks on \(ProcessInfo.processInfo.activeProcessorCount) cores; each figure the median of its runs (min, max)"
)

/// `n` runs of `body`.
func runs<T>(_ n: Int = 3, _ body: () throws -> T) rethrows -> [T] { try (0..<n).map { _ in try body() } }

// Bus vs AsyncStream, 2 producers -> 1 consumer, same events, same run; the ratio round by round.
if enabled("bus") {
    await group("bus") {
        workload(
            "2 producer threads -> 1 consumer thread, realistic events (long host name, typed attributes): the "
                + "MPSC ring, one SPSC ring per producer, and AsyncStream, three rounds, ratios round by round")
        var ring: [Double] = []
        var spsc: [Double] = []
        var stream: [Double] = []
        var ratios: [Double] = []
        for round in 1...3 {
            let a = Side.measure { BusBench.ring(perProducer: scaled(4_000_000)) }
            spsc.append(SPSCBench.run(perProducer: scaled(4_000_000)))
            let before = MachineSample.now()
            let streamRate = await BusBench.asyncStream(perProducer: scaled(1_000_000))
            let b = Side(value: streamRate, others: before.others(until: MachineSample.now()))
            ring.append(a.value)
            stream.append(b.value)
            if let r = pairRatio(a, b, "bus round \(round)") { ratios.append(r) }
        }
        bench("bus_2p1c_events_per_s", Spread(ring), "events/s")
        bench("spsc_per_producer_2p1c_events_per_s", Spread(spsc), "events/s")
        bench("asyncstream_2p1c_events_per_s", Spread(stream), "events/s")
        if !ratios.isEmpty { bench("bus_vs_asyncstream_ratio", Spread(ratios), "x") }
    }
}

// Hot-path pieces on one thread.
let lines = enabled("core") ? benchLines(scaled(1_000_000)) : []
if enabled("core") {
    await group("json") {
        workload(
            "\(lines.count / 1_000_000) MB of JSON lines (time, source, host, type, severity, two attributes), "
                + "decoded on one thread into events: the hand-written decoder against Foundation's JSONDecoder into "
                + "a Decodable struct with the same fields and the time parsed alike, pair by pair, three rounds")
        var ours: [Double] = []
        var foundation: [Double] = []
        var ratios: [Double] = []
        for round in 1...3 {
            let a = Side.measure { CoreBench.decode(lines: lines) }
            let b = Side.measure { CoreBench.foundationDecode(lines: lines) }
            ours.append(a.value)
            foundation.append(b.value)
            if let r = pairRatio(a, b, "json round \(round)") { ratios.append(r) }
        }
        bench("json_decode_events_per_s", Spread(ours), "events/s")
        bench("json_decode_foundation_jsondecoder_events_per_s", Spread(foundation), "events/s")
        if !ratios.isEmpty { bench("json_decode_vs_foundation_ratio", Spread(ratios), "x") }
    }
}
let rules = try benchRules()
var events: [Event] = []
lines.withUnsafeBytes { raw in
    var start = 0
    for i in 0..<raw.count where raw[i] == 0x0A {
        if let e = try? JSONEventDecoder.decodeEvent(
            UnsafeRawBufferPointer(rebasing: raw[start..<i]), receivedAt: .zero)
        {
            events.append(e)
        }
        start = i + 1
    }
}
if enabled("core") {
    await group("engine") {
        workload(
            "the JSON lines above decoded beforehand, one thread, 10 rules (linkDown/linkUp with hold and "
                + "clear, threshold, dedup), repeats spread over their keys")
        bench(
            "engine_10_rules_events_per_s", Spread(runs { CoreBench.engine(events: events, rules: rules) }), "events/s")
    }
}

if enabled("outage") {
    await group("outage") {
        workload(
            "a CMDB of sites, routers and switches; n = \(scaled(10_000)) devices going down (root causes), link "
                + "downs on down devices (symptoms), minor alarms at a site on battery (inhibited) and devices "
                + "coming back, each timed on its own, with 0, 10k and 100k root causes already active; one "
                + "thread, 3 runs")
        for active in [0, 10_000, 100_000] {
            let name = active == 0 ? "0" : "\(active / 1000)k"
            let r = try runs { try OutageBench.run(active: active == 0 ? 0 : scaled(active), n: scaled(10_000)) }
            bench("engine_outage_raise_root_cause_\(name)_active", Spread(r.map(\.raise)), "events/s")
            bench("engine_outage_raise_symptom_\(name)_active", Spread(r.map(\.symptom)), "events/s")
            bench("engine_outage_raise_inhibited_\(name)_active", Spread(r.map(\.inhibited)), "events/s")
            bench("engine_outage_clear_root_cause_\(name)_active", Spread(r.map(\.clear)), "events/s")
        }
        workload("a group alarm with 64 and 4,096 members: member events (repeats, leaves and joins), 3 runs")
        for members in [64, 4096] {
            bench(
                "engine_group_member_events_per_s_\(members)_members",
                Spread(try runs { try WideGroupBench.run(members: members, n: scaled(100_000)) }), "events/s")
        }
    }
}

// Scale: the engine at 1 M keys in random order, and how cost grows with rules, keys, attributes and store
// size (ScaleBench), with a plot written to docs/performance-growth.png.
if enabled("scale") {
    await group("scale") { try ScaleBench.run() }
}

// Replay on event time (issue 14): `eccd --replay`'s path with the shipped rules over 1 M events.
if enabled("replay") {
    await group("replay") {
        let n = scaled(1_000_000)
        workload(
            "\(n) JSON lines of a busy estate's hour (2,000 hosts: filesystems, CPU, SSH failures, nodes, units, "
                + "64 switches x 48 ports, desktop heartbeats) through the shipped rules as eccd --replay runs them "
                + "(read from a file, decoded, the engine on event time, changes written as text); 3 runs")
        let r = try ReplayBench.run(events: n)
        bench("replay_shipped_rules_\(n / 1000)k_mixed_events_per_s", r.endToEnd, "events/s")
        bench("replay_shipped_rules_\(n / 1000)k_mixed_changes", Double(r.changes), "changes")
        bench("replay_engine_only_shipped_rules_events_per_s", r.engineOnly, "events/s")
    }
}

// End to end through a real daemon.
if enabled("e2e") {
    await group("e2e") {
        let total = scaled(2_000_000)
        workload(
            "\(total) JSON lines (the core group's) over 2 TCP connections into one eccd (10 rules, SQLite on "
                + "disk), as fast as the connections take them; until the engine handled the last, and until the "
                + "store committed the last change; 3 runs")
        var r: [(processed: Double, committed: Double, changes: Int, transactions: Int)] = []
        for _ in 0..<3 { r.append(try await EndToEndBench.jsonLinesOverTCP(total: total)) }
        bench("e2e_tcp_jsonlines_10_rules_events_per_s", Spread(r.map(\.processed)), "events/s")
        bench("e2e_tcp_jsonlines_to_sqlite_commit_events_per_s", Spread(r.map(\.committed)), "events/s")
        bench("e2e_alarm_changes_committed", Spread(r.map { Double($0.changes) }), "changes")
        bench("e2e_store_transactions", Spread(r.map { Double($0.transactions) }), "transactions")
        bench(
            "e2e_alarm_changes_per_transaction",
            Spread(r.map { Double($0.changes) / Double(max(1, $0.transactions)) }), "changes")
    }
}

// Event → alarm latency at 10/50/90 % of the measured ceiling (issue 15).
if enabled("latency") {
    await group("latency") { try await LatencyBench.run(seconds: max(2, 5 * scale)) }
}

// Restart with a big outage on the books (issue 13): start to serving with 1 M active "wide" alarms.
if enabled("restart") {
    await group("restart") {
        let n = scaled(1_000_000)
        workload(
            "a database with \(n) active alarms, each raised by an event with 20 attributes of 40 bytes, 10 "
                + "rules: seconds from starting the daemon to its HTTP port serving; 3 runs")
        var r: [(Double, Int)] = []
        for _ in 0..<3 { r.append(try await RestartBench.run(alarms: n, attributes: 20)) }
        bench("restart_\(n / 1000)k_active_alarms_20_attributes_s", Spread(r.map(\.0)), "s")
        bench("restart_database_bytes_per_alarm", Spread(r.map { Double($0.1) / Double(n) }), "bytes")
    }
}

// The incident store (issue #4): changes committed per second, listing with 1 M incidents, size.
if enabled("store") {
    await group("store") {
        let alarms = scaled(100_000)
        workload(
            "\(alarms) alarms raised (each opening an incident), repeated 4 times, then cleared (resolving it), "
                + "in engine-sized batches into the store writer, SQLite on disk; 3 runs")
        let r = try runs { try StoreBench.writer(alarms: alarms, repeats: 4) }
        bench("store_alarm_changes_committed_per_s", Spread(r.map(\.0)), "changes/s")
        bench("store_rows_committed", Spread(r.map { Double($0.1) }), "changes")
        bench(
            "store_alarm_changes_applied_uncoalesced_per_s",
            Spread(try runs { try StoreBench.applied(alarms: alarms, repeats: 4) }), "changes/s")
        // Bytes per change = MB per million. Submitted changes include the repeats the writer coalesced
        // away; rows written are what reached SQLite, so the second is the size a million stored changes take.
        bench("store_db_mb_per_million_changes_submitted", Spread(r.map(\.2)), "MB")
        bench("store_db_mb_per_million_rows_written", Spread(r.map(\.3)), "MB")
        // Listing times against store size are the scale group's (growth_store_*).
    }
}

// Notifications (issue #6): the outbox's cost to the store writer, and the dispatcher's own rate.
if enabled("notify") {
    await group("notify") {
        let alarms = scaled(50_000)
        workload(
            "\(alarms) alarms raised then cleared, each notifying a route, straight into the store: with the "
                + "outbox planning messages and without, pair by pair; then the dispatcher emptying an outbox of "
                + "\(scaled(20_000)) alarms (two receivers each) into a channel that accepts at once; 3 runs")
        var off: [Double] = []
        var on: [Double] = []
        var ratios: [Double] = []
        for round in 1...3 {
            let d1 = try StoreBench.tempDir()
            let a = try Side.measure { try NotifyBench.store(alarms: alarms, planning: false, dir: d1) }
            try? FileManager.default.removeItem(atPath: d1)
            let d2 = try StoreBench.tempDir()
            let b = try Side.measure { try NotifyBench.store(alarms: alarms, planning: true, dir: d2) }
            try? FileManager.default.removeItem(atPath: d2)
            off.append(a.value)
            on.append(b.value)
            if let r = pairRatio(b, a, "notify round \(round)") { ratios.append(r) }
        }
        bench("notify_store_changes_per_s_outbox_off", Spread(off), "changes/s")
        bench("notify_store_changes_per_s_outbox_on", Spread(on), "changes/s")
        if !ratios.isEmpty { bench("notify_store_outbox_on_vs_off_ratio", Spread(ratios), "x") }
        let d = try runs { () throws -> (Double, Int) in
            let d3 = try StoreBench.tempDir()
            defer { try? FileManager.default.removeItem(atPath: d3) }
            return try NotifyBench.dispatch(alarms: scaled(20_000), dir: d3)
        }
        bench("notify_dispatch_messages_per_s", Spread(d.map(\.0)), "messages/s")
        bench("notify_dispatch_messages_sent", Double(d[0].1), "messages")
    }
}

// SNMP traps: eccd vs snmptrapd vs a do-nothing receiver, lossless rate (issue #5).
// ECC_BENCH_ONLY=snmp-one-thread runs only its one-thread pieces (decode, engine), for profiling.
if enabled("snmp") || only == "snmp-one-thread" {
    await group("snmp-decode") { SNMPDecodeBench.run(count: scaled(1_000_000)) }
    if only != "snmp-one-thread" { await group("snmp") { try await TrapBench.run() } }
}

// ECC vs SEC (Simple Event Correlator, Perl): the same raw lines, nine constructs, equal alarms (SECBench).
if enabled("sec") { await group("sec") { SECBench.run(lines: max(50_000, Int(1_000_000 * scale))) } }
// Raw lines through parsers.
if enabled("sec") || enabled("lines") { await group("lines") { ParserBench.run(scale: scale) } }

// Syslog messages into events: the parser alone, and parsed into events with and without the shipped parsers.
if enabled("syslog") {
    await group("syslog") {
        do {
            SyslogBench.run(scale: scale, shipped: try RuleLoader.load(paths: ["rules/parsers.yaml"]).parsers)
        } catch {
            harnessBroken("syslog: rules/parsers.yaml did not load (run from the repository): \(error)")
        }
    }
}

// The journal and Suricata's EVE into events (LogSourcesBench).
if enabled("log-sources") {
    await group("log-sources") {
        do {
            try LogSourcesBench.run(scale: scale, shipped: try RuleLoader.load(paths: ["rules/parsers.yaml"]).parsers)
        } catch {
            harnessBroken("log-sources: \(error)")
        }
    }
}

// A followed log file through the shipped parsers and rules (FileBench).
if enabled("files") { await group("files") { try await FileBench.run(count: scaled(500_000)) } }

// Syslog over UDP: eccd vs rsyslog vs a do-nothing receiver, lossless rate (SyslogLosslessBench).
if enabled("syslog-udp") { await group("syslog-udp") { try await SyslogLosslessBench.run() } }

// Rule regexes: RE2 vs PCRE2 vs Swift's `Regex`, speed on rule patterns and safety on a pathological one.
// Last, because its Swift-`Regex` child may be killed after a timeout.
if enabled("regex") {
    await group("regex") { try RegexBench.run(texts: scaled(200_000)) }
}

// A harness that measured nothing where something must be measured fails `make bench`.
if !brokenHarnesses.isEmpty {
    print("bench: \(brokenHarnesses.count) figure(s) not measured: \(brokenHarnesses.joined(separator: "; "))")
    exit(1)
}
