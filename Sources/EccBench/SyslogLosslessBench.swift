import EccConfig
import EccDaemon
import EccTestSupport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The lossless UDP syslog rate (≥ 99.9 % received) of eccd (datagrams → events → the shipped rules and
/// parsers → SQLite), of rsyslog (Debian's, `imudp` → `omfile`, its own format) and of the do-nothing receiver,
/// on the same load in the same run, three rounds in turn (``LosslessUDP``): `ECC_BENCH_ONLY=syslog-udp`.
///
/// rsyslog is a multi-threaded C daemon (an input thread, the main queue and its worker writing the file);
/// eccd's receiver is one thread, its engine another, its store a third. Both read with `recvmmsg` into an
/// 8 MiB receive buffer.
enum SyslogLosslessBench {
    static func run() async throws {
        guard let dir = try LosslessUDP.prepare("syslog bench") else { return }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd") else {
            harnessBroken("syslog bench: rsyslogd is not installed (make test-deps installs it)")
            return
        }
        print("# syslog bench: \(firstLine("/usr/sbin/rsyslogd", ["-v"]))")
        let load = mixed
        try LosslessUDP.use(load)
        workload(
            load.description + "; offered for \(Int(LosslessUDP.stepSeconds)) s a rate, rising about half again a "
                + "step from 1,000/s until a loss, then narrowed twice; lossless = the highest rate with ≥ 99.9 % "
                + "received (eccd: made events; rsyslog: lines in its file); three rounds, the three receivers in turn")
        try await LosslessUDP.rounds(
            load: load.name, figure: "syslog_lossless_messages_per_s", unit: "messages/s", peer: "rsyslog",
            ratio: "syslog_eccd_vs_rsyslog_ratio", ceilingRatio: "syslog_eccd_vs_ceiling_ratio",
            measurePeer: { try measureRsyslog() },
            measureEccd: { round in try await measureEccd(database: dir + "/ecc-\(round).db") })
    }

    /// 250 messages cycled from 4,096 source addresses: a fifth each of RFC 5424 application events with
    /// structured data, RFC 3164 sshd password failures (50 attacker addresses, 5 users: the shipped parser
    /// makes them `auth_failure`, and the security rules count them), systemd unit failures on 50 hosts (the
    /// shipped parser and `service-failed`: many alarm keys, a store that writes), Cisco IOS link changes with
    /// sequence numbers and Huawei VRP ones with years and `%%` tags. Each ends in `SEQ########`.
    static var mixed: LosslessUDP.Load {
        var messages: [String] = []
        for i in 0..<50 {
            let host = "web\(i)"
            messages.append(
                "<165>1 2026-12-07T11:00:\(10 + i % 50).\(100 + i)Z \(host) billing \(1000 + i) INV [timeQuality "
                    + "tzKnown=\"1\" isSynced=\"1\"][origin ip=\"192.0.2.\(i)\"] invoice run \(i) finished SEQ00000000")
            messages.append(
                "<38>Dec  7 11:00:\(10 + i % 50) \(host) sshd[\(2000 + i)]: Failed password for invalid user "
                    + "user\(i % 5) from 203.0.113.\(i) port \(40_000 + i) ssh2 SEQ00000000")
            messages.append(
                "<27>Dec  7 11:00:\(10 + i % 50) db\(i) systemd[1]: app\(i % 10).service: Failed with result "
                    + "'exit-code'. SEQ00000000")
            messages.append(
                "<189>\(i): *Dec  7 11:00:02.\(100 + i) UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/\(i), "
                    + "changed state to down SEQ00000000")
            messages.append(
                "<189>Dec  7 2026 11:00:00+08:00 HW-\(host) %%01IFNET/4/LINK_STATE(l)[\(i % 8)]:The line protocol IP "
                    + "on the interface GigabitEthernet0/0/\(i) has entered the DOWN state. SEQ00000000")
        }
        return LosslessUDP.Load(
            name: "mixed_4096_sources",
            description:
                "a mixed syslog load: \(messages.count) messages cycled (RFC 5424 with structured data, RFC 3164 "
                + "sshd failures from 50 addresses, systemd unit failures on 50 hosts, Cisco IOS and Huawei VRP link "
                + "changes) from 4,096 source addresses in 127.1/16; eccd through the shipped rules and parsers "
                + "(rules/), a new SQLite store each round; rsyslog 8 writing each message to a file, no DNS lookups",
            packets: LosslessUDP.located(messages.map { Array($0.utf8) }, "a syslog bench message"), sources: 4096)
    }

    /// rsyslog with only `imudp` (8 MiB receive buffer, as eccd asks) and `omfile`, resolving no sender names
    /// (`net.enableDNS="off"`: eccd does no lookups, and a lookup per new sender stalls rsyslog's queue); counted
    /// by the lines in its file, read as they grow.
    static func measureRsyslog() throws -> LosslessUDP.Measured? {
        let dir = LosslessUDP.dir
        let port = LosslessUDP.freePort()
        let log = dir + "/rsyslog.log"
        try? FileManager.default.removeItem(atPath: log)
        try """
        global(workDirectory="\(dir)" net.enableDNS="off")
        module(load="imudp")
        input(type="imudp" address="127.0.0.1" port="\(port)" rcvbufSize="8m")
        action(type="omfile" file="\(log)" template="RSYSLOG_FileFormat")
        """.write(toFile: dir + "/rsyslog.conf", atomically: true, encoding: .utf8)
        guard
            let receiver = LosslessUDP.spawn(
                "/usr/sbin/rsyslogd", ["-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslog.pid"],
                output: dir + "/rsyslog.out")
        else {
            harnessBroken("syslog bench: rsyslogd did not start")
            return nil
        }
        defer { receiver.stop(grace: 5) }
        guard LosslessUDP.waitBound(port) else {
            harnessBroken("syslog bench: rsyslogd did not bind its port: \(TestServers.tail(dir + "/rsyslog.out"))")
            return nil
        }
        usleep(300_000)  // its main queue's worker starts after the input binds
        let lines = LineCounter(path: log)
        let r = LosslessUDP.Receiver(name: "rsyslog", received: { lines.count() }, stop: {})
        return LosslessUDP.measured { LosslessUDP.limit(r, port: port, senders: 1) }
    }

    /// eccd: syslog over UDP → events → the shipped rules (run from the repository: ./rules) → a new SQLite store.
    static func measureEccd(database: String) async throws -> LosslessUDP.Measured? {
        guard FileManager.default.fileExists(atPath: "rules") else {
            harnessBroken("syslog bench: no ./rules here (run make bench from the repository)")
            return nil
        }
        var config = DaemonConfig()
        config.database.path = database
        config.rulePaths = ["rules"]
        config.http.port = 0
        config.tcp.enabled = false
        config.snmp.enabled = false
        config.syslog.port = LosslessUDP.freePort()
        return try await LosslessUDP.measureEccd(config, port: \.syslogPort)
    }
}

/// Lines in a file that grows, counted from where the last count stopped.
final class LineCounter {
    private let path: String
    private var offset: UInt64 = 0
    private var lines = 0

    init(path: String) { self.path = path }

    func count() -> Int {
        guard let h = FileHandle(forReadingAtPath: path) else { return lines }
        defer { try? h.close() }
        try? h.seek(toOffset: offset)
        while let chunk = try? h.read(upToCount: 1 << 20), !chunk.isEmpty {
            offset += UInt64(chunk.count)
            lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        return lines
    }
}
