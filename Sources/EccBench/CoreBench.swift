import EccCore
import EccDaemon
import EccRules
import EccYAML
import Foundation

/// Ten rules like the shipped ones: ten event types, key and clear on each.
func benchRules() throws -> RuleSet {
    var yaml = ""
    for i in 0..<10 {
        yaml += """
            - rule: rule-\(i)
              when: {type: down\(i)}
              key: "{host}/{ifIndex}"
              clear_when: {type: up\(i)}
              alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}

            """
    }
    let (rules, errors) = RuleParser.parse(yaml, file: "bench.yaml")
    guard errors.isEmpty else { throw ConfigErrors(errors) }
    return try RuleSet(rules)
}

/// One JSON line per event: ten types, 500 hosts × 48 interfaces, one clear in 20. They carry the time
/// they were made (to the second), so that a daemon fed them at once takes them as live events: an event
/// more than `history_after` (10 s) old is meant for the engine's history path instead, another workload.
/// (They carried a fixed 2026-11-25 stamp until 2026-12-07; the e2e figures did not move when it changed.)
func benchLines(_ n: Int, offset: Int = 0) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(n * 150)
    let now = WallClock().now().nanoseconds / 1_000_000_000
    let stamp = RFC3339.format(EventTime(nanoseconds: now * 1_000_000_000))
    for j in 0..<n {
        let i = j + offset
        let kind = i % 20 == 19 ? "up" : "down"
        let line =
            #"{"time":"\#(stamp)","source":"snmp","host":"core-sw-\#(i % 500).dc1","type":"\#(kind)\#(i % 10)","severity":"major","attributes":{"ifIndex":\#(i % 48),"ifDescr":"Gi0/\#(i % 48)"}}"#
        out += line.utf8
        out.append(0x0A)
    }
    return out
}

enum CoreBench {
    /// JSON-line decoding on one thread; returns events/s.
    static func decode(lines: [UInt8]) -> Double {
        var count = 0
        let seconds = timed {
            lines.withUnsafeBytes { raw in
                var start = 0
                for i in 0..<raw.count where raw[i] == 0x0A {
                    if (try? JSONEventDecoder.decodeEvent(
                        UnsafeRawBufferPointer(rebasing: raw[start..<i]), receivedAt: .zero)) != nil
                    {
                        count += 1
                    }
                    start = i + 1
                }
            }
        }
        return Double(count) / seconds
    }

    /// The same lines through Foundation's `JSONDecoder` into a `Decodable` struct holding what an `Event`
    /// holds (attributes as typed scalars, the time parsed as the hand-written decoder parses it); events/s.
    static func foundationDecode(lines: [UInt8]) -> Double {
        let decoder = JSONDecoder()
        var count = 0
        let seconds = timed {
            lines.withUnsafeBytes { raw in
                var start = 0
                for i in 0..<raw.count where raw[i] == 0x0A {
                    if let e = try? decoder.decode(DecodableEvent.self, from: Data(raw[start..<i])),
                        e.time.flatMap(RFC3339.parse) != nil
                    {
                        count += 1
                    }
                    start = i + 1
                }
            }
        }
        return Double(count) / seconds
    }

    /// An event as `JSONDecoder` reads it.
    struct DecodableEvent: Decodable {
        enum Scalar: Decodable {
            case int(Int64), double(Double), string(String), bool(Bool)

            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let v = try? c.decode(Int64.self) {
                    self = .int(v)
                } else if let v = try? c.decode(Double.self) {
                    self = .double(v)
                } else if let v = try? c.decode(Bool.self) {
                    self = .bool(v)
                } else {
                    self = .string(try c.decode(String.self))
                }
            }
        }
        var time: String?
        var source: String
        var host: String?
        var type: String
        var severity: String?
        var summary: String?
        var attributes: [String: Scalar]?
    }

    /// The engine alone with ten rules; returns events/s.
    static func engine(events: [Event], rules: RuleSet) -> Double {
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        var changes = 0
        let seconds = timed {
            var i = 0
            while i < events.count {
                let end = min(i + 4096, events.count)
                for e in events[i..<end] { engine.handle(e, at: e.time, into: &batch) }
                changes += batch.count
                batch.removeAll()
                i = end
            }
        }
        if changes == 0 { print("bench: warning no alarm changes") }
        return Double(events.count) / seconds
    }
}
