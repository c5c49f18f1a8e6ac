import EccBus
import EccCore
import EccSNMP
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The SNMP notification receiver: UDP (IPv4 or IPv6) on a thread of its own with batched receive
/// (`recvmmsg`), v1 traps (converted to the v2 form, RFC 3584), v2c traps and informs (answered with a
/// Response), SNMPv3 through the USM. A packet that cannot be
/// decoded, or whose community is not allowed, is dropped and counted by reason; the receiver never stops
/// on input. UDP cannot be slowed down: when the bus is full, events are dropped and counted.
package final class SNMPTrapReceiver: Service, Sendable {
    package let host: String
    package let port: Int
    /// Requested socket receive buffer (the kernel may grant less: see ``grantedReceiveBuffer``).
    package let receiveBuffer: Int
    private let ring: Ring<Event>
    /// Events this receiver put on the bus (and dropped because the bus was full).
    package let stats = ProducerStats(name: "snmp")
    /// Bad packets, by reason.
    package let drops = SNMPDropCounters()
    package let badPackets: BadInputReporter
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let communities: Set<[UInt8]>?
    private let v3Only: Bool
    /// Varbinds per notification and the reply rates.
    package let limits: SNMPLimits
    private let usm: USMSettings
    private let mibDirectories: [String]
    /// Set when the service is asked to stop; the receive thread checks it.
    private let stop = Box(Atomic<Bool>(false))
    /// Notifications accepted and rejected per sender address.
    package let sources = SourceCounters()
    private let bound = Mutex<(port: Int, buffer: Int)?>(nil)
    private let engineState = Mutex<LocalEngine?>(nil)

    /// SNMPv3: the users accepted, and where eccd's engine ID and boot counter are kept.
    package struct USMSettings: Sendable {
        package var users: [USMUser]
        /// nil: an engine ID generated once and kept in ``engineFile``.
        package var engineID: [UInt8]?
        /// nil: nothing kept (a new engine ID each start; for tests).
        package var engineFile: String?

        package init(users: [USMUser] = [], engineID: [UInt8]? = nil, engineFile: String? = nil) {
            self.users = users
            self.engineID = engineID
            self.engineFile = engineFile
        }
    }

    /// `communities` nil accepts any community (v1/v2c); `v3Only` refuses v1 and v2c altogether.
    package init(
        host: String, port: Int, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        communities: Set<String>? = nil, v3Only: Bool = false, usm: USMSettings = USMSettings(),
        mibDirectories: [String] = [], receiveBuffer: Int = 8 << 20, limits: SNMPLimits = SNMPLimits()
    ) {
        self.v3Only = v3Only
        self.limits = limits
        self.usm = usm
        self.mibDirectories = mibDirectories
        self.host = host
        self.port = port
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.communities = communities.map { Set($0.map { Array($0.utf8) }) }
        self.receiveBuffer = receiveBuffer
        self.badPackets = BadInputReporter(collector: "snmp", logger: logger)
    }

    /// The port actually bound (differs from ``port`` when that is 0), once running.
    package var boundPort: Int? { bound.withLock { $0?.port } }
    /// eccd's SNMP engine (ID and boots), once running.
    package var engine: LocalEngine? { engineState.withLock { $0 } }
    /// The receive buffer the kernel granted (Linux reports twice the usable size), once running.
    package var grantedReceiveBuffer: Int? { bound.withLock { $0?.buffer } }

    /// Datagrams the kernel dropped on this socket (its receive buffer was full); nil when not running or
    /// not on Linux.
    package var kernelDrops: Int? { boundPort.flatMap(UDPSocket.kernelDrops(port:)) }

    package func run() async throws {
        let engine: LocalEngine
        if let file = usm.engineFile {
            let (booted, persisted) = try SNMPEngineFile.boot(path: file, configuredID: usm.engineID)
            engine = booted
            if !persisted {
                logger.warning(
                    "cannot write the SNMP engine file; SNMPv3 inform senders will rediscover eccd's boots after a restart",
                    metadata: ["ecc.path": "\(file)"])
            }
        } else {
            engine = LocalEngine(engineID: usm.engineID ?? SNMPEngineFile.generatedID(), boots: 1)
        }
        engineState.withLock { $0 = engine }
        var mibs: MIBNames?
        if !mibDirectories.isEmpty {
            for dir in mibDirectories where !FileManager.default.fileExists(atPath: dir) {
                logger.warning("MIB directory not found", metadata: ["ecc.path": "\(dir)"])
            }
            let loaded = MIBNames(directories: mibDirectories)
            logger.info(
                "MIB modules loaded for SNMP names",
                metadata: [
                    "ecc.directories": "\(mibDirectories.joined(separator: ":"))", "ecc.nodes": "\(loaded.nodes)",
                ])
            mibs = loaded
        }
        let socket = try UDPSocket.bind(collector: "snmp", host: host, port: port, receiveBuffer: receiveBuffer)
        bound.withLock { $0 = (socket.port, socket.receiveBuffer) }
        if socket.receiveBuffer < receiveBuffer {
            logger.warning(
                "SNMP receive buffer smaller than asked; raise net.core.rmem_max to avoid kernel drops under bursts",
                metadata: ["ecc.requested": "\(receiveBuffer)", "ecc.granted": "\(socket.receiveBuffer)"])
        }
        logger.info(
            "SNMP trap receiver listening",
            metadata: [
                "ecc.address": "udp \(host):\(socket.port)", "ecc.receive_buffer": "\(socket.receiveBuffer)",
                "ecc.engine_id": "\(Hex.text(engine.engineID))", "ecc.engine_boots": "\(engine.boots)",
                "ecc.v3_users": "\(usm.users.count)", "ecc.v3_only": "\(v3Only)",
                "ecc.communities": "\(communities.map { "\($0.count) listed" } ?? "any")",
                "ecc.max_varbinds": "\(limits.maxVarbinds)",
            ])
        let shared = SNMPReceiveLoop.Shared(
            ring: ring, stats: stats, drops: drops, sources: sources, reporter: badPackets, clock: clock,
            communities: communities, v3Only: v3Only, limits: limits, engine: engine, users: usm.users, mibs: mibs)
        let stop = self.stop
        await socket.serve(thread: "ecc-snmp-recv", stop: stop) {
            SNMPReceiveLoop(socket: socket, shared: shared).run(stop: stop.value)
        }
        logger.info(
            "SNMP trap receiver stopped",
            metadata: ["ecc.accepted": "\(stats.accepted)", "ecc.dropped_bad": "\(drops.total)"])
    }
}

/// Bad packets by reason, informs answered, and replies held back by the rate limits.
package final class SNMPDropCounters: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let limitedCounts = Mutex<[Reply: [String: Int]]>([:])

    /// What eccd sends back: a Report (discovery, USM failures) or the Response to an inform.
    package enum Reply: String, Sendable, Hashable {
        case report
        case response
    }
    private let informCount = Atomic<Int>(0)

    package init() {}

    private let discoveryCount = Atomic<Int>(0)

    func answeredInform() { informCount.add(1, ordering: .relaxed) }
    func answeredDiscovery() { discoveryCount.add(1, ordering: .relaxed) }
    /// SNMPv3 engine-ID discovery probes answered with a Report.
    package var discoveriesAnswered: Int { discoveryCount.load(ordering: .relaxed) }
    /// Informs answered with a Response.
    package var informsAnswered: Int { informCount.load(ordering: .relaxed) }

    func add(_ reason: String) { counts.withLock { $0[reason, default: 0] += 1 } }

    func limited(_ reply: Reply, reason: String) {
        limitedCounts.withLock { $0[reply, default: [:]][reason, default: 0] += 1 }
    }

    /// Replies not sent because their rate limit was reached: reply → reason → count (a Report's reason
    /// is the USM failure it would have reported; an unanswered inform, `inform`, was dropped).
    package var limitedByReason: [Reply: [String: Int]] { limitedCounts.withLock { $0 } }

    /// Reason → count.
    package var byReason: [String: Int] { counts.withLock { $0 } }
    package var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}
