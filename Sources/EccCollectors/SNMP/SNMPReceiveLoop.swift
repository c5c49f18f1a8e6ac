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
    static let slot = 65_536

    struct Shared: Sendable {
        let ring: Ring<Event>
        let stats: ProducerStats
        let drops: SNMPDropCounters
        let sources: SourceCounters
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
    private let batch = DatagramBatch(slot: SNMPReceiveLoop.slot)
    private var tally = SourceCounters.Tally()
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
            if !DatagramBatch.wait(socket.fd, timeoutMilliseconds: 100) {
                tally.publish(to: shared.sources, force: false)
                continue
            }
            var n: Int
            repeat {
                n = batch.receive(socket.fd)
                guard n > 0 else { break }
                let now = shared.clock.now()
                for i in 0..<n { handle(i, at: now) }
                _ = producer.tryFlush()
            } while n == DatagramBatch.capacity && !stop.load(ordering: .relaxed)
            tally.publish(to: shared.sources, force: false)
        }
        _ = producer.tryFlush()
        tally.publish(to: shared.sources, force: true)
    }

    private func handle(_ i: Int, at now: EventTime) {
        let bytes = batch.bytes(i)
        let sender = batch.sender(i)
        if batch.isTruncated(i) {
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

    private func send(_ bytes: [UInt8], to i: Int) { batch.reply(bytes, to: i, on: socket.fd) }

    private func count(_ sender: String, accepted: Bool) { tally.count(sender, accepted: accepted) }
}
