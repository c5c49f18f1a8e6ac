import EccCollectors
import EccConfig
import EccDaemon
import Foundation
import Logging

// Following a log file (issue 17), `ECC_BENCH_ONLY=files`.
//
// Workload: a file of N auth-log lines written before eccd starts, read with `start_at: beginning` and
// `unparsed: event` (every line an event): in turn sshd failures from 50 addresses for 5 users, accepted
// logins, sudo commands, useradd lines, netfilter DROP lines and lines no parser takes, 50 hosts, through
// the 21 shipped parsers and the shipped rules into a new SQLite store (read positions committed with the
// changes). Timed from eccd's start to the engine having handled every line; medians of 3 with min–max.
enum FileBench {
    static func lines(_ n: Int) -> String {
        var out = ""
        out.reserveCapacity(n * 120)
        for i in 0..<n {
            let time =
                "2026-12-07T11:\(String(format: "%02d:%02d", (i / 60_000) % 60, (i / 1000) % 60)).\(String(format: "%03d", i % 1000))+00:00"
            let host = "web\(i % 50)"
            switch i % 6 {
            case 0:
                out +=
                    "\(time) \(host) sshd[\(4000 + i % 1000)]: Failed password for user\(i % 5) from 203.0.113.\(i % 50) port \(40_000 + i % 20_000) ssh2\n"
            case 1:
                out +=
                    "\(time) \(host) sshd[\(4000 + i % 1000)]: Accepted publickey for deploy from 192.0.2.\(i % 50) port \(40_000 + i % 20_000) ssh2\n"
            case 2:
                out +=
                    "\(time) \(host) sudo[\(5000 + i % 1000)]:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart app\(i % 10)\n"
            case 3:
                out +=
                    "\(time) \(host) useradd[\(6000 + i % 1000)]: new user: name=svc\(i % 100), UID=\(2000 + i % 100), GID=\(2000 + i % 100), home=/home/svc, shell=/bin/sh, from=none\n"
            case 4:
                out +=
                    "\(time) \(host) kernel: [\(i).000000] DROP IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=198.51.100.\(i % 200) DST=192.0.2.1 LEN=60 PROTO=TCP SPT=\(1024 + i % 60_000) DPT=22 SYN URGP=0\n"
            default:
                out += "\(time) \(host) cron[\(7000 + i % 1000)]: (root) CMD (run-parts /etc/cron.hourly)\n"
            }
        }
        return out
    }

    static func run(count: Int) async throws {
        guard FileManager.default.fileExists(atPath: "rules") else {
            harnessBroken("files: no ./rules here (run make bench from the repository)")
            return
        }
        let text = lines(count)
        var rates: [Double] = []
        for round in 1...3 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-file-bench-\(UUID())").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try text.write(toFile: dir + "/auth.log", atomically: true, encoding: .utf8)
            var config = DaemonConfig()
            config.database.path = dir + "/ecc-\(round).db"
            config.rulePaths = ["rules"]
            config.http.port = 0
            config.tcp.enabled = false
            config.snmp.enabled = false
            config.syslog.enabled = false
            var source = FileSource(path: dir + "/auth.log")
            source.startAt = .beginning
            source.unparsed = .event
            config.files = [source]
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let daemon = try Daemon(config: config, logger: logger)
            let began = ContinuousClock.now
            let task = Task { try await daemon.run(handleSignals: false) }
            while daemon.processedEvents < count { try await Task.sleep(for: .milliseconds(2)) }
            let seconds = (ContinuousClock.now - began) / .seconds(1)
            await daemon.shutdown()
            try await task.value
            rates.append(Double(count) / seconds)
        }
        workload(
            "\(count) auth-log lines in one file (sshd failures and logins, sudo, useradd, netfilter DROP, cron), 50 "
                + "hosts, start_at: beginning, unparsed: event; the shipped parsers and rules, a new SQLite store; from "
                + "eccd's start to the engine having handled every line")
        bench("file_follow_lines_per_s_shipped_rules", Spread(rates), "lines/s")
    }
}
