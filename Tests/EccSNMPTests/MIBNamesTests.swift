import EccBus
import EccCollectors
import EccCore
import EccSNMP
import EccTestSupport
import Foundation
import Logging
import Testing

/// MIB translation with net-snmp's parser: the IETF modules kept beside the project (`../shared/mibs`;
/// Debian ships none) and net-snmp's own (`/usr/share/snmp/mibs`). Names must be what net-snmp's
/// `snmptranslate` prints for the same OIDs.
private let sharedMIBs = ProcessInfo.processInfo.environment["ECC_TEST_MIBS"] ?? "../shared/mibs"

@Suite(
    "SNMP MIB names", .serialized,
    .enabled(
        if: FileManager.default.fileExists(atPath: sharedMIBs),
        "the IETF MIB modules are not at ../shared/mibs (set ECC_TEST_MIBS to their directory)"))
struct MIBNamesTests {
    static let directories = ["/usr/share/snmp/mibs", sharedMIBs]
    typealias T = NetSNMPTests

    /// What snmptranslate calls `oid`: `MODULE::name.instance`.
    static func translate(_ oid: String) throws -> String {
        let (rc, out) = try T.run(
            "/usr/bin/snmptranslate", ["-m", "ALL", oid], env: ["MIBDIRS": directories.joined(separator: ":")])
        guard rc == 0, let last = out.split(separator: "\n").last else {
            throw T.Failure("snmptranslate \(oid): \(out)")
        }
        return String(last)
    }

    @Test("traps and varbinds named from the MIBs as snmptranslate names them, by name and by number")
    func namedLikeNetSNMP() async throws {
        try T.tools()
        let ring = Ring<Event>(minimumCapacity: 1024)
        var logger = Logger(label: "snmp-mib-test")
        logger.logLevel = .critical
        let receiver = SNMPTrapReceiver(
            host: "127.0.0.1", port: 0, ring: ring, clock: ManualClock(), logger: logger,
            mibDirectories: Self.directories, receiveBuffer: 1 << 20)
        let task = try await NetSNMPTests.start(receiver)
        defer { task.cancel() }
        let target = "127.0.0.1:\(receiver.boundPort ?? 0)"
        // net-snmp's example heartbeat (an enterprise notification) with its rate, an IF-MIB column with
        // an instance and a HOST-RESOURCES scalar; then an enterprise-specific v1 trap.
        let objects = ["1.3.6.1.4.1.8072.2.3.2.1.0", "1.3.6.1.2.1.2.2.1.8.7", "1.3.6.1.2.1.25.1.1.0"]
        let sends: [[String]] = [
            [
                "-v", "2c", "-c", "public", target, "", "1.3.6.1.4.1.8072.2.3.0.1", objects[0], "i", "30", objects[1],
                "i", "2", objects[2], "t", "500",
            ],
            [
                "-v", "1", "-c", "public", target, "1.3.6.1.4.1.8072.2.3", "10.0.0.9", "6", "1", "", objects[0], "i",
                "5",
            ],
        ]
        for args in sends {
            let (rc, out) = try T.run("/usr/bin/snmptrap", ["-m", ""] + args)
            #expect(rc == 0, "\(out)")
        }
        var events: [Event] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while events.count < 2 && ContinuousClock.now < deadline {
            _ = ring.drain(maximum: 16) { events.append($0) }
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(events.count == 2)
        let heartbeat = try Self.translate("1.3.6.1.4.1.8072.2.3.0.1")
        #expect(heartbeat == "NET-SNMP-EXAMPLES-MIB::netSnmpExampleHeartbeatNotification")
        for e in events {
            #expect(e.attributes["trapName"] == .string(heartbeat))
            #expect(e.type == "netSnmpExampleHeartbeatNotification")
            #expect(e.attributes["snmpTrapOID"] == .string("1.3.6.1.4.1.8072.2.3.0.1"))
        }
        // Each varbind: by number, and by the name snmptranslate gives with the instance beside it.
        let first = events[0]
        for (oid, value) in zip(objects, [AttributeValue.int(30), .int(2), .int(500)]) {
            let full = try Self.translate(oid)  // e.g. IF-MIB::ifOperStatus.7
            let name = String(full[full.index(after: full.lastIndex(of: ":") ?? full.startIndex)...])
            let (short, instance) =
                name.firstIndex(of: ".").map { (String(name[..<$0]), String(name[name.index(after: $0)...])) } ?? (
                    name, ""
                )
            #expect(first.attributes[oid] == value, "\(oid)")
            #expect(first.attributes[short] == value, "\(short) (\(full)) in \(first.attributes)")
            #expect(first.attributes[short + ".instance"] == .string(instance), "\(short).instance")
        }
        #expect(events[1].attributes["netSnmpExampleHeartbeatRate"] == .int(5))
    }

    @Test("without MIBs, an enterprise trap keeps its number, and the generic traps their built-in names")
    func withoutMIBs() {
        var n = SNMPNotification(
            version: 1, community: [], isInform: false, requestID: 1, trapOID: OID([1, 3, 6, 1, 4, 1, 99, 0, 1]),
            uptime: nil, agentAddress: nil, varbinds: [], security: nil)
        #expect(n.event(from: "h", at: EventTime.zero).type == "1.3.6.1.4.1.99.0.1")
        n.trapOID = OID([1, 3, 6, 1, 6, 3, 1, 1, 5, 4])
        #expect(n.event(from: "h", at: EventTime.zero, names: OIDNameCache(mibs: nil)).type == "linkUp")
    }
}
