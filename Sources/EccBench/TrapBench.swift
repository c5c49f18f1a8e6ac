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
        guard let at = (0...(packet.count - 11)).first(where: { Array(packet[$0..<($0 + 3)]) == marker }) else {
            preconditionFailure("the trap template has no SEQ varbind")
        }
        return (packet, at + 3)
    }

    /// A load: the packets the generator cycles through (each with the offset of its `SEQ` digits) and the
    /// number of source addresses it spreads them over (0: all from 127.0.0.1).
    struct Load {
        var name: String
        var description: String
        var packets: [([UInt8], Int)]
        var sources: Int
    }

    static var bestCase: Load {
        let (packet, at) = template()
        return Load(
            name: "best_case",
            description:
                "the best case: SNMPv2c linkDown traps of \(packet.count) bytes from one address (127.0.0.1), one "
                + "trap OID, one ifIndex, so one alarm key behind the shipped rules' hold, every cache hit",
            packets: [(packet, at)], sources: 0)
    }

    /// 240 packets of a network's trap mix (nine kinds), each ending in the `SEQ` varbind: linkDown/linkUp on 48
    /// ports (60 %, two downs for one up), coldStart and warmStart, authenticationFailure, BGP backward
    /// transitions (BGP4-MIB, 4 varbinds), temperature notifications (CISCO-ENVMON-MIB, 4 varbinds),
    /// enterprise-specific SNMPv1 traps (Juniper's enterprise, 5 varbinds) and linkDown informs, which eccd
    /// and snmptrapd answer.
    static var mixed: Load {
        func seq() -> VarBind { VarBind(OID([1, 3, 6, 1, 4, 1, 99999, 1]), .octets(Array("SEQ00000000".utf8))) }
        func v2(_ trap: [UInt32], _ varbinds: [VarBind], inform: Bool = false) -> [UInt8] {
            let list =
                [VarBind(.sysUpTime0, .timeticks(4242)), VarBind(.snmpTrapOID0, .oid(OID(trap)))] + varbinds + [seq()]
            return inform
                ? SNMPDecoder.encodeInform(community: "public", requestID: 7, varbinds: list)
                : SNMPDecoder.encodeTrap(community: "public", requestID: 7, varbinds: list)
        }
        func port(_ i: UInt32, up: Bool) -> [VarBind] {
            [
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, i]), .integer(Int64(i))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, i]), .octets(Array("GigabitEthernet0/\(i)".utf8))),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 7, i]), .integer(1)),
                VarBind(OID([1, 3, 6, 1, 2, 1, 2, 2, 1, 8, i]), .integer(up ? 1 : 2)),
            ]
        }
        let linkDown: [UInt32] = [1, 3, 6, 1, 6, 3, 1, 1, 5, 3]
        var packets: [[UInt8]] = []
        for i in UInt32(1)...48 {
            packets.append(v2(linkDown, port(i, up: false)))
            packets.append(v2(linkDown, port(i, up: false)))
            packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 4], port(i, up: true)))
        }
        for _ in 0..<12 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 1], [])) }
        for _ in 0..<6 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 2], [])) }
        for _ in 0..<12 { packets.append(v2([1, 3, 6, 1, 6, 3, 1, 1, 5, 5], [])) }
        for k in UInt8(1)...16 {
            let peer: [UInt32] = [10, 0, 0, UInt32(k)]
            packets.append(
                v2(
                    [1, 3, 6, 1, 2, 1, 15, 0, 2],
                    [
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 7] + peer), .ipAddress(10, 0, 0, k)),
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 14] + peer), .octets([6, 2])),
                        VarBind(OID([1, 3, 6, 1, 2, 1, 15, 3, 1, 2] + peer), .integer(1)),
                    ]))
        }
        for k in UInt32(1)...16 {
            let sensor: [UInt32] = [1, 3, 6, 1, 4, 1, 9, 9, 13, 1, 3, 1]
            packets.append(
                v2(
                    [1, 3, 6, 1, 4, 1, 9, 9, 13, 3, 0, 3],
                    [
                        VarBind(OID(sensor + [2, k]), .octets(Array("Inlet temperature \(k)".utf8))),
                        VarBind(OID(sensor + [3, k]), .gauge32(40 + k)),
                        VarBind(OID(sensor + [6, k]), .integer(2)),
                    ]))
        }
        for k in UInt32(0)..<20 {
            let fpc: [UInt32] = [1, 3, 6, 1, 4, 1, 2636, 3, 1, 13, 1]
            packets.append(
                SNMPDecoder.encodeV1Trap(
                    community: "public", enterprise: OID([1, 3, 6, 1, 4, 1, 2636, 4, 1]), agent: (127, 0, 0, 1),
                    generic: 6, specific: 1 + Int64(k % 4), uptime: 4242,
                    varbinds: [
                        VarBind(OID(fpc + [5, k]), .octets(Array("FPC \(k)".utf8))),
                        VarBind(OID(fpc + [6, k]), .integer(2)),
                        VarBind(OID(fpc + [7, k]), .gauge32(k * 3)),
                        VarBind(OID(fpc + [8, k]), .gauge32(55)),
                        seq(),
                    ]))
        }
        for i in UInt32(1)...14 { packets.append(v2(linkDown, port(i, up: false), inform: true)) }
        let marker = Array("SEQ".utf8)
        let located = packets.map { p in
            guard let at = (0...(p.count - 11)).first(where: { Array(p[$0..<($0 + 3)]) == marker }) else {
                preconditionFailure("a mixed-load packet has no SEQ varbind")
            }
            return (p, at + 3)
        }
        return Load(
            name: "mixed_4096_sources",
            description:
                "a mixed load: \(packets.count) packets cycled (linkDown/linkUp on 48 ports 60 %, coldStart, "
                + "warmStart, authenticationFailure, BGP backward transitions, temperature notifications, "
                + "enterprise-specific SNMPv1 traps, linkDown informs answered by the receiver) from 4,096 source "
                + "addresses in 127.1/16, so up to 196,608 interface keys and a store that writes; eccd's limit on "
                + "inform Responses raised from 1,000/s to 1,000,000/s, snmptrapd resolving no names (-n)",
            packets: located, sources: 4096)
    }

    /// The load's packets as the generator reads them: for each, its length and its `SEQ` offset (32-bit
    /// little-endian), then its bytes.
    static func write(_ load: Load, to path: String) throws {
        var out: [UInt8] = []
        for (p, at) in load.packets {
            for v in [UInt32(p.count), UInt32(at)] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
            out += p
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    /// Sends `count` packets at `rate` per second to 127.0.0.1:`port` from `senders` C generator processes
    /// (sendmmsg, 64 a call), each with its share and its own sequence numbers; returns the rate they
    /// achieved together (count over the slowest one's time).
    static func send(port: Int, rate: Int, count: Int, senders: Int, firstSequence: Int) -> Double {
        var children: [(ChildProcess, String)] = []
        var first = firstSequence
        for k in 0..<senders {
            let share = count / senders + (k < count % senders ? 1 : 0)
            defer { first += share }
            let out = dir + "/sender\(k).out"
            guard
                let child = spawn(
                    dir + "/sender",
                    [
                        String(port), String(Double(rate) / Double(senders)), String(share), dir + "/packets.bin",
                        String(first), String(sources),
                    ],
                    output: out)
            else {
                harnessBroken("trap bench: the load generator did not start")
                continue
            }
            children.append((child, out))
        }
        var slowest = 0.0
        // A step sends at most a few million packets: minutes, never ten, for all generators together.
        let deadline = ContinuousClock.now + .seconds(600)
        for (child, out) in children {
            let left = Double((deadline - ContinuousClock.now).components.seconds)
            let status = (try? child.wait(timeout: max(1, left)).status) ?? -1
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if status != 0 { harnessBroken("trap bench: the load generator failed: \(text.prefix(200))") }
            slowest = max(slowest, Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
        }
        return slowest > 0 ? Double(count) / slowest : 0
    }

    nonisolated(unsafe) static var dir = ""
    /// Source addresses of the load being sent (0: 127.0.0.1 only).
    nonisolated(unsafe) static var sources = 0

    /// The load generator: `sender PORT RATE COUNT PACKETS FIRST SOURCES`. Packet g (from FIRST on) is the
    /// file's packet g mod n with g in its `SEQ` digits, sent from 127.1.x.y (one of SOURCES addresses,
    /// chosen by a 64-bit mix of g, so that every source sends every kind of packet, through IP_PKTINFO)
    /// or from 127.0.0.1 on a connected socket when SOURCES is 0. It exits 1 when sending keeps failing.
    static let senderSource = #"""
        #define _GNU_SOURCE
        #include <netinet/in.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <time.h>
        #include <unistd.h>
        static char pkt[1024][2048]; static uint32_t len[1024], at[1024];
        int main(int argc, char **argv) {
            int port = atoi(argv[1]); double rate = atof(argv[2]); long count = atol(argv[3]);
            long first = atol(argv[5]); long sources = atol(argv[6]);
            FILE *f = fopen(argv[4], "rb"); int n = 0; uint32_t h[2];
            while (n < 1024 && fread(h, 4, 2, f) == 2 && h[0] <= 2048 && fread(pkt[n], 1, h[0], f) == h[0]) {
                len[n] = h[0]; at[n] = h[1]; n++; }
            fclose(f);
            if (n == 0) { fprintf(stderr, "no packets\n"); return 1; }
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            int size = 8 << 20; setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            struct sockaddr_in a; memset(&a, 0, sizeof a);
            a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(0x7f000001);
            if (sources == 0) connect(fd, (struct sockaddr *)&a, sizeof a);
            static char bufs[64][2048]; struct mmsghdr m[64]; struct iovec io[64];
            static union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))]; } ctl[64];
            for (int i = 0; i < n; i++) if (at[i] + 8 > len[i]) { fprintf(stderr, "bad SEQ offset\n"); return 1; }
            for (int i = 0; i < 64; i++) { io[i].iov_base = bufs[i];
                memset(&m[i], 0, sizeof m[i]); m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1;
                if (sources > 0) { m[i].msg_hdr.msg_name = &a; m[i].msg_hdr.msg_namelen = sizeof a; m[i].msg_hdr.msg_control = ctl[i].bytes; m[i].msg_hdr.msg_controllen = sizeof ctl[i].bytes;
                    struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].msg_hdr); c->cmsg_level = IPPROTO_IP;
                    c->cmsg_type = IP_PKTINFO; c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo)); } }
            struct timespec t0, now; clock_gettime(CLOCK_MONOTONIC, &t0);
            long sent = 0; int failures = 0;
            while (sent < count) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                double el = (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
                long due = (long)(el * rate) + 1; if (due > count) due = count;
                if (sent >= due) { usleep(100); continue; }
                int k = due - sent > 64 ? 64 : (int)(due - sent);
                for (int i = 0; i < k; i++) { long g = first + sent + i; int t = (int)(g % n);
                    memcpy(bufs[i], pkt[t], len[t]); io[i].iov_len = len[t];
                    long s = g; for (int d = 7; d >= 0; d--) { bufs[i][at[t] + d] = '0' + s % 10; s /= 10; }
                    if (sources > 0) {
                        struct in_pktinfo *p = (struct in_pktinfo *)CMSG_DATA(CMSG_FIRSTHDR(&m[i].msg_hdr));
                        memset(p, 0, sizeof *p);
                        uint64_t x = (uint64_t)g * 0x9E3779B97F4A7C15ull; x ^= x >> 29;
                        x *= 0xBF58476D1CE4E5B9ull; x ^= x >> 32;  /* independent of g mod n */
                        uint32_t src = (uint32_t)(x % (uint64_t)sources);
                        p->ipi_spec_dst.s_addr = htonl(0x7f010001u + src); } }
                int r = sendmmsg(fd, m, k, 0);
                if (r > 0) { sent += r; failures = 0; }
                else if (++failures > 20000) { perror("sendmmsg"); return 1; }
                else usleep(50);
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
            printf("%.6f\n", (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9);
            return 0;
        }
        """#

    /// A receiver under test: start it, ask how many it received so far, stop it.
    struct Receiver {
        var name: String
        var received: () -> Int
        var stop: () -> Void
    }

    /// How far a receiver went: the highest rate taken whole (≥ 99.9 %), the lowest with a loss (nil: none
    /// up to what the generator could offer), and the most the generator offered.
    struct Limit {
        var lossless = 0
        var firstLoss: Int?
        var offered = 0.0
    }

    /// Offers the ladder's rates until a loss (or until the generator cannot offer the rate: it achieved
    /// under 90 % of it), then halves the gap between the last rate taken whole and the first lost, twice.
    static func limit(_ r: Receiver, port: Int, senders: Int) -> Limit {
        var result = Limit()
        var before = r.received()
        var sequence = 0
        func step(_ rate: Int) -> (taken: Bool, offered: Double) {
            let count = Int(Double(rate) * stepSeconds)
            let offered = send(port: port, rate: rate, count: count, senders: senders, firstSequence: sequence)
            sequence += count
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
            print(
                "# trap bench: \(r.name) at \(rate)/s (\(senders) generator\(senders > 1 ? "s" : ""), offered "
                    + "\(Int(offered))/s): \(got) of \(count)")
            return (Double(got) >= 0.999 * Double(count), offered)
        }
        for rate in ladder {
            let (taken, offered) = step(rate)
            result.offered = max(result.offered, offered)
            if !taken {
                result.firstLoss = rate
                break
            }
            if offered < 0.9 * Double(rate) { break }  // the generator's limit, not the receiver's
            result.lossless = rate
        }
        guard let lost = result.firstLoss, result.lossless > 0 else { return result }
        var (low, high) = (result.lossless, lost)
        for _ in 0..<2 {
            let middle = Int((Double(low) * Double(high)).squareRoot() / 100) * 100
            guard middle > low && middle < high else { break }
            if step(middle).taken { low = middle } else { high = middle }
        }
        result.lossless = low
        result.firstLoss = high
        return result
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

    /// Starts `path` with its output (and errors) in a fresh file `output`; MIBS empty, so net-snmp loads
    /// no MIB files; nil when it cannot start.
    static func spawn(_ path: String, _ args: [String], output: String) -> ChildProcess? {
        try? FileManager.default.removeItem(atPath: output)
        return try? ChildProcess.spawn(path, args, stdoutPath: output, stderrPath: output, environment: ["MIBS": ""])
    }

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
