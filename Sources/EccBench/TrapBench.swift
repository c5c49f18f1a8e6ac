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
    static func run() async throws {
        guard let dir = try LosslessUDP.prepare("trap bench") else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd") {
            print("# trap bench: snmptrapd \(firstLine("/usr/sbin/snmptrapd", ["--version"]))")
        }
        // ECC_BENCH_SNMP_LOAD=best_case or mixed_4096_sources measures one load only.
        let only = ProcessInfo.processInfo.environment["ECC_BENCH_SNMP_LOAD"]
        for load in [bestCase, mixed] where only == nil || only == load.name { try await measure(load) }
    }

    /// Three rounds of the three receivers on `load`, and its figures (named with `load.name`).
    static func measure(_ load: LosslessUDP.Load) async throws {
        try LosslessUDP.use(load)
        workload(
            load.description + "; offered for \(Int(LosslessUDP.stepSeconds)) s a rate, rising about half again a "
                + "step from 1,000/s until a loss, then narrowed twice; lossless = the highest rate with ≥ 99.9 % "
                + "received; three rounds, the three receivers in turn")
        try await LosslessUDP.rounds(
            load: load.name, figure: "snmp_lossless_traps_per_s", unit: "traps/s", peer: "snmptrapd",
            ratio: "snmp_eccd_vs_snmptrapd_ratio", ceilingRatio: "snmp_eccd_vs_ceiling_ratio",
            measurePeer: { try measureTrapd() },
            measureEccd: { round in
                try await measureEccd(database: LosslessUDP.dir + "/ecc-\(load.name)-\(round).db")
            })
    }

    /// net-snmp's snmptrapd, logging every trap to a file; `-n`: numeric addresses, no name lookups (eccd does none).
    static func measureTrapd() throws -> LosslessUDP.Measured? {
        let port = LosslessUDP.freePort()
        try "disableAuthorization yes\n".write(
            toFile: LosslessUDP.dir + "/trapd.conf", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: LosslessUDP.dir + "/trapd.log")
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd") else {
            harnessBroken("trap bench: snmptrapd is not installed (make test-deps installs it)")
            return nil
        }
        guard
            let receiver = LosslessUDP.spawn(
                "/usr/sbin/snmptrapd",
                [
                    "-f", "-n", "-On", "-m", "", "-C", "-c", LosslessUDP.dir + "/trapd.conf", "-Lf",
                    LosslessUDP.dir + "/trapd.log",
                    "udp:127.0.0.1:\(port)",
                ], output: LosslessUDP.dir + "/trapd.out")
        else {
            harnessBroken("trap bench: snmptrapd did not start")
            return nil
        }
        defer { receiver.stop(grace: 5) }
        guard LosslessUDP.waitBound(port) else {
            harnessBroken(
                "trap bench: snmptrapd did not bind its port: \(TestServers.tail(LosslessUDP.dir + "/trapd.out"))")
            return nil
        }
        let r = LosslessUDP.Receiver(
            name: "snmptrapd",
            received: {
                let text = (try? String(contentsOfFile: LosslessUDP.dir + "/trapd.log", encoding: .utf8)) ?? ""
                return text.components(separatedBy: "SEQ").count - 1
            }, stop: {})
        return LosslessUDP.measured { LosslessUDP.limit(r, port: port, senders: 1) }
    }

    /// eccd: traps → events → the shipped rules → SQLite (run from the repository: ./rules), a new database.
    static func measureEccd(database: String) async throws -> LosslessUDP.Measured? {
        guard FileManager.default.fileExists(atPath: "rules") else {
            harnessBroken("trap bench: no ./rules here (run make bench from the repository)")
            return nil
        }
        var config = DaemonConfig()
        config.database.path = database
        config.rulePaths = ["rules"]
        config.http.port = 0
        config.tcp.enabled = false
        config.snmp.port = LosslessUDP.freePort()
        config.syslog.enabled = false
        // The mixed load's informs (14 of 240 packets: 1,750/s at 30 k traps/s) would pass the default limit on
        // inform Responses (snmp.responses_per_second, 1,000/s; past it an inform is dropped, unanswered, for the
        // sender to retry): raised, as a site with that many informs would, so the figure is eccd's throughput.
        config.snmp.policy.limits.responsesPerSecond = 1_000_000
        return try await LosslessUDP.measureEccd(config, port: \.snmpPort)
    }
}
