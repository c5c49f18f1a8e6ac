import CEccPCRE2
import EccCore
import Foundation

// Rule regexes: RE2 (what eccd uses, through EccCore's Pattern) vs PCRE2 (JIT and interpreter) vs Swift's
// `Regex` (what rules used before), in one run, speed and safety. `ECC_BENCH_ONLY=regex`.
//
// Workload "rule regexes over event texts": four patterns as rules write them, each over its own list of
// N texts (200 000 × ECC_BENCH_SCALE, built before the clock starts), about half of them matching:
// - host:    `^core-(?<site>[a-z]+)-(?<unit>[0-9]+)` on host names (core-ams-12.dc1, edge-fra-3.dc2,
//            acc-sw-101.lon1, core-7.dc1 ...), 15-20 bytes;
// - sshd:    `sshd\[\d+\]: Failed password for (?:invalid user )?(?<user>\S+) from (?<src>[\d.]+) port \d+`
//            on whole syslog lines (header, host, program, message; failures, accepted logins, CRON,
//            kernel, systemd), 70-110 bytes;
// - ifdescr: `^(?<kind>GigabitEthernet|TenGigabitEthernet|FastEthernet)(?<port>\d+(?:/\d+){1,2})$` on
//            interface descriptions (GigabitEthernet1/0/12, Vlan100, Port-channel12 ...);
// - updown:  `(?i)%(?:link|lineproto)-\d-(?:updown|changed)` (no captures) on Cisco syslog lines.
// Every engine does the same work per text: find the first match anywhere and return its named groups as
// Swift strings, as the rule engine needs them (Pattern.match for RE2; the former Swift `Regex` code of
// Pattern; the same loop over PCRE2's ovector). PCRE2 runs in UTF mode without its per-call UTF check
// (Swift strings are valid UTF-8). Best of 3 runs; the matches and captured bytes of all engines are
// compared and a `bench: warning` line printed if they differ.
//
// Safety: `^(a+)+$` against "aaaaaaaaaaaaaaaaaaaa!" (21 characters, the host name of issue 12): time per
// match for RE2 and PCRE2 (which gives up with an error at its match limit, 10 000 000 by default), and for
// Swift's `Regex` in a child process that is killed after ECC_BENCH_REGEX_TIMEOUT seconds (10 by default):
// "did not finish within N s" is then a lower bound. Swift's `Regex` is also timed in this process on 10,
// 12 and 14 `a`s to show the growth.
//
// Without PCRE2 (no pcre2.h at build time or no libpcre2-8.so.0 at run time) the PCRE2 rows print
// `bench: regex pcre2 skipped: <why>`.

/// One engine's way to run a pattern: the named captures of the first match, or nil.
protocol RegexRunner {
    func match(_ text: String) -> [(String, String)]?
}

extension Pattern: RegexRunner {}

/// Swift's `Regex`, as Pattern used it before RE2.
final class SwiftRegexRunner: RegexRunner {
    let regex: Regex<AnyRegexOutput>
    let hasNames: Bool

    init(_ source: String) throws {
        regex = try Regex(source)
        hasNames = source.contains("(?<")
    }

    func match(_ text: String) -> [(String, String)]? {
        guard let m = try? regex.firstMatch(in: text) else { return nil }
        if !hasNames { return [] }
        var out: [(String, String)] = []
        for element in m.output {
            if let name = element.name, let value = element.substring { out.append((name, String(value))) }
        }
        return out
    }
}

/// PCRE2 through the bench-only C shim; `errors` counts matches that gave up (match limit).
final class PCRE2Runner: RegexRunner {
    let re: OpaquePointer
    let names: [String]
    var errors = 0

    init(_ source: String, jit: Bool) throws {
        var message = [CChar](repeating: 0, count: 256)
        var s = source
        let compiled = s.withUTF8 { b in
            ecc_pcre2_new(
                b.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, b.count, jit ? 1 : 0,
                &message, message.count)
        }
        guard let compiled else {
            throw BenchFailure(
                "pcre2: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            )
        }
        re = compiled
        names = (0..<ecc_pcre2_group_count(compiled)).map { String(cString: ecc_pcre2_group_name(compiled, $0)) }
    }

    deinit { ecc_pcre2_free(re) }

    func match(_ text: String) -> [(String, String)]? {
        var text = text
        let n = names.count
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: max(1, 2 * n)) { spans in
            text.withUTF8 { utf8 -> [(String, String)]? in
                let base = utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                let rc = ecc_pcre2_match(re, base, utf8.count, n == 0 ? nil : spans.baseAddress)
                if rc < 0 { errors += 1 }
                guard rc == 1 else { return nil }
                if n == 0 { return [] }
                var out: [(String, String)] = []
                out.reserveCapacity(n)
                for i in 0..<n where spans[2 * i] >= 0 {
                    let slice = UnsafeBufferPointer(rebasing: utf8[Int(spans[2 * i])..<Int(spans[2 * i + 1])])
                    out.append((names[i], String(decoding: slice, as: UTF8.self)))
                }
                return out
            }
        }
    }
}

enum RegexBench {
    /// A pattern and the texts it runs on.
    struct Case {
        var name: String
        var pattern: String
        var texts: [String]
    }

    static let pathological = "^(a+)+$"
    static let hostile = String(repeating: "a", count: 20) + "!"

    /// The four patterns and their texts (see the comment at the top of this file).
    static func workload(count n: Int) -> [Case] {
        let sites = ["ams", "fra", "lon", "par", "zrh", "mad", "waw", "osl"]
        let hosts = (0..<n).map { i -> String in
            let site = sites[i % sites.count]
            switch i % 6 {
            case 0, 1, 2: return "core-\(site)-\(i % 97).dc\(i % 4 + 1)"
            case 3: return "edge-\(site)-\(i % 13).dc\(i % 4 + 1)"
            case 4: return "acc-sw-\(i % 211).\(site)1"
            default: return "core-\(i % 9).dc1"
            }
        }
        let users = ["root", "admin", "oracle", "deploy", "test", "ubuntu"]
        let syslog = (0..<n).map { i -> String in
            let stamp = "Nov 25 10:\(String(format: "%02d:%02d", i / 60 % 60, i % 60))"
            let host = "web-\(i % 40)"
            let addr = "10.\(i % 7).\(i / 7 % 250).\(i % 251)"
            switch i % 8 {
            case 0, 2, 4:
                return "\(stamp) \(host) sshd[\(1000 + i % 9000)]: Failed password for \(users[i % users.count]) "
                    + "from \(addr) port \(40000 + i % 20000) ssh2"
            case 6:
                return "\(stamp) \(host) sshd[\(1000 + i % 9000)]: Failed password for invalid user "
                    + "\(users[i % users.count])\(i % 10) from \(addr) port \(40000 + i % 20000) ssh2"
            case 1:
                return "\(stamp) \(host) sshd[\(1000 + i % 9000)]: Accepted publickey for deploy from \(addr) "
                    + "port \(40000 + i % 20000) ssh2: ED25519 SHA256:Yx3kq"
            case 3:
                return "\(stamp) \(host) CRON[\(2000 + i % 500)]: pam_unix(cron:session): session opened for user root"
            case 5: return "\(stamp) \(host) kernel: [\(i).\(i % 1000)] eth\(i % 4): link is not ready"
            default: return "\(stamp) \(host) systemd[1]: Started Session \(i) of user deploy."
            }
        }
        let descrs = (0..<n).map { i -> String in
            switch i % 8 {
            case 0, 1: return "GigabitEthernet\(i % 4 + 1)/0/\(i % 48 + 1)"
            case 2: return "TenGigabitEthernet\(i % 2 + 1)/\(i % 8 + 1)"
            case 3: return "FastEthernet0/\(i % 24)"
            case 4: return "Vlan\(100 + i % 900)"
            case 5: return "Port-channel\(i % 64)"
            case 6: return "Loopback\(i % 4)"
            default: return "GigabitEthernet0/0/\(i % 48).\(100 + i % 50)"  // a subinterface: no match
            }
        }
        let cisco = (0..<n).map { i -> String in
            let stamp = "Nov 25 10:\(String(format: "%02d:%02d", i / 60 % 60, i % 60)) core-\(sites[i % 8])-\(i % 20)"
            let port = "GigabitEthernet1/0/\(i % 48 + 1)"
            switch i % 4 {
            case 0: return "\(stamp) %LINK-3-UPDOWN: Interface \(port), changed state to down"
            case 1: return "\(stamp) %LINEPROTO-5-UPDOWN: Line protocol on Interface \(port), changed state to up"
            case 2: return "\(stamp) %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.\(i % 250))"
            default: return "\(stamp) %SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: admin] [Source: 10.1.1.9]"
            }
        }
        return [
            Case(name: "host", pattern: "^core-(?<site>[a-z]+)-(?<unit>[0-9]+)", texts: hosts),
            Case(
                name: "sshd",
                pattern:
                    #"sshd\[\d+\]: Failed password for (?:invalid user )?(?<user>\S+) from (?<src>[\d.]+) port \d+"#,
                texts: syslog),
            Case(
                name: "ifdescr",
                pattern: #"^(?<kind>GigabitEthernet|TenGigabitEthernet|FastEthernet)(?<port>\d+(?:/\d+){1,2})$"#,
                texts: descrs),
            Case(name: "updown", pattern: #"(?i)%(?:link|lineproto)-\d-(?:updown|changed)"#, texts: cisco),
        ]
    }

    /// Runs `runner` over `texts`: (texts/s, matches, captured bytes).
    static func measure(_ runner: some RegexRunner, _ texts: [String]) -> (Double, Int, Int) {
        var matches = 0
        var bytes = 0
        let seconds = timed {
            for t in texts {
                guard let groups = runner.match(t) else { continue }
                matches += 1
                for (_, v) in groups { bytes += v.utf8.count }
            }
        }
        return (Double(texts.count) / seconds, matches, bytes)
    }

    /// The engines in the order they are printed; PCRE2 only when it can be loaded.
    static func runners(_ pattern: String) throws -> [(String, any RegexRunner)] {
        var out: [(String, any RegexRunner)] = [("re2", try Pattern(pattern))]
        if ecc_pcre2_unavailable() == nil {
            out.append(("pcre2_jit", try PCRE2Runner(pattern, jit: true)))
            out.append(("pcre2", try PCRE2Runner(pattern, jit: false)))
        }
        out.append(("swift", try SwiftRegexRunner(pattern)))
        return out
    }

    static func run(texts n: Int) throws {
        if let why = ecc_pcre2_unavailable() {
            print("bench: regex pcre2 skipped: \(String(cString: why))")
        } else {
            print("# regex: PCRE2 \(String(cString: ecc_pcre2_version())), RE2 from libre2 (Debian)")
        }
        for c in workload(count: n) {
            var runs: [String: [Double]] = [:]
            var results: [String: (Int, Int)] = [:]
            let engines = try runners(c.pattern)
            for _ in 0..<3 {
                for (name, runner) in engines {
                    let (rate, matches, bytes) = measure(runner, c.texts)
                    runs[name, default: []].append(rate)
                    results[name] = (matches, bytes)
                }
            }
            for (name, _) in engines {
                bench("regex_\(name)_\(c.name)_texts_per_s", Spread(runs[name] ?? []), "texts/s")
            }
            let distinct = Set(results.values.map { "\($0.0)/\($0.1)" })
            let summary = engines.map { "\($0.0) \(results[$0.0].map { "\($0.0)/\($0.1)" } ?? "-")" }
            print("# regex \(c.name): matches/captured bytes of \(n) texts: \(summary.joined(separator: ", "))")
            if distinct.count != 1 { print("bench: warning regex \(c.name): engines disagree") }
        }
        try safety()
    }

    /// The pathological pattern on the 21-character text: time per match, or the bound a child was killed at.
    static func safety() throws {
        let re2 = try Pattern(pathological)
        let reps = 10_000
        var hits = 0
        let s = timed { for _ in 0..<reps where re2.matches(hostile) { hits += 1 } }
        bench("regex_re2_pathological_21_chars_us", s / Double(reps) * 1e6, "us/match")
        if ecc_pcre2_unavailable() == nil {
            for jit in [true, false] {
                let p = try PCRE2Runner(pathological, jit: jit)
                let r = 20
                let t = timed { for _ in 0..<r { _ = p.match(hostile) } }
                let name = jit ? "pcre2_jit" : "pcre2"
                bench("regex_\(name)_pathological_21_chars_us", t / Double(r) * 1e6, "us/match")
                let long = String(repeating: "a", count: 40) + "!"
                let before = p.errors
                let t40 = timed { _ = p.match(long) }
                let gaveUp = p.errors > before ? "gave up: match limit" : "answered"
                print("# regex \(name) on 40 a's + '!': \(String(format: "%.1f", t40 * 1e3)) ms, \(gaveUp)")
            }
        }
        let swift = try SwiftRegexRunner(pathological)
        for k in [10, 12, 14] {
            let text = String(repeating: "a", count: k) + "!"
            let t = timed { _ = swift.match(text) }
            bench("regex_swift_pathological_\(k + 1)_chars_ms", t * 1e3, "ms/match")
        }
        swiftInChild()
    }

    /// Swift's `Regex` on the 21-character text in a child process, killed after the timeout.
    static func swiftInChild() {
        let timeout = Double(ProcessInfo.processInfo.environment["ECC_BENCH_REGEX_TIMEOUT"] ?? "10") ?? 10
        do {
            guard let text = try benchChild(["ECC_BENCH_REGEX_CHILD": "swift"], timeout: timeout) else {
                print(
                    "bench: regex_swift_pathological_21_chars_ms >\(Int(timeout * 1000)) ms/match "
                        + "(did not finish within \(Int(timeout)) s; child killed)")
                return
            }
            print(text, terminator: "")
        } catch {
            print("bench: regex swift pathological skipped: \(error)")
        }
    }

    /// The child's side of `swiftInChild`: one match, its time.
    static func child() {
        guard let swift = try? SwiftRegexRunner(pathological) else { return }
        let t = timed { _ = swift.match(hostile) }
        bench("regex_swift_pathological_21_chars_ms", t * 1e3, "ms/match")
    }
}
