import EccBus
import EccCollectors
import EccCore
import EccTestSupport
import Foundation
import Logging
import Testing

@testable import EccSNMP

/// The receiver's edge against real senders: `v3_only`, the varbind cap with a 1024-varbind trap from
/// `snmptrap`, and the rate limits on Reports and inform Responses.
@Suite("SNMP edge limits", .serialized)
struct NetSNMPEdgeTests {
    typealias T = NetSNMPTests

    static func receiver(
        _ ring: Ring<Event>, v3Only: Bool = false, limits: SNMPLimits = SNMPLimits(), users: [USMUser] = []
    ) async throws -> (SNMPTrapReceiver, Task<Void, any Error>) {
        var logger = Logger(label: "snmp-edge-test")
        logger.logLevel = .critical
        let receiver = SNMPTrapReceiver(
            host: "127.0.0.1", port: 0, ring: ring, clock: ManualClock(), logger: logger, v3Only: v3Only,
            usm: .init(users: users), receiveBuffer: 1 << 20, limits: limits)
        return (receiver, try await T.start(receiver))
    }

    static func waitFor(_ done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !done() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("v3_only: snmptrap -v 1 and -v 2c are dropped as v3_only; a v3 trap is taken")
    func v3Only() async throws {
        try T.tools()
        let ring = Ring<Event>(minimumCapacity: 64)
        let (receiver, task) = try await Self.receiver(ring, v3Only: true, users: NetSNMPv3Tests.usmUsers())
        defer { task.cancel() }
        let target = "127.0.0.1:\(receiver.boundPort ?? 0)"
        let sends = [
            ["-v", "2c", "-c", "public", target, "1", "1.3.6.1.6.3.1.1.5.1"],
            ["-v", "1", "-c", "public", target, "1.3.6.1.4.1.8072", "10.0.0.1", "0", "0", "1"],
            NetSNMPv3Tests.securityArgs(NetSNMPv3Tests.users[2], authPass: NetSNMPv3Tests.authPass)
                + ["-e", NetSNMPv3Tests.senderEngine, target, "1", "1.3.6.1.6.3.1.1.5.1"],
        ]
        for args in sends {
            let (rc, out) = try T.run("/usr/bin/snmptrap", ["-m", ""] + args)
            #expect(rc == 0, "\(out)")
        }
        var events: [Event] = []
        try await Self.waitFor {
            _ = ring.drain(maximum: 16) { events.append($0) }
            return events.count == 1 && receiver.drops.total == 2
        }
        #expect(events.map { $0.attributes["snmpVersion"] } == [.string("3")])
        #expect(receiver.drops.byReason == ["v3_only": 2])
    }

    @Test("a 1024-varbind trap from snmptrap is dropped as too_many_varbinds; 256 are taken")
    func varbindCap() async throws {
        try T.tools()
        let ring = Ring<Event>(minimumCapacity: 64)
        let (receiver, task) = try await Self.receiver(ring)
        defer { task.cancel() }
        let target = "127.0.0.1:\(receiver.boundPort ?? 0)"
        for count in [1024, 256] {
            // snmptrap adds sysUpTime.0 and snmpTrapOID.0 to what it is given.
            let varbinds = (0..<count - 2).flatMap { ["1.3.6.1.4.1.9.9.\($0)", "i", "\($0)"] }
            let (rc, out) = try T.run(
                "/usr/bin/snmptrap",
                ["-m", "", "-v", "2c", "-c", "public", target, "1", "1.3.6.1.6.3.1.1.5.3"] + varbinds)
            #expect(rc == 0, "\(out)")
        }
        var events: [Event] = []
        try await Self.waitFor {
            _ = ring.drain(maximum: 16) { events.append($0) }
            return events.count == 1 && receiver.drops.total == 1
        }
        #expect(receiver.drops.byReason == ["too_many_varbinds": 1])
        #expect(events.first?.attributes["1.3.6.1.4.1.9.9.253"] == .int(253))
    }

    /// A UDP socket on 127.0.0.1 that sends to `port` and counts what comes back.
    final class Peer {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        let port: Int

        init(port: Int) {
            self.port = port
            var tv = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        func send(_ bytes: [UInt8]) {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }

        /// Datagrams received until none arrives for 200 ms.
        func receiveAll() -> Int {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var n = 0
            while recv(fd, &buffer, buffer.count, 0) > 0 { n += 1 }
            return n
        }
    }

    @Test("Reports are rate-limited: a burst of discovery probes gets at most the bucket's answers, the rest counted")
    func reportRate() async throws {
        let ring = Ring<Event>(minimumCapacity: 64)
        let (receiver, task) = try await Self.receiver(ring, limits: SNMPLimits(reportsPerSecond: 5))
        defer { task.cancel() }
        let peer = Peer(port: receiver.boundPort ?? 0)
        let probes = 40
        for i in 0..<probes { peer.send(USMTests.probe(msgID: Int64(i))) }
        let answers = peer.receiveAll()
        try await Self.waitFor {
            receiver.drops.discoveriesAnswered + (receiver.drops.limitedByReason[.report]?["unknown_engine_id"] ?? 0)
                == probes
        }
        let limited = receiver.drops.limitedByReason[.report]?["unknown_engine_id"] ?? 0
        #expect(answers == receiver.drops.discoveriesAnswered)
        #expect(answers >= 5 && limited >= 1 && answers + limited == probes, "\(answers) answered, \(limited) limited")
    }

    @Test("inform Responses are rate-limited: an inform that cannot be answered is dropped and counted, not taken")
    func responseRate() async throws {
        let ring = Ring<Event>(minimumCapacity: 64)
        let (receiver, task) = try await Self.receiver(ring, limits: SNMPLimits(responsesPerSecond: 3))
        defer { task.cancel() }
        let peer = Peer(port: receiver.boundPort ?? 0)
        let informs = 20
        for i in 0..<informs { peer.send(Packets.v2Trap(Packets.linkDown, inform: true, requestID: Int64(i))) }
        let answers = peer.receiveAll()
        var events: [Event] = []
        try await Self.waitFor {
            _ = ring.drain(maximum: 64) { events.append($0) }
            return events.count + (receiver.drops.limitedByReason[.response]?["inform"] ?? 0) == informs
        }
        let limited = receiver.drops.limitedByReason[.response]?["inform"] ?? 0
        #expect(answers == events.count && answers == receiver.drops.informsAnswered)
        #expect(answers >= 3 && limited >= 1 && answers + limited == informs, "\(answers) answered, \(limited) limited")
    }
}
