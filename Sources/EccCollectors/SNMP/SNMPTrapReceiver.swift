import EccBus
import EccCore
import EccSNMP
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The SNMP notification receiver: UDP (IPv4 or IPv6), batched receive (`recvmmsg`), v1 traps (converted
/// to the v2 form, RFC 3584), v2c traps and informs (answered with a Response). A packet that cannot be
/// decoded, or whose community is not allowed, is dropped and counted by reason; the receiver never stops
/// on input. UDP cannot be slowed down: when the bus is full, events are dropped and counted.
public final class SNMPTrapReceiver: Service, Sendable {
    public let host: String
    public let port: Int
    /// Requested socket receive buffer (the kernel may grant less: see ``grantedReceiveBuffer``).
    public let receiveBuffer: Int
    private let ring: Ring<Event>
    /// Events this receiver put on the bus (and dropped because the bus was full).
    public let stats = ProducerStats(name: "snmp")
    /// Bad packets, by reason.
    public let drops = SNMPDropCounters()
    public let badPackets: BadInputReporter
    private let clock: any EccCore.Clock
    private let logger: Logger
    private let communities: Set<[UInt8]>?
    private let usm: USMSettings
    private let mibDirectories: [String]
    private let group: MultiThreadedEventLoopGroup
    private let bound = Mutex<(port: Int, buffer: Int)?>(nil)
    private let engineState = Mutex<LocalEngine?>(nil)

    /// SNMPv3: the users accepted, and where eccd's engine ID and boot counter are kept.
    public struct USMSettings: Sendable {
        public var users: [USMUser]
        /// nil: an engine ID generated once and kept in ``engineFile``.
        public var engineID: [UInt8]?
        /// nil: nothing kept (a new engine ID each start; for tests).
        public var engineFile: String?

        public init(users: [USMUser] = [], engineID: [UInt8]? = nil, engineFile: String? = nil) {
            self.users = users
            self.engineID = engineID
            self.engineFile = engineFile
        }
    }

    /// `communities` nil accepts any community (v1/v2c).
    public init(
        host: String, port: Int, ring: Ring<Event>, clock: any EccCore.Clock, logger: Logger,
        communities: Set<String>? = nil, usm: USMSettings = USMSettings(), mibDirectories: [String] = [],
        receiveBuffer: Int = 8 << 20, group: MultiThreadedEventLoopGroup = .singleton
    ) {
        self.usm = usm
        self.mibDirectories = mibDirectories
        self.host = host
        self.port = port
        self.ring = ring
        self.clock = clock
        self.logger = logger
        self.communities = communities.map { Set($0.map { Array($0.utf8) }) }
        self.receiveBuffer = receiveBuffer
        self.group = group
        self.badPackets = BadInputReporter(collector: "snmp", logger: logger)
    }

    /// The port actually bound (differs from ``port`` when that is 0), once running.
    public var boundPort: Int? { bound.withLock { $0?.port } }
    /// eccd's SNMP engine (ID and boots), once running.
    public var engine: LocalEngine? { engineState.withLock { $0 } }
    /// The receive buffer the kernel granted (Linux reports twice the usable size), once running.
    public var grantedReceiveBuffer: Int? { bound.withLock { $0?.buffer } }

    /// Datagrams the kernel dropped on this socket (its receive buffer was full), from /proc/net/udp{,6};
    /// nil when not running or not on Linux.
    public var kernelDrops: Int? {
        guard let port = boundPort else { return nil }
        let hexPort = String(format: "%04X", port)
        var total: Int?
        for file in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 13, f[1].hasSuffix(":" + hexPort), let d = Int(f[f.count - 1]) else { continue }
                total = (total ?? 0) + d
            }
        }
        return total
    }

    public func run() async throws {
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
        let handler = SNMPHandler.Shared(
            ring: ring, stats: stats, drops: drops, reporter: badPackets, clock: clock, communities: communities,
            engine: engine, users: usm.users, mibs: mibs)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
                .channelOption(.datagramVectorReadMessageCount, value: 64)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(SNMPHandler(handler))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw CollectorError(collector: "snmp", message: "cannot listen on udp \(host):\(port): \(error)")
        }
        let granted = (try? await channel.getOption(.socketOption(.so_rcvbuf)).get()).map { Int($0) } ?? 0
        let actual = channel.localAddress?.port ?? port
        bound.withLock { $0 = (actual, granted) }
        if granted < receiveBuffer {
            logger.warning(
                "SNMP receive buffer smaller than asked; raise net.core.rmem_max to avoid kernel drops under bursts",
                metadata: ["ecc.requested": "\(receiveBuffer)", "ecc.granted": "\(granted)"])
        }
        logger.info(
            "SNMP trap receiver listening",
            metadata: [
                "ecc.address": "udp \(host):\(actual)", "ecc.receive_buffer": "\(granted)",
                "ecc.engine_id": "\(SNMPEngineFile.hex(engine.engineID))", "ecc.engine_boots": "\(engine.boots)",
                "ecc.v3_users": "\(usm.users.count)",
            ])
        try? await gracefulShutdown()
        try? await channel.close()
        logger.info(
            "SNMP trap receiver stopped",
            metadata: ["ecc.accepted": "\(stats.accepted)", "ecc.dropped_bad": "\(drops.total)"])
    }
}

/// Bad packets by reason, and informs answered.
public final class SNMPDropCounters: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let informCount = Atomic<Int>(0)

    public init() {}

    private let discoveryCount = Atomic<Int>(0)

    func answeredInform() { informCount.add(1, ordering: .relaxed) }
    func answeredDiscovery() { discoveryCount.add(1, ordering: .relaxed) }
    /// SNMPv3 engine-ID discovery probes answered with a Report.
    public var discoveriesAnswered: Int { discoveryCount.load(ordering: .relaxed) }
    /// Informs answered with a Response.
    public var informsAnswered: Int { informCount.load(ordering: .relaxed) }

    func add(_ reason: String) { counts.withLock { $0[reason, default: 0] += 1 } }

    /// Reason → count.
    public var byReason: [String: Int] { counts.withLock { $0 } }
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

final class SNMPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    struct Shared: Sendable {
        let ring: Ring<Event>
        let stats: ProducerStats
        let drops: SNMPDropCounters
        let reporter: BadInputReporter
        let clock: any EccCore.Clock
        let communities: Set<[UInt8]>?
        let engine: LocalEngine
        let users: [USMUser]
        let mibs: MIBNames?
    }

    private let shared: Shared
    private let producer: Producer<Event>
    private let usm: USMProcessor
    private let names: OIDNameCache
    private let booted = ContinuousClock.now

    init(_ shared: Shared) {
        self.shared = shared
        producer = Producer(ring: shared.ring, policy: .dropNewest, stats: shared.stats, batchSize: 256)
        usm = USMProcessor(engine: shared.engine, users: shared.users)
        names = OIDNameCache(mibs: shared.mibs)
    }

    /// Seconds since this engine booted (snmpEngineTime).
    private var engineTime: UInt32 {
        UInt32(clamping: (ContinuousClock.now - booted).components.seconds)
    }

    private func reply(_ bytes: [UInt8], to address: SocketAddress, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let sender = envelope.remoteAddress.ipAddress ?? "unknown"
        let isV3 = envelope.data.withUnsafeReadableBytes { SNMPDecoder.version(of: $0) } == 3
        let decoded: Result<SNMPNotification, SNMPError>
        var response: [UInt8]?
        if isV3 {
            let now = engineTime
            switch envelope.data.withUnsafeReadableBytes({ usm.process($0, now: now) }) {
            case .notification(let n, let reply):
                decoded = .success(n)
                response = reply
            case .discovery(let reply):
                shared.drops.answeredDiscovery()
                self.reply(reply, to: envelope.remoteAddress, context: context)
                return
            case .rejected(let error, let reply):
                decoded = .failure(error)
                if let reply { self.reply(reply, to: envelope.remoteAddress, context: context) }
            }
        } else {
            let communities = shared.communities
            decoded = envelope.data.withUnsafeReadableBytes { raw in
                do throws(SNMPError) {
                    return .success(
                        try SNMPDecoder.decode(
                            raw, allowCommunity: communities.map { set in { set.contains(Array($0)) } }))
                } catch { return .failure(error) }
            }
        }
        switch decoded {
        case .failure(let error):
            shared.drops.add(error.reason)
            shared.reporter.report("bad SNMP packet dropped", peer: sender, detail: error.description)
        case .success(let n):
            producer.append(n.event(from: sender, at: shared.clock.now(), names: names))
            if n.isInform {
                if let r = response ?? (isV3 ? nil : SNMPDecoder.informResponse(to: n)) {
                    reply(r, to: envelope.remoteAddress, context: context)
                    shared.drops.answeredInform()
                }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        producer.tryFlush()
        context.flush()
    }
}
