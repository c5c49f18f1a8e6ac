import CEccNet
import EccBus
import EccCore
import EccSNMP
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The SNMP receiver's thread: `recvmmsg` of up to 64 datagrams a call into buffers allocated once
/// (each as large as a UDP payload can be, so nothing is truncated), decoded in place, turned into
/// events on the bus in batches; informs, discovery probes and failures answered with `sendto`.
/// Confined to its thread: it owns the USM state and the name cache.
final class SNMPReceiveLoop {
    static let batch = 64
    static let slot = 65_536

    struct Shared: Sendable {
        let ring: Ring<Event>
        let stats: ProducerStats
        let drops: SNMPDropCounters
        let sources: SNMPSourceCounters
        let reporter: BadInputReporter
        let clock: any EccCore.Clock
        let communities: Set<[UInt8]>?
        let v3Only: Bool
        let limits: SNMPLimits
        let engine: LocalEngine
        let users: [USMUser]
        let mibs: MIBNames?
    }

    private let socket: UDPSocket
    private let shared: Shared
    private let producer: Producer<Event>
    private let usm: USMProcessor
    private let names: OIDNameCache
    private let booted = ContinuousClock.now
    private let buffers: UnsafeMutableRawPointer
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private var addressLengths = [UInt32](repeating: 0, count: SNMPReceiveLoop.batch)
    private var lengths = [Int32](repeating: 0, count: SNMPReceiveLoop.batch)
    private var truncated = [Int32](repeating: 0, count: SNMPReceiveLoop.batch)
    /// The last sender's address bytes and text: bursts come from few senders.
    private var lastAddress: (family: sa_family_t, high: UInt64, low: UInt64) = (0, 0, 0)
    private var lastText = ""
    private var perSource: [String: SNMPSourceCounters.Count] = [:]
    private var published = ContinuousClock.now
    /// Reports and inform Responses sent, bounded (eccd must not become a reflector).
    private var reports: TokenBucket
    private var responses: TokenBucket

    init(socket: UDPSocket, shared: Shared) {
        self.socket = socket
        self.shared = shared
        producer = Producer(ring: shared.ring, policy: .dropNewest, stats: shared.stats, batchSize: 256)
        usm = USMProcessor(engine: shared.engine, users: shared.users, maxVarbinds: shared.limits.maxVarbinds)
        reports = TokenBucket(rate: shared.limits.reportsPerSecond)
        responses = TokenBucket(rate: shared.limits.responsesPerSecond)
        names = OIDNameCache(mibs: shared.mibs)
        buffers = .allocate(byteCount: Self.batch * Self.slot, alignment: 16)
        addresses = .allocate(capacity: Self.batch)
    }

    deinit {
        buffers.deallocate()
        addresses.deallocate()
    }

    /// Seconds since this engine booted (snmpEngineTime).
    private var engineTime: UInt32 { UInt32(clamping: (ContinuousClock.now - booted).components.seconds) }

    /// Nanoseconds since this engine booted, for the rate limits.
    private var uptimeNanos: UInt64 {
        let d = (ContinuousClock.now - booted).components
        return UInt64(clamping: d.seconds) &* 1_000_000_000 &+ UInt64(clamping: d.attoseconds / 1_000_000_000)
    }

    /// Receives until `stop` is set (checked at least every 100 ms).
    func run(stop: borrowing Atomic<Bool>) {
        while !stop.load(ordering: .relaxed) {
            var p = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) <= 0 {
                publishSources(force: false)
                continue
            }
            var n: Int32
            repeat {
                n = ecc_udp_receive(
                    socket.fd, buffers, Self.slot, Int32(Self.batch), addresses, MemoryLayout<sockaddr_storage>.size,
                    &addressLengths, &lengths, &truncated)
                guard n > 0 else { break }
                let now = shared.clock.now()
                for i in 0..<Int(n) { handle(i, at: now) }
                _ = producer.tryFlush()
            } while n == Self.batch && !stop.load(ordering: .relaxed)
            publishSources(force: false)
        }
        _ = producer.tryFlush()
        publishSources(force: true)
    }

    /// The sender's address as text; the last one's is reused (the port is not part of it).
    private func sender(_ i: Int) -> String {
        let a = addresses + i
        // sin_addr at offset 4 (4 bytes), sin6_addr at offset 8 (16 bytes).
        let (offset, size) = Int32(a.pointee.ss_family) == AF_INET6 ? (8, 16) : (4, 4)
        var bytes: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &bytes) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(a) + offset, count: size))
        }
        let key = (family: a.pointee.ss_family, high: bytes.0, low: bytes.1)
        if lastText.isEmpty || key != lastAddress {
            lastAddress = key
            lastText = UDPSocket.text(a)
        }
        return lastText
    }

    private func handle(_ i: Int, at now: EventTime) {
        let length = Int(lengths[i])
        let bytes = UnsafeRawBufferPointer(start: buffers + i * Self.slot, count: length)
        let sender = self.sender(i)
        if truncated[i] != 0 {
            reject(.tooLarge, from: sender)
            return
        }
        let decoded: Result<SNMPNotification, SNMPError>
        var response: [UInt8]?
        let version = SNMPDecoder.version(of: bytes)
        if version == 3 {
            switch usm.process(bytes, now: engineTime) {
            case .notification(let n, let reply):
                decoded = .success(n)
                response = reply
            case .discovery(let reply):
                if reports.take(at: uptimeNanos) {
                    shared.drops.answeredDiscovery()
                    send(reply, to: i)
                } else {
                    shared.drops.limited(.report, reason: SNMPError.usm(.unknownEngineID).reason)
                }
                return
            case .rejected(let error, let reply):
                decoded = .failure(error)
                if let reply {
                    if reports.take(at: uptimeNanos) {
                        send(reply, to: i)
                    } else {
                        shared.drops.limited(.report, reason: error.reason)
                    }
                }
            }
        } else if shared.v3Only && (version == 0 || version == 1) {
            reject(.v3Only, from: sender)
            return
        } else {
            let communities = shared.communities
            let allow = communities.map { set in { (c: ArraySlice<UInt8>) in set.contains(Array(c)) } }
            // The common case, a v2c trap, straight from the packet to its event; anything else (or a
            // packet it does not take) goes the general way below.
            let maxVarbinds = shared.limits.maxVarbinds
            if let e = SNMPDecoder.trapEvent(
                bytes, from: sender, at: now, names: names, allowCommunity: allow, maxVarbinds: maxVarbinds)
            {
                producer.append(e)
                count(sender, accepted: true)
                return
            }
            do throws(SNMPError) {
                decoded = .success(
                    try SNMPDecoder.decode(bytes, allowCommunity: allow, maxVarbinds: maxVarbinds))
            } catch { decoded = .failure(error) }
        }
        switch decoded {
        case .failure(let error):
            reject(error, from: sender)
        case .success(let n):
            // An inform that cannot be answered now is not taken: its sender's retry is.
            if n.isInform && !responses.take(at: uptimeNanos) {
                shared.drops.limited(.response, reason: "inform")
                count(sender, accepted: false)
                return
            }
            producer.append(n.event(from: sender, at: now, names: names))
            count(sender, accepted: true)
            if n.isInform, let r = response ?? (n.version == 3 ? nil : SNMPDecoder.informResponse(to: n)) {
                send(r, to: i)
                shared.drops.answeredInform()
            }
        }
    }

    private func reject(_ error: SNMPError, from sender: String) {
        shared.drops.add(error.reason)
        shared.reporter.report(
            "bad SNMP packet dropped", peer: sender, detail: error.description, reason: error.refusal)
        count(sender, accepted: false)
    }

    private func send(_ bytes: [UInt8], to i: Int) {
        _ = bytes.withUnsafeBytes { raw in
            sendto(
                socket.fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT),
                UnsafeRawPointer(addresses + i).assumingMemoryBound(to: sockaddr.self), addressLengths[i])
        }
    }

    private func count(_ sender: String, accepted: Bool) {
        let key = perSource[sender] != nil || perSource.count < SNMPSourceCounters.maxSources ? sender : "other"
        if accepted {
            perSource[key, default: .init()].accepted += 1
        } else {
            perSource[key, default: .init()].rejected += 1
        }
    }

    /// Hands the per-source counts to the shared table about once a second (and at the end).
    private func publishSources(force: Bool) {
        let now = ContinuousClock.now
        guard force || now - published >= .seconds(1), !perSource.isEmpty else { return }
        published = now
        shared.sources.merge(perSource)
        perSource.removeAll(keepingCapacity: true)
    }
}

/// Notifications accepted and rejected per sender address, for `/metrics`: at most
/// ``maxSources`` addresses, the rest counted under `other`.
package final class SNMPSourceCounters: Sendable {
    package struct Count: Sendable, Equatable {
        package var accepted = 0
        package var rejected = 0

        package init(accepted: Int = 0, rejected: Int = 0) {
            self.accepted = accepted
            self.rejected = rejected
        }
    }

    package static let maxSources = 1024
    private let counts = Mutex<[String: Count]>([:])

    package init() {}

    func merge(_ more: [String: Count]) {
        counts.withLock { all in
            for (source, c) in more {
                let key = all[source] != nil || all.count < Self.maxSources ? source : "other"
                all[key, default: Count()].accepted += c.accepted
                all[key, default: Count()].rejected += c.rejected
            }
        }
    }

    /// Sender address → counts.
    package var bySource: [String: Count] { counts.withLock { $0 } }
}
