import EccCore
import EccDaemon
import EccSNMP
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The lossless SNMPv2c trap rate (≥ 99.9 % received) of three receivers on the same load, found by
/// stepping the offered rate: eccd (traps → events → the default rules → SQLite), net-snmp's snmptrapd
/// logging to a file, and a do-nothing C receiver (recvmmsg and count) marking this machine's ceiling.
/// The load generator sends pre-encoded packets with sendmmsg; an 8-digit sequence number in a varbind
/// makes every packet distinct.
enum TrapBench {
    static let rates = [
        10_000, 15_000, 20_000, 25_000, 35_000, 50_000, 75_000, 100_000, 125_000, 150_000, 175_000, 200_000, 225_000,
        250_000, 275_000, 300_000,
    ]
    static let stepSeconds = 2.0

    /// A v2c linkDown trap whose `SEQ########` varbind is patched per packet; returns bytes and patch offset.
    static func template() -> ([UInt8], Int) {
        let packet = SNMPDecoder.encodeTrap(
            community: "public", requestID: 1,
            varbinds: [
                VarBind(.sysUpTime0, .timeticks(4242)),
                VarBind(.snmpTrapOID0, .oid(OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 3]))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 7]), .integer(7)),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7]), .octets(Array("Gi0/7".utf8))),
                VarBind(OID([1, 3, 6, 1, 4, 1, 99999, 1]), .octets(Array("SEQ00000000".utf8))),
            ])
        let marker = Array("SEQ".utf8)
        let at = (0...(packet.count - 11)).first { Array(packet[$0..<($0 + 3)]) == marker } ?? 0
        return (packet, at + 3)
    }

    /// Sends `count` packets at `rate` per second to 127.0.0.1:`port` with the C sender (sendmmsg, 64 a call).
    static func send(port: Int, rate: Int, count: Int) {
        guard
            let pid = spawn(
                dir + "/sender",
                [String(port), String(rate), String(count), dir + "/template.bin", String(templateSeq)],
                output: dir + "/sender.out")
        else { return }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    nonisolated(unsafe) static var dir = ""
    nonisolated(unsafe) static var templateSeq = 0

    static let senderSource = #"""
        #define _GNU_SOURCE
        #include <netinet/in.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <time.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            int port = atoi(argv[1]); long rate = atol(argv[2]), count = atol(argv[3]); long seqAt = atol(argv[5]);
            static char tpl[2048]; FILE *f = fopen(argv[4], "rb"); size_t n = fread(tpl, 1, sizeof tpl, f); fclose(f);
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            int size = 8 << 20; setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            struct sockaddr_in a; memset(&a, 0, sizeof a);
            a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(0x7f000001);
            connect(fd, (struct sockaddr *)&a, sizeof a);
            static char bufs[64][2048]; struct mmsghdr m[64]; struct iovec io[64];
            for (int i = 0; i < 64; i++) { memcpy(bufs[i], tpl, n); io[i].iov_base = bufs[i]; io[i].iov_len = n;
                memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; }
            struct timespec t0, now; clock_gettime(CLOCK_MONOTONIC, &t0);
            long sent = 0;
            while (sent < count) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                double el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
                long due = (long)(el * rate) + 1; if (due > count) due = count;
                if (sent >= due) { usleep(100); continue; }
                int k = due - sent > 64 ? 64 : (int)(due - sent);
                for (int i = 0; i < k; i++) { long s = sent + i;
                    for (int d = 7; d >= 0; d--) { bufs[i][seqAt + d] = '0' + s % 10; s /= 10; } }
                int r = sendmmsg(fd, m, k, 0);
                if (r > 0) sent += r; else usleep(50);
            }
            return 0;
        }
        """#

    /// A receiver under test: start it, ask how many it received so far, stop it.
    struct Receiver {
        var name: String
        var received: () -> Int
        var stop: () -> Void
    }

    /// The highest offered rate at which a receiver got ≥ 99.9 % of the traps.
    static func lossless(_ r: Receiver, port: Int) -> Int {
        var best = 0
        var before = r.received()
        for rate in rates {
            let count = Int(Double(rate) * stepSeconds)
            send(port: port, rate: rate, count: count)
            // Let it finish reading what the kernel holds.
            var got = r.received() - before
            var stable = 0
            while stable < 5 {
                usleep(100_000)
                let now = r.received() - before
                stable = now == got ? stable + 1 : 0
                got = now
            }
            before += got
            print("# trap bench: \(r.name) at \(rate)/s: \(got) of \(count)")
            guard Double(got) >= 0.999 * Double(count) else { break }
            best = rate
        }
        return best
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                bind(fd, p, len)
                return getsockname(fd, p, &len)
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static let nullReceiverSource = #"""
        #define _GNU_SOURCE
        #include <netinet/in.h>
        #include <poll.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        int main(int argc, char **argv) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            int size = 8 << 20;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
            struct sockaddr_in a; memset(&a, 0, sizeof a);
            a.sin_family = AF_INET; a.sin_port = htons(atoi(argv[1])); a.sin_addr.s_addr = htonl(0x7f000001);
            if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 1; }
            static char bufs[64][2048]; struct mmsghdr m[64]; struct iovec io[64];
            for (int i = 0; i < 64; i++) { io[i].iov_base = bufs[i]; io[i].iov_len = 2048;
                memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; }
            long total = 0;
            FILE *out = fopen(argv[2], "w");
            for (;;) {
                struct pollfd p = { fd, POLLIN, 0 };
                if (poll(&p, 1, 50) <= 0) { rewind(out); fprintf(out, "%ld\n", total); fflush(out); continue; }
                int n = recvmmsg(fd, m, 64, MSG_DONTWAIT, NULL);
                if (n > 0) total += n;
            }
        }
        """#

    static func spawn(_ path: String, _ args: [String], output: String) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        let environment: [String] = ["MIBS=", "PATH=/usr/bin:/bin:/usr/sbin"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        return posix_spawn(&pid, path, &actions, &attr, argv, envp) == 0 ? pid : nil
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    static func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-trap-bench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var results: [(String, Int)] = []
        Self.dir = dir
        let (tpl, seqAt) = template()
        templateSeq = seqAt
        if ProcessInfo.processInfo.environment["ECC_BENCH_DEBUG"] != nil {
            print(
                "# template \(tpl.count) bytes, sequence at \(seqAt): \(tpl.map { String(format: "%02x", $0) }.joined())"
            )
        }
        try Data(tpl).write(to: URL(fileURLWithPath: dir + "/template.bin"))

        // The load generator and the ceiling (a do-nothing receiver) are C, built here.
        try nullReceiverSource.write(toFile: dir + "/null.c", atomically: true, encoding: .utf8)
        try senderSource.write(toFile: dir + "/sender.c", atomically: true, encoding: .utf8)
        for name in ["null", "sender"] {
            if let cc = spawn(
                "/usr/bin/cc", ["-O2", "-o", dir + "/" + name, dir + "/" + name + ".c"], output: dir + "/cc.out")
            {
                var status: Int32 = 0
                waitpid(cc, &status, 0)
            }
        }
        guard FileManager.default.isExecutableFile(atPath: dir + "/sender") else {
            print("# trap bench: cannot build the load generator with cc; the SNMP figures are skipped")
            return
        }
        let nullPort = freePort()
        if let pid = spawn(dir + "/null", [String(nullPort), dir + "/null.count"], output: dir + "/null.out") {
            usleep(300_000)
            let r = Receiver(
                name: "null",
                received: {
                    Int(
                        (try? String(contentsOfFile: dir + "/null.count", encoding: .utf8))?
                            .split(separator: "\n").first ?? "0") ?? 0
                }, stop: { stop(pid) })
            results.append(("null", lossless(r, port: nullPort)))
            r.stop()
        } else {
            print("# trap bench: cannot build the C receiver (cc); its figure is skipped")
        }

        // net-snmp's snmptrapd, logging every trap to a file.
        let trapdPort = freePort()
        try "disableAuthorization yes\n".write(toFile: dir + "/trapd.conf", atomically: true, encoding: .utf8)
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/snmptrapd"),
            let pid = spawn(
                "/usr/sbin/snmptrapd",
                [
                    "-f", "-On", "-m", "", "-C", "-c", dir + "/trapd.conf", "-Lf", dir + "/trapd.log",
                    "udp:127.0.0.1:\(trapdPort)",
                ], output: dir + "/trapd.out")
        {
            usleep(500_000)
            let r = Receiver(
                name: "snmptrapd",
                received: {
                    let text = (try? String(contentsOfFile: dir + "/trapd.log", encoding: .utf8)) ?? ""
                    return text.components(separatedBy: "SEQ").count - 1
                }, stop: { stop(pid) })
            results.append(("snmptrapd", lossless(r, port: trapdPort)))
            r.stop()
        } else {
            print("# trap bench: snmptrapd is not installed (make test-deps); its figure is skipped")
        }

        // eccd: traps → events → the shipped rules → SQLite (run from the repository: ./rules).
        guard FileManager.default.fileExists(atPath: "rules") else {
            print("# trap bench: no ./rules here (run make bench from the repository); the eccd figure is skipped")
            return
        }
        var config = DaemonConfig()
        config.databasePath = dir + "/ecc.db"
        config.rulePaths = ["rules"]
        config.httpPort = 0
        config.tcpEnabled = false
        config.snmpPort = freePort()
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = try Daemon(config: config, logger: logger)
        let task = Task { try await daemon.run(handleSignals: false) }
        while daemon.snmpPort == nil { try await Task.sleep(for: .milliseconds(5)) }
        let r = Receiver(name: "eccd", received: { daemon.processedEvents }, stop: {})
        let port = daemon.snmpPort ?? 0
        let best = await Task.detached { lossless(r, port: port) }.value
        results.append(("eccd", best))
        await daemon.shutdown()
        try await task.value

        let by = Dictionary(uniqueKeysWithValues: results)
        bench("snmp_lossless_traps_per_s_eccd", Double(by["eccd"] ?? 0), "traps/s")
        if let t = by["snmptrapd"] {
            bench("snmp_lossless_traps_per_s_snmptrapd", Double(t), "traps/s")
            if t > 0 {
                bench("snmp_eccd_vs_snmptrapd_ratio", Double(by["eccd"] ?? 0) / Double(t), "x")
            } else {
                print("# trap bench: snmptrapd lost traps even at the lowest step; no ratio")
            }
        }
        if let n = by["null"] {
            bench("snmp_lossless_traps_per_s_null_receiver", Double(n), "traps/s")
            bench("snmp_eccd_vs_null_receiver_ratio", Double(by["eccd"] ?? 0) / Double(max(n, 1)), "x")
        }
        print(
            "# trap bench: rates stepped \(rates.map(String.init).joined(separator: ", ")) for \(stepSeconds) s each; "
                + "the lossless rate is the highest with ≥ 99.9 % received (the top step caps it)")
    }
}
