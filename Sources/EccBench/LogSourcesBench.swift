import EccCollectors
import EccCore
import EccTestSupport
import Foundation

// The journal and Suricata's EVE into events (issue 17), one thread, `ECC_BENCH_ONLY=log-sources`.
//
// Workloads:
// - journal_entries_to_events_per_s: 200 000 × ECC_BENCH_SCALE entries written to a journal file by the real
//   systemd-journal-remote (a fifth of them sshd failures, the rest other programs), read back through
//   libsystemd's sd-journal and made events through the shipped parsers, as the journal follower does.
// - eve_alerts_to_events_per_s: 200 000 × ECC_BENCH_SCALE EVE alert records (flow and metadata objects
//   inside, addresses and signatures varying) decoded into ids_alert events.
// Medians of 3 runs with min–max.
enum LogSourcesBench {
    static let arrival = EventTime(nanoseconds: 1_796_644_800_000_000_000)

    static func run(scale: Double, shipped: LineParsers) throws {
        let n = max(1000, Int(200_000 * scale))
        try journal(n, shipped: shipped)
        eve(n)
    }

    static func journal(_ n: Int, shipped: LineParsers) throws {
        let remote = "/lib/systemd/systemd-journal-remote"
        guard FileManager.default.isExecutableFile(atPath: remote) else {
            harnessBroken("log-sources: \(remote) is missing (make bench-deps installs systemd-journal-remote)")
            return
        }
        let dir = try TestServers.makeTemporaryDirectory("ecc-bench-journal")
        defer { try? FileManager.default.removeItem(at: dir) }
        var export = ""
        export.reserveCapacity(n * 260)
        let start = UInt64(arrival.nanoseconds / 1000)
        for i in 0..<n {
            export += "__REALTIME_TIMESTAMP=\(start + UInt64(i))\n__MONOTONIC_TIMESTAMP=\(1000 + i)\n"
            export += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=web\(i % 50)\nPRIORITY=\(3 + i % 4)\n"
            if i % 5 == 0 {
                export += "SYSLOG_IDENTIFIER=sshd\n_PID=\(1000 + i % 9000)\n_SYSTEMD_UNIT=ssh.service\n"
                export +=
                    "MESSAGE=Failed password for invalid user admin from 203.0.113.\(i % 250) port \(1024 + i % 60_000) ssh2\n\n"
            } else {
                export += "SYSLOG_IDENTIFIER=app\(i % 7)\n_PID=\(2000 + i % 9000)\n_SYSTEMD_UNIT=app\(i % 7).service\n"
                export += "MESSAGE=request \(i) served in \(i % 900) ms for client 198.51.100.\(i % 250)\n\n"
            }
        }
        let (status, output) = try ChildProcess.run(
            remote, ["--output=\(dir.path)/bench.journal", "-"], input: Array(export.utf8), timeout: 600)
        guard status == 0 else {
            harnessBroken("log-sources: systemd-journal-remote failed (\(status)): \(output)")
            return
        }
        var rates: [Double] = []
        var parsed = 0
        for _ in 0..<3 {
            let j = try Journal(directory: dir.path)
            j.limitFieldBytes(InputLimits.outside.maxStringBytes)
            try j.seekHead()
            var count = 0
            parsed = 0
            let seconds = try timed {
                while try j.next() {
                    guard
                        let e = JournalEntry.event(
                            j, at: arrival, host: "bench", parsers: shipped, limits: .outside)
                    else { continue }
                    count += 1
                    if e.type != "syslog" { parsed += 1 }
                }
            }
            guard count == n else {
                harnessBroken("log-sources: read \(count) journal entries of \(n)")
                return
            }
            rates.append(Double(count) / seconds)
        }
        workload(
            "\(n) journal entries written by systemd-journal-remote (\(parsed * 100 / n) % sshd failures taken by a "
                + "parser), read with sd-journal and made events through the \(shipped.parsers.count) shipped parsers, "
                + "one thread")
        bench("journal_entries_to_events_per_s", Spread(rates), "entries/s")
    }

    static func eve(_ n: Int) {
        let records = (0..<n).map { i in
            Array(
                """
                {"timestamp":"2026-12-07T11:00:\(10 + i % 50).\(100_000 + i % 900_000)+0000","flow_id":\(1_000_000 + i),\
                "in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.\(i % 250)","src_port":\(1024 + i % 60_000),\
                "dest_ip":"10.0.\(i % 8).\(i % 250)","dest_port":\([22, 80, 443, 3389][i % 4]),"proto":"TCP",\
                "alert":{"action":"allowed","gid":1,"signature_id":\(2_000_000 + i % 500),"rev":\(1 + i % 9),\
                "signature":"ET SCAN rule number \(i % 500)","category":"Attempted Information Leak",\
                "severity":\(1 + i % 3),"metadata":{"created_at":["2020_01_01"],"updated_at":["2026_01_01"]}},\
                "flow":{"pkts_toserver":\(i % 90),"pkts_toclient":\(i % 70),"bytes_toserver":\(i % 9000),\
                "bytes_toclient":\(i % 7000),"start":"2026-12-07T11:00:00.000000+0000"}}
                """.utf8)
        }
        var rates: [Double] = []
        for _ in 0..<3 {
            var alerts = 0
            let seconds = timed {
                for r in records {
                    if case .alert = r.withUnsafeBytes({ SuricataEVE.decode($0, receivedAt: arrival, host: "ids1") }) {
                        alerts += 1
                    }
                }
            }
            precondition(alerts == n, "every record is an alert")
            rates.append(Double(n) / seconds)
        }
        workload(
            "\(n) Suricata EVE alert records (\(records.reduce(0) { $0 + $1.count } / n) bytes each, flow and metadata "
                + "objects inside), decoded into ids_alert events, one thread")
        bench("eve_alerts_to_events_per_s", Spread(rates), "records/s")
    }
}
