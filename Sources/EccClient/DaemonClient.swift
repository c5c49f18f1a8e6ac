import NIOCore
public import NIOHTTP1
import NIOPosix

/// Talks HTTP/1.1 to a running eccd, on SwiftNIO's HTTP codec.
public struct DaemonClient: Sendable {
    public let host: String
    public let port: Int

    /// Parses `http://host:port` (the `--server` option / `ECC_SERVER`).
    public init(server: String) throws {
        var rest = Substring(server)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
        } else if rest.contains("://") {
            throw CLIError("unsupported server URL '\(server)': only http:// is supported")
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var hostPart = rest
        var port = 8470
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]) else { throw CLIError("bad port in '\(server)'") }
            port = p
            hostPart = rest[..<colon]
        }
        if hostPart.hasPrefix("[") { hostPart = hostPart.dropFirst().dropLast() }
        guard !hostPart.isEmpty else { throw CLIError("no host in '\(server)'") }
        self.host = String(hostPart)
        self.port = port
    }

    /// Sends a request and collects the whole response.
    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (
        status: Int, body: [UInt8]
    ) {
        var collected: [UInt8] = []
        let status = try await stream(method, path, body: body) { _, chunk in collected += chunk }
        return (status, collected)
    }

    /// Sends a request and hands each body chunk (with the status) to `onChunk` as it arrives; returns the status.
    public func stream(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, onChunk: (Int, [UInt8]) throws -> Void
    ) async throws -> Int {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw CLIError(
                "cannot reach eccd at http://\(host):\(port) (\(error)); is it running? (set --server or ECC_SERVER)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "User-Agent", value: "eccctl")
            headers.add(name: "Connection", value: "close")
            if let body {
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.count))
            }
            // The whole request in one write: a server that answers as soon as it has the head (a 503) and
            // closes (we ask it to) must not find the rest of our request still to be written.
            var parts: [HTTPClientRequestPart] = [
                .head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers))
            ]
            if let body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            parts.append(.end(nil))
            try await outbound.write(contentsOf: parts)
            var status = 0
            for try await part in inbound {
                switch part {
                case .head(let head): status = Int(head.status.code)
                case .body(let buffer): try onChunk(status, Array(buffer.readableBytesView))
                case .end: return status
                }
            }
            return status
        }
    }
}

/// An error for the operator, e.g. eccd unreachable: eccctl prints it as `eccctl: message`.
public struct CLIError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
