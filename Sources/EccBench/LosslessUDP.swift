import EccConfig
import EccDaemon
import EccTestSupport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The harness of the lossless UDP benches (SNMP traps, syslog): a C load generator, a do-nothing C receiver
/// (this machine's ceiling), and the search for a receiver's lossless rate (≥ 99.9 % received) by offering
/// rising rates, then narrowing down between the last rate taken whole and the first with a loss. Each
/// datagram carries an 8-digit sequence number (after `SEQ`), so every one is distinct and a peer that logs
/// them can be counted.
enum LosslessUDP {
    /// Offered rates, about half again each step, from well below the slowest peer's limit to well above what
    /// two cores can take.
    static let ladder = [
        1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000, 75_000, 100_000, 150_000,
        200_000, 300_000, 500_000, 750_000, 1_000_000, 1_500_000,
    ]
    static let stepSeconds = 2.0
    /// Names the bench in its lines (`trap bench`, `syslog bench`).
    nonisolated(unsafe) static var label = "udp bench"

    /// Makes a working directory and builds the load generator and the do-nothing receiver in it; nil (after
    /// saying why) when `cc` cannot.
    static func prepare(_ name: String) throws -> String? {
        label = name
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ecc-\(name.replacingOccurrences(of: " ", with: "-"))-\(UUID())"
        ).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        Self.dir = dir
        try nullReceiverSource.write(toFile: dir + "/null.c", atomically: true, encoding: .utf8)
        try senderSource.write(toFile: dir + "/sender.c", atomically: true, encoding: .utf8)
        for name in ["null", "sender"] {
            let cc = try? ChildProcess.run("/usr/bin/cc", ["-O2", "-o", dir + "/" + name, dir + "/" + name + ".c"])
            if let cc, cc.status != 0 { print("# \(label): cc \(name).c: \(cc.output.prefix(500))") }
        }
        guard FileManager.default.isExecutableFile(atPath: dir + "/sender") else {
            print("# \(label): cannot build the load generator with cc; its figures are skipped")
            try? FileManager.default.removeItem(atPath: dir)
            return nil
        }
        return dir
    }

    /// A load: the datagrams the generator cycles through (each with the offset of its `SEQ` digits) and the
    /// number of source addresses it spreads them over (0: all from 127.0.0.1).
    struct Load {
        var name: String
        var description: String
        var packets: [([UInt8], Int)]
        var sources: Int
    }

    /// Locates each datagram's `SEQ########` (the digits' offset); `what` names them in the failure.
    static func located(_ packets: [[UInt8]], _ what: String) -> [([UInt8], Int)] {
        let marker = Array("SEQ".utf8)
        return packets.map { p in
            guard let at = (0...(p.count - 11)).first(where: { Array(p[$0..<($0 + 3)]) == marker }) else {
                preconditionFailure("\(what) has no SEQ########")
            }
            return (p, at + 3)
        }
    }

    /// The load's datagrams as the generator reads them: for each, its length and its `SEQ` offset (32-bit
    /// little-endian), then its bytes; and its sources for ``send``.
    static func use(_ load: Load) throws {
        var out: [UInt8] = []
        for (p, at) in load.packets {
            for v in [UInt32(p.count), UInt32(at)] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
            out += p
        }
        try Data(out).write(to: URL(fileURLWithPath: dir + "/packets.bin"))
        sources = load.sources
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

    /// The do-nothing receiver (recvmmsg and count) driven by `senders` generators.
    static func measureNull(senders: Int) -> Measured? {
        let port = freePort()
        try? FileManager.default.removeItem(atPath: dir + "/null.count")
        guard let receiver = spawn(dir + "/null", [String(port), dir + "/null.count"], output: dir + "/null.out")
        else {
            print("# \(label): cannot start the C receiver; the ceiling is not measured")
            return nil
        }
        defer { receiver.stop(grace: 5) }
        guard waitBound(port) else {
            harnessBroken("\(label): the C receiver did not bind its port")
            return nil
        }
        let r = Receiver(
            name: "null",
            received: {
                Int(
                    (try? String(contentsOfFile: dir + "/null.count", encoding: .utf8))?
                        .split(separator: "\n").first ?? "0") ?? 0
            }, stop: {})
        return measured { limit(r, port: port, senders: senders) }
    }

    /// The ceiling: more generator processes while the do-nothing receiver takes all they offer.
    static func ceiling() -> Measured? {
        var null: Measured?
        for senders in [1, 2, 4] {
            guard let m = measureNull(senders: senders) else { break }
            null = m
            if m.limit.firstLoss != nil { break }
            print(
                "# \(label): the do-nothing receiver took all \(Int(m.limit.offered))/s that \(senders) "
                    + "generator\(senders > 1 ? "s" : "") offered")
        }
        return null
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
                harnessBroken("\(label): the load generator did not start")
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
            if status != 0 { harnessBroken("\(label): the load generator failed: \(text.prefix(200))") }
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
                "# \(label): \(r.name) at \(rate)/s (\(senders) generator\(senders > 1 ? "s" : ""), offered "
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

    /// A free UDP port on 127.0.0.1 (0 when there is none: the receiver then fails to start, which is said).
    static func freePort() -> Int { (try? TestServers.freeUDPPort()) ?? 0 }

    /// Waits up to 10 s for a receiver to bind `port` (datagrams sent before are lost to the receiver, not
    /// the generator); false when it did not.
    static func waitBound(_ port: Int) -> Bool { TestServers.poll(timeout: 10) { TestServers.udpBound(port: port) } }

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

    /// Three rounds of the do-nothing receiver (``ceiling()``), the peer and eccd in turn on the load in use,
    /// then the figures: `<figure>_eccd_<load>`, `<figure>_<peer>_<load>`, `<figure>_null_receiver_<load>`
    /// (medians with min–max), `<ratio>_<load>` (eccd/peer, pair by pair) and `<ceilingRatio>_<load>` when the
    /// ceiling was reached. A receiver that loses at the lowest rate is a broken harness.
    static func rounds(
        load: String, figure: String, unit: String, peer: String, ratio: String, ceilingRatio: String,
        measurePeer: () throws -> Measured?, measureEccd: (Int) async throws -> Measured?
    ) async throws {
        var lossless: [String: [Double]] = [:]
        var censored: Set<String> = []
        var vsPeer: [Double] = []
        var vsNull: [Double] = []
        for round in 1...3 {
            let null = ceiling()
            let other = try measurePeer()
            let eccd = try await measureEccd(round)
            for (name, m) in [("null_receiver", null), (peer, other), ("eccd", eccd)] {
                guard let m else { continue }
                lossless[name, default: []].append(Double(m.limit.lossless))
                if m.limit.firstLoss == nil { censored.insert(name) }
                if m.limit.lossless == 0 {
                    harnessBroken(
                        "\(label) \(load) round \(round): \(name) lost datagrams at \(ladder[0])/s, the lowest rate")
                }
            }
            if let other, let eccd, eccd.limit.lossless > 0, other.limit.lossless > 0 {
                if other.limit.firstLoss == nil {
                    // The peer's figure is a lower bound: so the ratio is an upper one, not a measurement.
                    print(
                        "# \(label) round \(round): \(peer) took all the generator offered; eccd/\(peer) is at most "
                            + String(format: "%.2f", Double(eccd.limit.lossless) / Double(other.limit.lossless)))
                } else if eccd.limit.firstLoss == nil {
                    print(
                        "# \(label) round \(round): eccd took all the generator offered; eccd/\(peer) is at least "
                            + String(format: "%.1f", Double(eccd.limit.lossless) / Double(other.limit.lossless)))
                } else if let r = pairRatio(eccd.side, other.side, "\(label) round \(round): eccd/\(peer)") {
                    vsPeer.append(r)
                }
            }
            if let null, let eccd {
                if null.limit.firstLoss == nil {
                    print(
                        "# \(label) round \(round): ceiling not reached (the do-nothing receiver never lost); no "
                            + "eccd/ceiling ratio")
                } else if eccd.limit.firstLoss != nil,
                    let r = pairRatio(eccd.side, null.side, "\(label) round \(round): eccd/ceiling")
                {
                    vsNull.append(r)
                }
            }
        }
        for name in ["eccd", peer, "null_receiver"] {
            guard let v = lossless[name] else { continue }
            if censored.contains(name) {
                print("# \(label): \(name) took everything offered in at least one round: its figure is a lower bound")
            }
            bench("\(figure)_\(name)_\(load)", Spread(v), unit)
        }
        if !vsPeer.isEmpty { bench("\(ratio)_\(load)", Spread(vsPeer), "x") }
        if !vsNull.isEmpty { bench("\(ceilingRatio)_\(load)", Spread(vsNull), "x") }
    }

    /// eccd on `config` (its listener's port read by `port` once bound), driven up the ladder by one generator,
    /// counted by the events its engine handled; stopped afterwards.
    static func measureEccd(_ config: DaemonConfig, port: @escaping @Sendable (Daemon) -> Int?) async throws
        -> Measured
    {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = try Daemon(config: config, logger: logger)
        let task = Task { try await daemon.run(handleSignals: false) }
        while port(daemon) == nil { try await Task.sleep(for: .milliseconds(5)) }
        let r = Receiver(name: "eccd", received: { daemon.processedEvents }, stop: {})
        let bound = port(daemon) ?? 0
        let m = await Task.detached { measured { limit(r, port: bound, senders: 1) } }.value
        await daemon.shutdown()
        try await task.value
        return m
    }
}
