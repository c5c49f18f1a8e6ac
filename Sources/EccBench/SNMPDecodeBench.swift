import EccCore
import EccRules
import EccSNMP
import EccYAML

/// The SNMP hot path's pieces on one thread, on the trap bench's packet: decoding a v2c trap into an
/// event (with the receiver's name cache), and the engine with the shipped rules on those events.
enum SNMPDecodeBench {
    static func run(count: Int) {
        let (template, seqAt) = TrapBench.template()
        var packets: [[UInt8]] = []
        for i in 0..<1024 {
            var p = template
            var s = i
            for d in (0..<8).reversed() {
                p[seqAt + d] = UInt8(48 + s % 10)
                s /= 10
            }
            packets.append(p)
        }
        // The engine's input: `count` events, kept. Decoding is timed apart, into a ring of 4096 events
        // overwritten as it goes (as in the daemon, where memory is reused): keeping a million events made
        // the decode figure mostly the kernel's first touch of fresh pages.
        let names = OIDNameCache(mibs: nil)
        var events: [Event] = []
        events.reserveCapacity(count)
        for i in 0..<count {
            packets[i & 1023].withUnsafeBytes { raw in
                let at = EventTime(nanoseconds: Int64(i) * 5_000)
                if let e = SNMPDecoder.trapEvent(raw, from: "127.0.0.1", at: at, names: names) { events.append(e) }
            }
        }
        var ring = [Event](repeating: Event(time: .zero, source: "", host: "", type: ""), count: 4096)
        var decodeRates: [Double] = []
        var generalRates: [Double] = []
        var engineRates: [Double] = []
        for _ in 0..<3 {
            var decoded = 0
            // The receiver's path for a v2c trap.
            let decode = timed {
                for i in 0..<count {
                    packets[i & 1023].withUnsafeBytes { raw in
                        let at = EventTime(nanoseconds: Int64(i) * 5_000)
                        if let e = SNMPDecoder.trapEvent(raw, from: "127.0.0.1", at: at, names: names) {
                            ring[i & 4095] = e
                            decoded += 1
                        }
                    }
                }
            }
            decodeRates.append(Double(decoded) / decode)
            // The general path (v1, informs, v3 after USM): the notification, then its event.
            decoded = 0
            let general = timed {
                for i in 0..<count {
                    packets[i & 1023].withUnsafeBytes { raw in
                        if let n = try? SNMPDecoder.decode(raw) {
                            ring[i & 4095] = n.event(
                                from: "127.0.0.1", at: EventTime(nanoseconds: Int64(i) * 5_000), names: names)
                            decoded += 1
                        }
                    }
                }
            }
            generalRates.append(Double(decoded) / general)
            guard let rules = try? RuleLoader.load(paths: ["rules"]) else {
                print("# snmp decode bench: no ./rules here; the shipped-rules engine figure is skipped")
                return
            }
            var engine = Engine(rules: rules)
            var batch = ChangeBatch()
            let seconds = timed {
                var i = 0
                while i < events.count {
                    let end = min(i + 4096, events.count)
                    for e in events[i..<end] { engine.handle(e, at: e.time, into: &batch) }
                    batch.removeAll()
                    i = end
                }
            }
            engineRates.append(Double(events.count) / seconds)
        }
        workload(
            "the trap bench's v2c linkDown trap (one OID, one ifIndex, 1,024 sequence numbers) on one thread: "
                + "decoded into events (the receiver's path, and the general one v1, informs and v3 take); then "
                + "\(count) such events through the shipped rules (one key: the best case)")
        bench("snmp_decode_to_event_per_s", Spread(decodeRates), "traps/s")
        bench("snmp_decode_general_to_event_per_s", Spread(generalRates), "traps/s")
        bench("snmp_engine_shipped_rules_one_key_best_case_events_per_s", Spread(engineRates), "events/s")
    }
}
