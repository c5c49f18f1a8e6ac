import EccConfig
import EccCore
import EccDaemon
import EccSNMP
import EccTestSupport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The lossless SNMPv2c trap rate (≥ 99.9 % received) of three receivers on the same load, found by
/// offering rising rates, then narrowing down between the last rate taken whole and the first with a loss:
/// eccd (traps → events → the shipped rules → SQLite), net-snmp's snmptrapd logging to a file, and a
/// do-nothing C receiver (recvmmsg and count), this machine's ceiling. The load generator sends
/// pre-encoded packets with sendmmsg; an 8-digit sequence number in a varbind makes every packet distinct.
/// Two loads (`Load`): the best case (one packet from one address) and a mixed one (240 packets of eight
/// kinds, v1, v2c traps and informs, from 4,096 source addresses in 127/8, so many alarm keys and a
/// store that writes).
/// A receiver that loses traps at the lowest rate is a broken harness (the bench fails); a ratio against
/// the ceiling is printed only when the do-nothing receiver was driven to a loss (otherwise it says the
/// ceiling was not reached, after trying more generator processes).
enum TrapBench {
    /// Offered rates, about half again each step, from well below snmptrapd's limit to well above what two
    /// cores can take.
    static let ladder = [
        1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000, 75_000, 100_000, 150_000,
        200_000, 300_000, 500_000, 750_000, 1_000_000, 1_500_000,
    ]
    static let stepSeconds = 2.0

    static func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-trap-bench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.dir = dir

        // The load generator and the ceiling (a do-nothing receiver) are C, built here.
        try nullReceiverSource.write(toFile: dir + "/null.c", atomically: true, encoding: .utf8)
        try senderSource.write(toFile: dir + "/sender.c", atomically: true, encoding: .utf8)
        for name in ["null", "sender"] {
            let cc = try? ChildProcess.run("/usr/bin/cc", ["-O2", "-o", dir + "/" + name, dir + "/" + name + ".c"])
            if let cc, cc.status != 0 { print("# trap bench: cc \(name).c: \(cc.output.prefix(500))") }
        }
        guard FileManager.default.isExecutableFile(atPath: dir + "/sender") else {
            print("# trap bench: cannot build the load generator with cc; the SNMP figures are skipped")
            return
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd") {
            print("# trap bench: snmptrapd \(firstLine("/usr/sbin/snmptrapd", ["--version"]))")
        }
        // ECC_BENCH_SNMP_LOAD=best_case or mixed_4096_sources measures one load only.
        let only = ProcessInfo.processInfo.environment["ECC_BENCH_SNMP_LOAD"]
        for load in [bestCase, mixed] where only == nil || only == load.name { try await measure(load) }
    }

    /// Three rounds of the three receivers on `load`, and its figures (named with `load.name`).
    static func measure(_ load: Load) async throws {
        try write(load, to: dir + "/packets.bin")
        sources = load.sources
        workload(
            load.description + "; offered for \(Int(stepSeconds)) s a rate, rising about half again a step from "
                + "1,000/s until a loss, then narrowed twice; lossless = the highest rate with ≥ 99.9 % received; "
                + "three rounds, the three receivers in turn")
        var lossless: [String: [Double]] = [:]
        var censored: Set<String> = []
        var vsTrapd: [Double] = []
        var vsNull: [Double] = []
        for round in 1...3 {
            // The ceiling: more generator processes while the do-nothing receiver takes all they offer.
            var null: Measured?
            for senders in [1, 2, 4] {
                guard let m = measureNull(senders: senders) else { break }
                null = m
                if m.limit.firstLoss != nil { break }
                print(
                    "# trap bench: the do-nothing receiver took all \(Int(m.limit.offered))/s that \(senders) "
                        + "generator\(senders > 1 ? "s" : "") offered")
            }
            let trapd = try measureTrapd()
            let eccd = try await measureEccd(database: dir + "/ecc-\(load.name)-\(round).db")
            for (name, m) in [("null_receiver", null), ("snmptrapd", trapd), ("eccd", eccd)] {
                guard let m else { continue }
                lossless[name, default: []].append(Double(m.limit.lossless))
                if m.limit.firstLoss == nil { censored.insert(name) }
                if m.limit.lossless == 0 {
                    harnessBroken(
                        "trap bench \(load.name) round \(round): \(name) lost traps at \(ladder[0])/s, the lowest rate")
                }
            }
            if let trapd, let eccd, eccd.limit.lossless > 0, trapd.limit.lossless > 0 {
                if eccd.limit.firstLoss == nil {
                    print(
                        "# trap bench round \(round): eccd took all the generator offered; eccd/snmptrapd is at least "
                            + String(format: "%.1f", Double(eccd.limit.lossless) / Double(trapd.limit.lossless)))
                } else if let r = pairRatio(eccd.side, trapd.side, "trap bench round \(round): eccd/snmptrapd") {
                    vsTrapd.append(r)
                }
            }
            if let null, let eccd {
                if null.limit.firstLoss == nil {
                    print(
                        "# trap bench round \(round): ceiling not reached (the do-nothing receiver never lost); no eccd/ceiling ratio"
                    )
                } else if eccd.limit.firstLoss != nil,
                    let r = pairRatio(eccd.side, null.side, "trap bench round \(round): eccd/ceiling")
                {
                    vsNull.append(r)
                }
            }
        }
        for name in ["eccd", "snmptrapd", "null_receiver"] {
            guard let v = lossless[name] else { continue }
            if censored.contains(name) {
                print(
                    "# trap bench: \(name) took everything offered in at least one round: its figure is a lower bound")
            }
            bench("snmp_lossless_traps_per_s_\(name)_\(load.name)", Spread(v), "traps/s")
        }
        if !vsTrapd.isEmpty { bench("snmp_eccd_vs_snmptrapd_ratio_\(load.name)", Spread(vsTrapd), "x") }
        if !vsNull.isEmpty { bench("snmp_eccd_vs_ceiling_ratio_\(load.name)", Spread(vsNull), "x") }
    }

    /// A receiver's limit, and the load other processes put on the machine meanwhile.
    struct Measured {
        var limit: Limit
        var others: Double
        var side: Side { Side(value: Double(limit.lossless), others: others) }
    }

    /// Runs `body`, noting other processes' load meanwhile (the receiver under test is our child, so ours).
    static func measured(_ body: () throws -> Limit) rethrows -> Measured {
        let before = MachineSample.now()
        let limit = try body()
        return Measured(limit: limit, others: before.others(until: MachineSample.now()))
    }

    static func measureNull(senders: Int) -> Measured? {
        let port = freePort()
        try? FileManager.default.removeItem(atPath: dir + "/null.count")
        guard let receiver = spawn(dir + "/null", [String(port), dir + "/null.count"], output: dir + "/null.out")
        else {
            print("# trap bench: cannot start the C receiver; the ceiling is not measured")
            return nil
        }
        defer { receiver.stop(grace: 5) }
        usleep(300_000)
        let r = Receiver(
            name: "null",
            received: {
                Int(
                    (try? String(contentsOfFile: dir + "/null.count", encoding: .utf8))?
                        .split(separator: "\n").first ?? "0") ?? 0
            }, stop: {})
        return measured { limit(r, port: port, senders: senders) }
    }

    /// net-snmp's snmptrapd, logging every trap to a file; `-n`: numeric addresses, no name lookups (eccd does none).
    static func measureTrapd() throws -> Measured? {
        let port = freePort()
        try "disableAuthorization yes\n".write(toFile: dir + "/trapd.conf", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: dir + "/trapd.log")
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd") else {
            harnessBroken("trap bench: snmptrapd is not installed (make test-deps installs it)")
            return nil
        }
        guard
            let receiver = spawn(
                "/usr/sbin/snmptrapd",
                [
                    "-f", "-n", "-On", "-m", "", "-C", "-c", dir + "/trapd.conf", "-Lf", dir + "/trapd.log",
                    "udp:127.0.0.1:\(port)",
                ], output: dir + "/trapd.out")
        else {
            harnessBroken("trap bench: snmptrapd did not start")
            return nil
        }
        defer { receiver.stop(grace: 5) }
        usleep(500_000)
        let r = Receiver(
            name: "snmptrapd",
            received: {
                let text = (try? String(contentsOfFile: dir + "/trapd.log", encoding: .utf8)) ?? ""
                return text.components(separatedBy: "SEQ").count - 1
            }, stop: {})
        return measured { limit(r, port: port, senders: 1) }
    }

    /// eccd: traps → events → the shipped rules → SQLite (run from the repository: ./rules), a new database.
    static func measureEccd(database: String) async throws -> Measured? {
        guard FileManager.default.fileExists(atPath: "rules") else {
            harnessBroken("trap bench: no ./rules here (run make bench from the repository)")
            return nil
        }
        var config = DaemonConfig()
        config.database.path = database
        config.rulePaths = ["rules"]
        config.http.port = 0
        config.tcp.enabled = false
        config.snmp.port = freePort()
        config.syslog.enabled = false
        // The mixed load's informs (14 of 240 packets: 1,750/s at 30 k traps/s) would pass the default limit on
        // inform Responses (snmp.responses_per_second, 1,000/s; past it an inform is dropped, unanswered, for the
        // sender to retry): raised, as a site with that many informs would, so the figure is eccd's throughput.
        config.snmp.policy.limits.responsesPerSecond = 1_000_000
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = try Daemon(config: config, logger: logger)
        let task = Task { try await daemon.run(handleSignals: false) }
        while daemon.snmpPort == nil { try await Task.sleep(for: .milliseconds(5)) }
        let r = Receiver(name: "eccd", received: { daemon.processedEvents }, stop: {})
        let port = daemon.snmpPort ?? 0
        let m = await Task.detached { measured { limit(r, port: port, senders: 1) } }.value
        await daemon.shutdown()
        try await task.value
        return m
    }
}
