import EccCore
import EccRules
import Foundation

// Raw text lines into events through `- parser:` entries (issue 14), one thread.
//
// Workload: the SEC bench's syslog lines (SECBench.workload: 200 000 × ECC_BENCH_SCALE lines, half of them
// sshd "Failed password", the rest sshd accepted/session closed, CRON, kernel martian, systemd started),
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
        let w = SECBench.workload(lines: n)
        let parsers: LineParsers
        do { parsers = try ParserBench.parsers() } catch {
            print("bench: parse failed: \(error)")
            return
        }
        let reference = EventTime(nanoseconds: SECBench.base)
        var rates: [Double] = []
        var taken = 0
        for _ in 0..<3 {
            let (r, events, _) = parse(w.text, parsers, reference: reference)
            rates.append(r)
            taken = events
        }
        rates.sort()
        SECBench.figure("parse_syslog_10_parsers_lines_per_s", rates[1], "lines/s")
        print(
            "# parse: \(n) syslog lines (the sec bench's mix) through 10 typical parsers, one thread, raw bytes to "
                + "events: median \(SECBench.rate(rates[1])) lines/s (min \(SECBench.rate(rates[0])), "
                + "max \(SECBench.rate(rates[2]))); \(taken * 100 / n) % of lines made events")
    }
}
