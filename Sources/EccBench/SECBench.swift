import EccCore
import EccRules
import Foundation

// ECC vs SEC (Simple Event Correlator, Debian package `sec`, Perl) on one workload, in one run.
//
// Workload: N syslog lines (200 000 × ECC_BENCH_SCALE), every other one an sshd "Failed password" line,
// the rest unrelated sshd, CRON, kernel and systemd lines (one of them, "Accepted publickey ... from
// ADDR port ...", a near miss for the pattern). The rule in both engines: 5 failures from one source
// address within 60 s → one alarm, keyed by the address (SEC: SingleWithThreshold, window=60, thresh=5,
// desc keyed by the address; ECC: threshold {count: 5, within: 60s}, key "{src}", no clear).
//
// Fairness choices:
// - Clocks. SEC always uses time(2), in whole seconds, for windows; it cannot window on the timestamps
//   in the lines (man sec: "for input event occurrence time SEC always uses the time it observed the
//   event, *not* the timestamp extracted from the event"). ECC windows on event time. So the workload
//   is built so that both must give the same count whatever the clocks: 1000 addresses are "in
//   flight" at a time, each gets 3 to 8 failures (3 + id % 6) and is then replaced by a new address
//   (~18.6 k addresses in all at scale 1). Failures alternate with other lines and go round the 1000
//   slots, so one address's failures lie within 7 × 2000 = 14 000 lines: 14 s of ECC event time (1 ms
//   per line) and about 0.1 s of SEC's wall clock at its speed (~130 k lines/s; it would have to fall
//   below ~250 lines/s to stretch one past 60 s). So an address with ≥ 5 failures gives exactly one
//   alarm in both engines (later failures repeat the ECC alarm; SEC's operation consumes them), an
//   address with 3 or 4 gives none, and an address still in flight at the end of the input counts by
//   what it got. The generator counts the expected alarms; the bench
//   prints SEC's, ECC's and the expected count, and a `bench: warning` line if they differ.
// - Parsing. SEC matches a Perl regex against each raw line. ECC is measured twice:
//   "fields": pre-parsed events (type ssh.auth_failed with a `src` attribute; the unrelated lines as
//     events of other types), built before the clock starts — the engine's correlation cost alone,
//     as a collector that already parsed the syslog would feed it;
//   "regex": the closest match to SEC's work — the clock runs from the raw bytes of the same lines:
//     split at '\n', one String and one Event per line (type syslog, the line as summary), and the
//     same regular expression as SEC's (named capture `src`) run on every line by the rule's
//     `summary: {regex: ...}` condition. Neither engine parses the syslog header (event time is
//     1 ms per line for ECC; SEC reads its clock).
// - SEC is timed by wall clock around the whole subprocess (`sec --notail` on a temp file: Perl
//   start-up, reading the file, matching, acting), as one would run it; its start-up on an empty
//   input is printed separately (~0.05 s). ECC runs in this process on one thread. Best of 3 each.
// - Alarms: SEC's action writes one line per alarm to a file (`write` keeps the file open), counted
//   afterwards; ECC's are the `raised` changes in its change batches.
//
// Figures: sec_threshold_lines_per_s, ecc_threshold_{fields,regex}_events_per_s, the two ratios, SEC's
// start-up, the three alarm counts, and a `#` summary line. Without `sec` on the PATH the bench prints
// `bench: sec skipped: sec not installed (apt-get install -y sec)` and returns.

/// ECC vs SEC on one threshold rule and one workload (see the comment at the top of this file).
func runSECBench(scale: Double) {
    let lines = max(1000, Int(200_000 * scale))
    guard let sec = SECBench.findSEC() else {
        print("bench: sec skipped: sec not installed (apt-get install -y sec)")
        return
    }
    do {
        try SECBench.run(lines: lines, sec: sec)
    } catch {
        print("bench: sec skipped: \(error)")
    }
}

enum SECBench {
    /// The one regular expression both engines run on every raw line (Perl and RE2 syntax alike).
    static let pattern = #"sshd\[\d+\]: Failed password for (?:invalid user )?\S+ from (?<src>[\d.]+) port \d+"#

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The workload: the same lines as raw text (for SEC and ECC-regex) and as pre-parsed events.
    struct Workload {
        var text: [UInt8] = []
        var events: [Event] = []
        var expectedAlarms = 0
        var addresses = 0
    }

    /// 2026-11-25T10:00:00Z; line i is at base + i ms, and its syslog stamp says the same second.
    static let base: Int64 = 1_795_600_800_000_000_000

    static func workload(lines n: Int) -> Workload {
        var w = Workload()
        w.text.reserveCapacity(n * 110)
        w.events.reserveCapacity(n)
        let inFlight = 1000
        struct Slot {
            var address: Int
            var remaining: Int
            var emitted = 0
        }
        var slots: [Slot] = []
        slots.reserveCapacity(inFlight)
        var nextAddress = 0
        var failures = 0
        let users = ["root", "invalid user admin", "invalid user oracle", "ubuntu"]
        let userNames = ["root", "admin", "oracle", "ubuntu"]
        for i in 0..<n {
            let time = EventTime(nanoseconds: base + Int64(i) * 1_000_000)
            let secs = 36_000 + i / 1000
            let stamp = "Nov 25 \(pad(secs / 3600 % 24, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
            let pid = 1000 + (i * 7) % 30_000
            let port = 1024 + (i * 7919) % 60_000
            let line: String
            let event: Event
            if i % 2 == 0 {
                // A failure from the address in slot (failure number mod 1000); a finished slot takes a new one.
                let j = failures % inFlight
                if j == slots.count {
                    slots.append(Slot(address: nextAddress, remaining: 3 + nextAddress % 6))
                    nextAddress += 1
                } else if slots[j].remaining == 0 {
                    slots[j] = Slot(address: nextAddress, remaining: 3 + nextAddress % 6)
                    nextAddress += 1
                }
                slots[j].remaining -= 1
                slots[j].emitted += 1
                if slots[j].emitted == 5 { w.expectedAlarms += 1 }
                failures += 1
                let address = quad(slots[j].address)
                let u = i / 2 % 4
                line = "\(stamp) web1 sshd[\(pid)]: Failed password for \(users[u]) from \(address) port \(port) ssh2"
                event = Event(
                    time: time, source: "syslog", host: "web1", type: "ssh.auth_failed", severity: .warning,
                    attributes: ["src": .string(address), "user": .string(userNames[u]), "port": .int(Int64(port))])
            } else {
                let other = "192.168.\((i >> 8) & 255).\(i & 255)"
                switch i / 2 % 5 {
                case 0:
                    line =
                        "\(stamp) web1 sshd[\(pid)]: Accepted publickey for deploy from \(other) port \(port) ssh2: "
                        + "ED25519 SHA256:Zm9vYmFyYmF6cXV4"
                    event = Event(
                        time: time, source: "syslog", host: "web1", type: "ssh.accepted",
                        attributes: ["src": .string(other), "user": .string("deploy"), "port": .int(Int64(port))])
                case 1:
                    line =
                        "\(stamp) web1 CRON[\(pid)]: pam_unix(cron:session): session opened for user root(uid=0)"
                        + " by (uid=0)"
                    event = Event(
                        time: time, source: "syslog", host: "web1", type: "cron.session_opened",
                        attributes: ["user": .string("root")])
                case 2:
                    line =
                        "\(stamp) web1 kernel: [\(i / 1000).\(pad(i % 1000, 3))] IPv4: martian source 10.0.0.255 "
                        + "from \(other), on dev eth0"
                    event = Event(
                        time: time, source: "syslog", host: "web1", type: "kernel.martian",
                        attributes: ["src": .string(other), "dev": .string("eth0")])
                case 3:
                    line = "\(stamp) web1 systemd[1]: Started Session \(i) of user deploy."
                    event = Event(
                        time: time, source: "syslog", host: "web1", type: "systemd.session_started",
                        attributes: ["session": .int(Int64(i)), "user": .string("deploy")])
                default:
                    line = "\(stamp) web1 sshd[\(pid)]: pam_unix(sshd:session): session closed for user deploy"
                    event = Event(
                        time: time, source: "syslog", host: "web1", type: "ssh.session_closed",
                        attributes: ["user": .string("deploy")])
                }
            }
            w.text += line.utf8
            w.text.append(0x0A)
            w.events.append(event)
        }
        w.addresses = nextAddress
        return w
    }

    /// Address number `a` as a distinct 10.x.y.z (multiplying by an odd number is a bijection mod 2^24).
    static func quad(_ a: Int) -> String {
        let x = (a &* 2_654_435_761) & 0xFF_FFFF
        return "10.\(x >> 16).\((x >> 8) & 255).\(x & 255)"
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// The same rule for ECC: on pre-parsed fields, or with SEC's regular expression on the raw line.
    static func rules(regex: Bool) throws -> RuleSet {
        let when =
            regex
            ? "  when:\n    type: syslog\n    summary: {regex: '\(pattern)'}\n"
            : "  when: {type: ssh.auth_failed}\n"
        let yaml =
            "- rule: ssh-brute-force\n" + when + "  key: \"{src}\"\n  threshold: {count: 5, within: 60s}\n"
            + "  alarm: {severity: warning, summary: \"ssh brute force from {src}\"}\n"
        let (r, errors) = RuleParser.parse(yaml, file: "sec-bench.yaml")
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return try RuleSet(r)
    }

    /// The engine on pre-built events; returns (events/s, alarms raised).
    static func eccFields(_ events: [Event], rules: RuleSet) -> (Double, Int) {
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        var raised = 0
        let seconds = timed {
            var i = 0
            while i < events.count {
                let end = min(i + 4096, events.count)
                for e in events[i..<end] { engine.handle(e, at: e.time, into: &batch) }
                for c in batch.changes where c.kind == .raised { raised += 1 }
                batch.removeAll()
                i = end
            }
        }
        return (Double(events.count) / seconds, raised)
    }

    /// The engine from raw lines: one String and one Event per line, the regex rule; returns (lines/s, alarms).
    static func eccRegex(_ text: [UInt8], rules: RuleSet) -> (Double, Int) {
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        var raised = 0
        var count = 0
        let seconds = timed {
            text.withUnsafeBytes { raw in
                var start = 0
                for i in 0..<raw.count where raw[i] == 0x0A {
                    let line = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<i]), as: UTF8.self)
                    let time = EventTime(nanoseconds: base + Int64(count) * 1_000_000)
                    let event = Event(time: time, source: "syslog", host: "web1", type: "syslog", summary: line)
                    engine.handle(event, at: time, into: &batch)
                    count += 1
                    if count & 4095 == 0 {
                        for c in batch.changes where c.kind == .raised { raised += 1 }
                        batch.removeAll()
                    }
                    start = i + 1
                }
            }
            for c in batch.changes where c.kind == .raised { raised += 1 }
            batch.removeAll()
        }
        return (Double(count) / seconds, raised)
    }

    /// The engine from raw lines through a parser (`- parser:`, SEC's expression after the syslog stamp, read as
    /// the event's time) and the field rule; returns (lines/s, alarms).
    static func eccParsers(_ text: [UInt8], rules: RuleSet) throws -> (Double, Int) {
        let yaml = """
            - parser: sshd-failed
              match: '^(?P<time>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) (?P<host>\\S+) \(pattern)'
              time: {capture: time, format: "%b %e %H:%M:%S"}
              event: {source: syslog, type: ssh.auth_failed, severity: warning}
            """
        let parsers = try RuleLoader.load(sources: [("sec-bench-parser.yaml", yaml)]).parsers
        var engine = Engine(rules: rules)
        var batch = ChangeBatch()
        var raised = 0
        var count = 0
        let reference = EventTime(nanoseconds: base)
        let seconds = timed {
            text.withUnsafeBufferPointer { raw in
                var start = 0
                for i in 0..<raw.count where raw[i] == 0x0A {
                    let outcome = parsers.parse(
                        UnsafeBufferPointer(rebasing: raw[start..<i]), receivedAt: reference, reference: reference)
                    if case .event(let e) = outcome { engine.handle(e, at: e.time, into: &batch) }
                    count += 1
                    if count & 4095 == 0 {
                        for c in batch.changes where c.kind == .raised { raised += 1 }
                        batch.removeAll()
                    }
                    start = i + 1
                }
            }
            for c in batch.changes where c.kind == .raised { raised += 1 }
            batch.removeAll()
        }
        return (Double(count) / seconds, raised)
    }

    /// `sec` on the PATH (or in /usr/bin, /usr/local/bin), if it is the Simple Event Correlator.
    static func findSEC() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        guard let exe = dirs.map({ $0 + "/sec" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        // Another program called `sec` would not do: ask for the version.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-sec-version-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        guard FileManager.default.createFile(atPath: out.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: out)
        else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--version"]
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        try? handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        return text.contains("Simple Event Correlator") ? exe : nil
    }

    /// One SEC run over `input`; returns (seconds of wall clock, alarms written).
    static func runSEC(_ sec: String, conf: String, input: String, alarms: String) throws -> (Double, Int) {
        try? FileManager.default.removeItem(atPath: alarms)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sec)
        // --notail: read the file to its end and exit (--fromstart has no meaning with it).
        p.arguments = ["--conf=\(conf)", "--input=\(input)", "--notail", "--nointevents", "--log=/dev/null"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let seconds = try timed {
            try p.run()
            p.waitUntilExit()
        }
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            let hint = "\(sec) --conf=\(conf) --testonly"
            throw Failure(description: "sec failed (status \(p.terminationStatus)); try: \(hint)")
        }
        let written = (try? Data(contentsOf: URL(fileURLWithPath: alarms))) ?? Data()
        return (seconds, written.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 })
    }

    static func run(lines n: Int, sec: String) throws {
        let w = workload(lines: n)
        var tmp = FileManager.default.temporaryDirectory.path
        if tmp.contains(where: \.isWhitespace) { tmp = "/tmp" }  // SEC's write action takes no spaces in names
        let dir = tmp + "/ecc-sec-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/auth.log"
        let empty = dir + "/empty.log"
        let conf = dir + "/sec.conf"
        let alarms = dir + "/alarms.txt"
        try Data(w.text).write(to: URL(fileURLWithPath: input))
        try Data().write(to: URL(fileURLWithPath: empty))
        let secConf = """
            # 5 sshd password failures from one source address within 60 s -> one alarm (one line in the file).
            type=SingleWithThreshold
            ptype=RegExp
            pattern=\(pattern)
            desc=ssh brute force from $+{src}
            action=write \(alarms) $+{src}
            window=60
            thresh=5

            """
        try secConf.write(toFile: conf, atomically: true, encoding: .utf8)

        let fieldRules = try rules(regex: false)
        let regexRules = try rules(regex: true)
        var secRate = 0.0
        var eccFieldRate = 0.0
        var eccRegexRate = 0.0
        var secAlarms: [Int] = []
        var fieldAlarms: [Int] = []
        var regexAlarms: [Int] = []
        var parserRates: [Double] = []
        var parserAlarms: [Int] = []
        var secRates: [Double] = []
        for _ in 0..<3 {
            let (s, a) = try runSEC(sec, conf: conf, input: input, alarms: alarms)
            secRate = max(secRate, Double(n) / s)
            secRates.append(Double(n) / s)
            secAlarms.append(a)
            let (pr, pa) = try eccParsers(w.text, rules: fieldRules)
            parserRates.append(pr)
            parserAlarms.append(pa)
            let (f, fa) = eccFields(w.events, rules: fieldRules)
            eccFieldRate = max(eccFieldRate, f)
            fieldAlarms.append(fa)
            let (r, ra) = eccRegex(w.text, rules: regexRules)
            eccRegexRate = max(eccRegexRate, r)
            regexAlarms.append(ra)
        }
        var startup = Double.infinity
        for _ in 0..<3 {
            let (s, _) = try runSEC(sec, conf: conf, input: empty, alarms: alarms)
            startup = min(startup, s)
        }

        let secA = secAlarms[0]
        let fieldA = fieldAlarms[0]
        let regexA = regexAlarms[0]
        let agree = (secAlarms + fieldAlarms + regexAlarms + parserAlarms).allSatisfy { $0 == w.expectedAlarms }
        // Parsers against SEC pair by pair (the same iteration of the loop), median of the three ratios.
        let pairRatios = zip(parserRates, secRates).map { $0 / $1 }.sorted()
        parserRates.sort()
        figure("sec_threshold_lines_per_s", secRate, "lines/s")
        figure("ecc_threshold_fields_events_per_s", eccFieldRate, "events/s")
        figure("ecc_threshold_regex_events_per_s", eccRegexRate, "events/s")
        figure("ecc_fields_vs_sec_ratio", eccFieldRate / secRate, "x")
        figure("ecc_regex_vs_sec_ratio", eccRegexRate / secRate, "x")
        figure("ecc_threshold_parsers_lines_per_s", parserRates[1], "lines/s")
        figure("ecc_parsers_vs_sec_ratio", pairRatios[1], "x")
        print(
            "# sec: parsers (median of 3, min–max): ECC \(rate(parserRates[0]))–\(rate(parserRates[2])) lines/s "
                + "from raw lines through a parser (SEC's expression, the syslog time read) into the same rule; "
                + String(format: "ratio to SEC in the same iteration %.1f–%.1fx; ", pairRatios[0], pairRatios[2])
                + "alarms \(parserAlarms)")
        figure("sec_startup_ms", startup * 1000, "ms")
        figure("sec_threshold_alarms", Double(secA), "alarms")
        figure("ecc_threshold_fields_alarms", Double(fieldA), "alarms")
        figure("ecc_threshold_regex_alarms", Double(regexA), "alarms")
        let fieldRatio = String(format: "%.1f", eccFieldRate / secRate)
        let regexRatio = String(format: "%.1f", eccRegexRate / secRate)
        var summary = "# sec: 5 in 60s per source address, \(n) syslog lines"
        summary += " (50% sshd failures, 1000 addresses in flight, \(w.addresses) in all), best of 3:"
        summary += " SEC \(rate(secRate)) lines/s (Perl regex on raw lines, whole process),"
        summary += " ECC \(rate(eccFieldRate)) events/s on pre-parsed fields,"
        summary += " \(rate(eccRegexRate)) lines/s with the same regex on raw lines;"
        summary += " ratio \(fieldRatio)x fields, \(regexRatio)x regex;"
        summary += " alarms SEC \(secA) ECC \(fieldA) (regex \(regexA)), expected \(w.expectedAlarms)"
        summary += agree ? ": ok" : ": MISMATCH"
        print(summary)
        if !agree {
            print(
                "bench: warning sec alarm counts differ: SEC \(secAlarms), ECC fields \(fieldAlarms), "
                    + "ECC regex \(regexAlarms), ECC parsers \(parserAlarms), expected \(w.expectedAlarms)")
        }
    }

    /// `bench: <name> <value> <unit>`, formatted as main.swift's `bench` does.
    static func figure(_ name: String, _ value: Double, _ unit: String) {
        let text = value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
        print("bench: \(name) \(text) \(unit)")
    }

    /// 134.2 k, 3.10 M.
    static func rate(_ v: Double) -> String {
        v >= 1_000_000 ? String(format: "%.2f M", v / 1_000_000) : String(format: "%.1f k", v / 1000)
    }
}
