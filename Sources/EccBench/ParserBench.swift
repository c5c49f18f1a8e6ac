import EccCore
import EccRules
import EccYAML
import Foundation

// Raw text lines into events through `- parser:` entries (issue 14), one thread.
//
// Workload: 200 000 × ECC_BENCH_SCALE syslog lines (`syslog(lines:)`: half of them sshd "Failed password"
// from addresses that change every few lines, the rest sshd accepted/session closed, CRON, kernel martian,
// systemd started),
// through a typical set of ten syslog parsers (below): sshd failed and accepted, sudo, su, CRON session,
// systemd started and failed, kernel I/O error and martian, postfix reject. Each parser reads the
// traditional syslog time ("%b %e %H:%M:%S") out of its capture. 80 % of the lines are taken (the
// failures, the accepted, the CRON sessions, the martians); the rest match no parser and cost the one
// set pass.
//
// Measured from the raw bytes (split at '\n', parse, the Event made) to the event, nothing after it;
// median of 3 runs with min–max. Figures: parse_syslog_10_parsers_lines_per_s (median) and the share taken.

enum ParserBench {
    static let header = #"^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "#

    /// Ten parsers a site would write for its syslog.
    static let typical: String = {
        let parsers: [(String, String, String)] = [
            (
                "sshd-failed",
                #"sshd\[\d+\]: Failed (?P<method>password|publickey) for (?:invalid user )?(?P<user>\S+) from (?P<src>[\d.]+) port (?P<port>\d+)"#,
                "ssh.auth_failed"
            ),
            (
                "sshd-accepted",
                #"sshd\[\d+\]: Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<src>[\d.]+) port (?P<port>\d+)"#,
                "ssh.accepted"
            ),
            (
                "sudo-failure",
                #"sudo(?:\[\d+\])?: pam_unix\(sudo:auth\): authentication failure; (?P<pam>.*)$"#, "auth_failure"
            ),
            (
                "su-failure", #"su(?:\[\d+\])?: FAILED SU \(to (?P<target>\S+)\) (?P<user>\S+) on (?P<tty>\S+)"#,
                "su.failed"
            ),
            (
                "cron-session",
                #"CRON\[\d+\]: pam_unix\(cron:session\): session (?P<what>opened|closed) for user (?P<user>\w+)"#,
                "cron.session"
            ),
            (
                "unit-failed", #"systemd\[\d+\]: (?P<unit>\S+\.service): Failed with result '(?P<result>[^']+)'"#,
                "unitFailed"
            ),
            ("unit-started", #"systemd\[\d+\]: Started (?P<unit>\S+\.service)"#, "unitStarted"),
            (
                "io-error",
                #"kernel: \[[\d. ]+\] (?:blk_update_request|I/O error), dev (?P<dev>\w+), sector (?P<sector>\d+)"#,
                "io_error"
            ),
            (
                "martian",
                #"kernel: \[[\d. ]+\] IPv4: martian source (?P<dst>[\d.]+) from (?P<src>[\d.]+), on dev (?P<dev>\w+)"#,
                "kernel.martian"
            ),
            (
                "postfix-reject", #"postfix/smtpd\[\d+\]: NOQUEUE: reject: RCPT from (?P<client>\S+): (?P<code>\d{3})"#,
                "mail.reject"
            ),
        ]
        return parsers.map { name, body, type in
            """
            - parser: \(name)
              match: '\(header)\(body.replacingOccurrences(of: "'", with: "''"))'
              time: {capture: time, format: "%b %e %H:%M:%S"}
              event: {source: syslog, type: \(type)}

            """
        }.joined()
    }()

    static func parsers() throws -> LineParsers {
        try RuleLoader.load(sources: [("bench-parsers.yaml", typical)]).parsers
    }

    /// Lines/s from the raw bytes to events, and how many lines gave an event.
    static func parse(_ text: [UInt8], _ parsers: LineParsers, reference: EventTime) -> (Double, Int, Int) {
        var events = 0
        var lines = 0
        var last = EventTime.zero
        let seconds = timed {
            text.withUnsafeBufferPointer { raw in
                var start = 0
                for i in 0..<raw.count where raw[i] == 0x0A {
                    lines += 1
                    if case .event(let e) = parsers.parse(
                        UnsafeBufferPointer(rebasing: raw[start..<i]), receivedAt: reference, reference: reference)
                    {
                        events += 1
                        last = e.time
                    }
                    start = i + 1
                }
            }
        }
        precondition(last > .zero || events == 0)
        return (Double(lines) / seconds, events, lines)
    }

    static func run(scale: Double) {
        let n = max(1000, Int(200_000 * scale))
        let text = syslog(lines: n)
        let parsers: LineParsers
        do { parsers = try ParserBench.parsers() } catch {
            print("bench: parse failed: \(error)")
            return
        }
        let reference = EventTime(nanoseconds: base)
        var rates: [Double] = []
        var taken = 0
        for _ in 0..<3 {
            let (r, events, _) = parse(text, parsers, reference: reference)
            rates.append(r)
            taken = events
        }
        workload(
            "\(n) syslog lines (half sshd failures; accepted logins, CRON sessions, kernel martians, systemd and sshd session lines) through 10 typical parsers, one thread, raw bytes to events; "
                + "\(taken * 100 / n) % of lines made events")
        bench("parse_syslog_10_parsers_lines_per_s", Spread(rates), "lines/s")
    }

    /// 2026-11-25T10:00:00Z; line i is stamped base + i ms (the traditional stamp keeps the second).
    static let base: Int64 = 1_795_600_800_000_000_000

    /// `n` traditional syslog lines ("Nov 25 10:00:00 web1 sshd[1234]: ..."), one millisecond apart: every
    /// other one an sshd password failure from one of 1,000 addresses in flight (each replaced after 3 to 8
    /// failures), the rest accepted logins, CRON sessions, kernel martians, systemd sessions and closed sshd
    /// sessions in turn.
    static func syslog(lines n: Int) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(n * 110)
        var slots: [(address: Int, remaining: Int)] = []
        var nextAddress = 0
        var failures = 0
        let users = ["root", "invalid user admin", "invalid user oracle", "ubuntu"]
        for i in 0..<n {
            let secs = 36_000 + i / 1000
            let stamp = "Nov 25 \(pad(secs / 3600 % 24, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
            let pid = 1000 + (i * 7) % 30_000
            let port = 1024 + (i * 7919) % 60_000
            let line: String
            if i % 2 == 0 {
                let j = failures % 1000
                if j == slots.count {
                    slots.append((nextAddress, 3 + nextAddress % 6))
                    nextAddress += 1
                } else if slots[j].remaining == 0 {
                    slots[j] = (nextAddress, 3 + nextAddress % 6)
                    nextAddress += 1
                }
                slots[j].remaining -= 1
                failures += 1
                let x = (slots[j].address &* 2_654_435_761) & 0xFF_FFFF
                let address = "10.\(x >> 16).\((x >> 8) & 255).\(x & 255)"
                line =
                    "\(stamp) web1 sshd[\(pid)]: Failed password for \(users[i / 2 % 4]) from \(address) port \(port) ssh2"
            } else {
                let other = "192.168.\((i >> 8) & 255).\(i & 255)"
                switch i / 2 % 5 {
                case 0:
                    line =
                        "\(stamp) web1 sshd[\(pid)]: Accepted publickey for deploy from \(other) port \(port) ssh2: "
                        + "ED25519 SHA256:Zm9vYmFyYmF6cXV4"
                case 1:
                    line =
                        "\(stamp) web1 CRON[\(pid)]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
                case 2:
                    line =
                        "\(stamp) web1 kernel: [\(i / 1000).\(pad(i % 1000, 3))] IPv4: martian source 10.0.0.255 "
                        + "from \(other), on dev eth0"
                case 3:
                    line = "\(stamp) web1 systemd[1]: Started Session \(i) of user deploy."
                default:
                    line = "\(stamp) web1 sshd[\(pid)]: pam_unix(sshd:session): session closed for user deploy"
                }
            }
            text += line.utf8
            text.append(0x0A)
        }
        return text
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
