import EccCore
import EccSyslog
import Foundation

// Syslog messages into events (issue 17), one thread, `ECC_BENCH_ONLY=syslog`.
//
// Workload: 200 000 × ECC_BENCH_SCALE datagrams, pre-encoded, in turn: RFC 5424 with structured data
// (timeQuality, origin), RFC 5424 as util-linux's logger sends it, RFC 3164 sshd failures, Cisco IOS
// (sequence number, milliseconds, zone, mnemonic) and Huawei VRP (year, offset, %% tag); hosts, process ids
// and addresses vary.
//
// Figures, medians of 3 runs with min–max:
// - syslog_rfc5424_parse_per_s: the RFC 5424 messages alone through `SyslogParser` (header, structured data,
//   message text made), the "parse rate per core".
// - syslog_mixed_to_event_per_s: the whole mix, parsed and made events (`SyslogEvents`, no rule-file parsers).
// - syslog_mixed_to_event_shipped_parsers_per_s: the same through the shipped parsers (rules/parsers.yaml, 21:
//   each message rebuilt as a file line and tried; the sshd failures become auth_failure).
enum SyslogBench {
    static func datagrams(_ n: Int, only5424: Bool) -> [[UInt8]] {
        (0..<n).map { i in
            let host = "web\(i % 500)"
            let kind = only5424 ? i % 2 : i % 5
            let text: String
            switch kind {
            case 0:
                text =
                    "<165>1 2026-12-07T11:00:\(10 + i % 50).\(100 + i % 900)Z \(host) evntslog \(1000 + i % 9000) "
                    + "ID47 [timeQuality tzKnown=\"1\" isSynced=\"1\"][origin ip=\"192.0.2.\(i % 250)\"] "
                    + "An application event log entry number \(i)"
            case 1:
                text =
                    "<13>1 2026-12-07T11:00:00.\(100_000 + i % 900_000)+00:00 \(host) alice - - "
                    + "[timeQuality tzKnown=\"1\" isSynced=\"0\"] backup of /srv finished in \(i % 3600) s"
            case 2:
                text =
                    "<38>Dec  7 11:00:\(10 + i % 50) \(host) sshd[\(1000 + i % 30_000)]: Failed password for "
                    + "invalid user admin from 203.0.113.\(i % 250) port \(1024 + i % 60_000) ssh2"
            case 3:
                text =
                    "<189>\(i): *Dec  7 11:00:02.\(100 + i % 900) UTC: %LINK-3-UPDOWN: Interface "
                    + "GigabitEthernet0/\(i % 48), changed state to down"
            default:
                text =
                    "<189>Dec  7 2026 11:00:00+08:00 HW-\(host) %%01IFNET/4/LINK_STATE(l)[\(i % 8)]:The line "
                    + "protocol IP on the interface GigabitEthernet0/0/\(i % 48) has entered the DOWN state."
            }
            return Array(text.utf8)
        }
    }

    /// 2026-12-07T12:00:00Z.
    static let arrival = EventTime(nanoseconds: 1_796_644_800_000_000_000)

    static func rate(_ messages: [[UInt8]], _ body: (UnsafeRawBufferPointer) -> Int) -> Double {
        var sink = 0
        let seconds = timed { for m in messages { sink &+= m.withUnsafeBytes(body) } }
        precondition(sink != -1, "kept")
        return Double(messages.count) / seconds
    }

    static func run(scale: Double, shipped: LineParsers) {
        let n = max(1000, Int(200_000 * scale))
        let rfc5424 = datagrams(n, only5424: true)
        let mixed = datagrams(n, only5424: false)
        let parser = SyslogParser()
        var parse: [Double] = []
        var generic: [Double] = []
        var parsed: [Double] = []
        var taken = 0
        for _ in 0..<3 {
            parse.append(rate(rfc5424) { parser.parse($0, reference: arrival).message.utf8.count })
            generic.append(
                rate(mixed) { b in
                    let m = parser.parse(b, reference: arrival)
                    return SyslogEvents.event(m, bytes: b, sender: "192.0.2.1", at: arrival, parsers: .none)
                        .attributes.count
                })
            taken = 0
            parsed.append(
                rate(mixed) { b in
                    let m = parser.parse(b, reference: arrival)
                    let e = SyslogEvents.event(m, bytes: b, sender: "192.0.2.1", at: arrival, parsers: shipped)
                    if e.type != "syslog" { taken += 1 }
                    return e.attributes.count
                })
        }
        workload(
            "\(n) RFC 5424 datagrams (half with two structured-data elements, half as logger sends them), one thread, "
                + "bytes to SyslogMessage")
        bench("syslog_rfc5424_parse_per_s", Spread(parse), "messages/s")
        workload(
            "\(n) datagrams in turn RFC 5424 with structured data, logger's RFC 5424, RFC 3164 sshd failures, Cisco IOS, "
                + "Huawei VRP; one thread, bytes to events; without rule-file parsers, then through the \(shipped.parsers.count) shipped ones "
                + "(\(taken * 100 / n) % taken by a parser)")
        bench("syslog_mixed_to_event_per_s", Spread(generic), "messages/s")
        bench("syslog_mixed_to_event_shipped_parsers_per_s", Spread(parsed), "messages/s")
    }
}
