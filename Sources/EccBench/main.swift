import EccCore
import Foundation

// `make bench`: one `bench: <name> <value> <unit>` line per figure. Release build only.
// Sizes can be scaled with ECC_BENCH_SCALE (1 = default).

func bench(_ name: String, _ value: Double, _ unit: String) {
    let text = value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    print("bench: \(name) \(text) \(unit)")
}

let scale = Double(ProcessInfo.processInfo.environment["ECC_BENCH_SCALE"] ?? "1") ?? 1
func scaled(_ n: Int) -> Int { max(1000, Int(Double(n) * scale)) }

// ECC_BENCH_ONLY=bus|core|scale|outage|replay|e2e|latency|restart|store|notify|snmp|sec|lines|regex runs one group (for profiling).
let only = ProcessInfo.processInfo.environment["ECC_BENCH_ONLY"]
func enabled(_ group: String) -> Bool { only == nil || only == group }

// The regex group's child process (Swift's `Regex` on the pathological pattern, killed after a timeout).
if ProcessInfo.processInfo.environment["ECC_BENCH_REGEX_CHILD"] != nil {
    RegexBench.child()
    exit(0)
}

print("# ECC benchmarks on \(ProcessInfo.processInfo.activeProcessorCount) cores; best of 3 where noted")

// Bus vs AsyncStream, 2 producers -> 1 consumer, same events, same run.
var ringRates: [Double] = []
var spscRates: [Double] = []
var streamRates: [Double] = []
for _ in 0..<(enabled("bus") ? 3 : 0) {
    ringRates.append(BusBench.ring(perProducer: scaled(4_000_000)))
    spscRates.append(SPSCBench.run(perProducer: scaled(4_000_000)))
    streamRates.append(await BusBench.asyncStream(perProducer: scaled(1_000_000)))
}
let ringBest = ringRates.max() ?? 0
let streamBest = streamRates.max() ?? 1
if enabled("bus") {
    bench("bus_2p1c_events_per_s", ringBest, "events/s")
    bench("spsc_per_producer_2p1c_events_per_s", spscRates.max() ?? 0, "events/s")
    bench("asyncstream_2p1c_events_per_s", streamBest, "events/s")
    bench("bus_vs_asyncstream_ratio", ringBest / streamBest, "x")
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
    bench("engine_10_rules_events_per_s", CoreBench.engine(events: events, rules: rules), "events/s")
}

if enabled("outage") {
    // Big outages (OutageBench): rates with 0, 10 k and 100 k root-cause alarms already active.
    for active in [0, 10_000, 100_000] {
        let name = active == 0 ? "0" : "\(active / 1000)k"
        do {
            let r = try OutageBench.run(active: active == 0 ? 0 : scaled(active), n: scaled(10_000))
            bench("engine_outage_raise_root_cause_\(name)_active", r.raise, "events/s")
            bench("engine_outage_raise_symptom_\(name)_active", r.symptom, "events/s")
            bench("engine_outage_raise_inhibited_\(name)_active", r.inhibited, "events/s")
            bench("engine_outage_clear_root_cause_\(name)_active", r.clear, "events/s")
        } catch { print("bench: outage failed: \(error)") }
    }
    // A wide group alarm: member events (repeats, leaves and joins) with 64 and 4,096 members.
    for members in [64, 4096] {
        do {
            bench(
                "engine_group_member_events_per_s_\(members)_members",
                try WideGroupBench.run(members: members, n: scaled(100_000)), "events/s")
        } catch { print("bench: wide group failed: \(error)") }
    }
}

// Scale: rule count (an event matching no rule, and one matching) and live keys, with RSS at 1 M keys.
if enabled("scale") {
    for n in [10, 100, 1000] {
        bench(
            "engine_\(n)_rules_nomatch_events_per_s",
            try ScaleBench.ruleScaling(ruleCount: n, matching: false, events: scaled(2_000_000)), "events/s")
        bench(
            "engine_\(n)_rules_match_events_per_s",
            try ScaleBench.ruleScaling(ruleCount: n, matching: true, events: scaled(2_000_000)), "events/s")
    }
    for keys in [1_000, 100_000, 1_000_000] {
        let (rate, rss) = try ScaleBench.keyScaling(keys: keys, events: scaled(2_000_000))
        bench("engine_\(keys / 1000)k_keys_events_per_s", rate, "events/s")
        if keys == 1_000_000 { bench("engine_rss_1m_keys", Double(rss) / 1_048_576, "MB") }
    }
}

// Replay on event time (issue 14): `eccd --replay`'s path with the shipped rules over 1 M events.
if enabled("replay") {
    do {
        let n = scaled(1_000_000)
        let r = try ReplayBench.run(events: n)
        bench("replay_shipped_rules_\(n / 1000)k_mixed_events_per_s", r.endToEnd, "events/s")
        bench("replay_shipped_rules_\(n / 1000)k_mixed_changes", Double(r.changes), "changes")
        bench("replay_engine_only_shipped_rules_events_per_s", r.engineOnly, "events/s")
        bench("replay_rss_growth_\(n / 1000)k_mixed_mb", Double(r.rssGrowth) / 1_048_576, "MB")
    } catch { print("bench: replay failed: \(error)") }
}

// End to end through a real daemon.
if enabled("e2e") {
    // Three runs: the figure on 2 shared cores swings with thread scheduling; best and median are shown.
    var runs: [(Double, Double, Int)] = []
    for _ in 0..<3 { runs.append(try await EndToEndBench.jsonLinesOverTCP(total: scaled(2_000_000))) }
    let byRate = runs.sorted { $0.0 < $1.0 }
    bench("e2e_tcp_jsonlines_10_rules_events_per_s", byRate[2].0, "events/s")
    bench("e2e_tcp_jsonlines_10_rules_median_events_per_s", byRate[1].0, "events/s")
    bench("e2e_tcp_jsonlines_to_sqlite_commit_events_per_s", byRate[2].1, "events/s")
    bench("e2e_alarm_changes_committed", Double(byRate[2].2), "changes")
}

// Event → alarm latency at 10/50/90 % of the measured ceiling (issue 15).
if enabled("latency") {
    await group("latency") { try await LatencyBench.run(seconds: max(2, 5 * scale)) }
}

// Restart with a big outage on the books (issue 13): start to serving with 1 M active "wide" alarms.
if enabled("restart") {
    do {
        let n = scaled(1_000_000)
        let (seconds, bytes) = try await RestartBench.run(alarms: n, attributes: 20)
        bench("restart_\(n / 1000)k_active_alarms_20_attributes_s", seconds, "s")
        bench("restart_database_bytes_per_alarm", Double(bytes) / Double(n), "bytes")
    } catch { print("bench: restart failed: \(error)") }
}

// The incident store (issue #4): changes committed per second, listing with 1 M incidents, size.
if enabled("store") {
    var rates: [(Double, Int, Double, Double)] = []
    for _ in 0..<3 { rates.append(try StoreBench.writer(alarms: scaled(100_000), repeats: 4)) }
    let best = rates.max { $0.0 < $1.0 } ?? (0, 0, 0, 0)
    bench("store_alarm_changes_committed_per_s", best.0, "changes/s")
    bench("store_rows_committed", Double(best.1), "changes")
    bench(
        "store_alarm_changes_applied_uncoalesced_per_s", try StoreBench.applied(alarms: scaled(100_000), repeats: 4),
        "changes/s")
    // Bytes per change = MB per million. Submitted changes include the repeats the writer coalesced away;
    // rows written are what reached SQLite, so the second is the size a million stored changes take.
    bench("store_db_mb_per_million_changes_submitted", best.2, "MB")
    bench("store_db_mb_per_million_rows_written", best.3, "MB")
    let (open, owned) = try StoreBench.listing(incidents: scaled(1_000_000))
    bench("store_list_open_incidents_1m_ms", open, "ms")
    bench("store_list_open_p1_by_owner_1m_ms", owned, "ms")
}

// Notifications (issue #6): the outbox's cost to the store writer, and the dispatcher's own rate.
if enabled("notify") {
    var off: [Double] = []
    var on: [Double] = []
    for _ in 0..<3 {
        let d1 = try StoreBench.tempDir()
        off.append(try NotifyBench.store(alarms: scaled(50_000), planning: false, dir: d1))
        try? FileManager.default.removeItem(atPath: d1)
        let d2 = try StoreBench.tempDir()
        on.append(try NotifyBench.store(alarms: scaled(50_000), planning: true, dir: d2))
        try? FileManager.default.removeItem(atPath: d2)
    }
    let bestOff = off.max() ?? 0
    let bestOn = on.max() ?? 0
    bench("notify_store_changes_per_s_outbox_off", bestOff, "changes/s")
    bench("notify_store_changes_per_s_outbox_on", bestOn, "changes/s")
    bench("notify_store_outbox_on_vs_off_ratio", bestOff > 0 ? bestOn / bestOff : 0, "x")
    let d3 = try StoreBench.tempDir()
    let (rate, sent) = try NotifyBench.dispatch(alarms: scaled(20_000), dir: d3)
    try? FileManager.default.removeItem(atPath: d3)
    bench("notify_dispatch_messages_per_s", rate, "messages/s")
    bench("notify_dispatch_messages_sent", Double(sent), "messages")
}

// SNMP traps: eccd vs snmptrapd vs a do-nothing receiver, lossless rate (issue #5).
// ECC_BENCH_ONLY=snmp-one-thread runs only its one-thread pieces (decode, engine), for profiling.
if enabled("snmp") || only == "snmp-one-thread" {
    SNMPDecodeBench.run(count: scaled(1_000_000))
    if only != "snmp-one-thread" { try await TrapBench.run() }
}

// ECC vs SEC (Simple Event Correlator, Perl) on one threshold rule, same syslog lines, same run.
if enabled("sec") { runSECBench(scale: scale) }
// Raw lines through parsers, in the same run as SEC.
if enabled("sec") || enabled("lines") { ParserBench.run(scale: scale) }

// Rule regexes: RE2 vs PCRE2 vs Swift's `Regex`, speed on rule patterns and safety on a pathological one.
// Last, because its Swift-`Regex` child may be killed after a timeout.
if enabled("regex") {
    do { try RegexBench.run(texts: scaled(200_000)) } catch { print("bench: regex failed: \(error)") }
}

// A harness that measured nothing where something must be measured fails `make bench`.
if !brokenHarnesses.isEmpty {
    print("bench: \(brokenHarnesses.count) figure(s) not measured: \(brokenHarnesses.joined(separator: "; "))")
    exit(1)
}
