import EccBus
import EccCore
import NIOCore
import NIOExtras
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes newline-delimited JSON events from one TCP connection onto the bus.
///
/// Lines are parsed straight out of NIO's buffer. A bad line is counted and logged (rate-limited) and
/// the connection goes on. When the bus is full the handler stops reading from the socket until its
/// batch fits (TCP backpressure), so nothing already read is ever dropped.
final class JSONLinesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let producer: Producer<Event>
    private let reporter: BadInputReporter
    private let clock: any EccCore.Clock
    private let maxLineLength: Int
    private let limits: JSONLinesServer.Limits
    private let backlog: Backlog
    private var blocked = false
    private var cumulation: ByteBuffer?
    private var discardingLongLine = false
    /// Bytes of the held partial line already searched for a newline.
    private var scanned = 0
    private var paused = false
    private var retryScheduled = false
    private var quiescing = false
    private var inactive = false
    private var lineNumber = 0
    private var peer = "?"

    init(
        producer: Producer<Event>, reporter: BadInputReporter, clock: any EccCore.Clock,
        limits: JSONLinesServer.Limits, backlog: Backlog
    ) {
        self.producer = producer
        self.backlog = backlog
        self.reporter = reporter
        self.clock = clock
        self.limits = limits
        self.maxLineLength = limits.maxLineBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress?.description ?? "?"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var c = cumulation {
            cumulation = nil
            c.writeBuffer(&incoming)
            cumulation = c
        } else {
            cumulation = incoming
        }
        decodeLines(final: false)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactive = true
        decodeLines(final: true)  // a last line without a newline still counts
        flush(context: context)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Silent for the idle timeout. A connection paused by backpressure is not idle: eccd stopped reading.
            guard !paused else { return }
            reporter.report(
                "idle connection closed", peer: peer, detail: "nothing received for \(limits.idleTimeout)",
                reason: .idleTimeout)
            decodeLines(final: true)
            flush(context: context)
            context.close(promise: nil)
        } else if event is ChannelShouldQuiesceEvent {
            // Shutdown: stop reading, hand what was read to the bus, then close.
            quiescing = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
            decodeLines(final: false)
            flush(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Decodes every complete line in the cumulation buffer.
    private func decodeLines(final: Bool) {
        guard var buffer = cumulation else { return }
        cumulation = nil
        let now = clock.now()
        let scannedBefore = scanned
        let consumed = buffer.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var start = 0
            // The held partial line was searched before: look for its newline only in what arrived since,
            // so a long line sent in small pieces costs time linear in its length.
            var from = Swift.min(scannedBefore, raw.count)
            while start < raw.count {
                guard let p = memchr(base + from, 0x0A, raw.count - from) else { break }
                let nl = UnsafeRawPointer(p) - base
                if discardingLongLine {
                    discardingLongLine = false
                } else {
                    decodeLine(UnsafeRawBufferPointer(rebasing: raw[start..<nl]), receivedAt: now)
                }
                start = nl + 1
                from = start
            }
            let rest = raw.count - start
            if final && rest > 0 && !discardingLongLine {
                decodeLine(UnsafeRawBufferPointer(rebasing: raw[start...]), receivedAt: now)
                return raw.count
            }
            if rest > maxLineLength {
                if !discardingLongLine {
                    lineNumber += 1
                    reporter.report(
                        "bad JSON line dropped", peer: peer,
                        detail: "line \(lineNumber): longer than \(maxLineLength) bytes", reason: .lineLength)
                }
                discardingLongLine = true
                return raw.count
            }
            return start
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        scanned = buffer.readableBytes  // what is left holds no newline
        if buffer.readableBytes > 0 {
            if buffer.capacity > 4 * Swift.max(buffer.readableBytes, 4096) {
                // A partial line held in a large read buffer would pin the whole buffer (10,000 idle
                // connections holding one byte each pinned 64 KiB each): keep a copy of its own size.
                var compact = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
                compact.writeBuffer(&buffer)
                buffer = compact
            } else if buffer.readerIndex > 65_536 {
                buffer.discardReadBytes()
            }
            cumulation = buffer
        }
    }

    private func decodeLine(_ bytes: UnsafeRawBufferPointer, receivedAt: EventTime) {
        lineNumber += 1
        guard bytes.count <= maxLineLength else {
            reporter.report(
                "bad JSON line dropped", peer: peer, detail: "line \(lineNumber): longer than \(maxLineLength) bytes",
                reason: .lineLength)
            return
        }
        var line = bytes
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        do {
            producer.append(try JSONEventDecoder.decodeEvent(line, receivedAt: receivedAt, limits: limits.input))
        } catch {
            reporter.report(
                "bad JSON line dropped", peer: peer, detail: "line \(lineNumber): \(error)", reason: error.reason)
        }
    }

    /// Publishes the pending batch; while the bus is full, stops reading and retries shortly.
    private func flush(context: ChannelHandlerContext) {
        if producer.tryFlush() {
            if blocked {
                blocked = false
                backlog.remove()
            }
            if paused && !inactive && !quiescing {
                paused = false
                try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
                context.read()
            }
            if quiescing && !inactive { context.close(promise: nil) }
            return
        }
        if !blocked {
            // Read but not yet on the bus: shutdown waits for this to reach zero before closing the bus.
            blocked = true
            backlog.add()
        }
        if !paused && !inactive {
            paused = true
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
        guard !retryScheduled else { return }
        retryScheduled = true
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
            self.retryScheduled = false
            self.flush(context: context)
        }
    }
}

/// Connections holding events they read but could not yet put on the (full) bus.
final class Backlog: Sendable {
    private let count = Atomic<Int>(0)

    func add() { count.add(1, ordering: .relaxed) }
    func remove() { count.subtract(1, ordering: .relaxed) }
    var isEmpty: Bool { count.load(ordering: .relaxed) == 0 }
}
