import EccCore
import EccRules
import EccSNMP

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
        let names = OIDNameCache(mibs: nil)
        var events: [Event] = []
        events.reserveCapacity(count)
        let decode = timed {
            for i in 0..<count {
                packets[i & 1023].withUnsafeBytes { raw in
                    // As the receiver does: the v2c trap path first, the general decoder otherwise.
                    let at = EventTime(nanoseconds: Int64(i) * 5_000)
                    if let e = SNMPDecoder.trapEvent(raw, from: "127.0.0.1", at: at, names: names) {
                        events.append(e)
                    } else if let n = try? SNMPDecoder.decode(raw) {
                        events.append(n.event(from: "127.0.0.1", at: at, names: names))
                    }
                }
            }
        }
        bench("snmp_decode_to_event_per_s", Double(events.count) / decode, "traps/s")
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
        bench("snmp_engine_shipped_rules_events_per_s", Double(events.count) / seconds, "events/s")
    }
}
