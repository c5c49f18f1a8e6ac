import NIOCore
public import NIOHTTP1
import NIOPosix

/// Talks HTTP/1.1 to a running eccd, on SwiftNIO's HTTP codec.
public struct DaemonClient: Sendable {
    public let host: String
    public let port: Int
    /// Sent as `Authorization: Bearer TOKEN` (nil: no credentials, for eccd's tokenless loopback mode).
    public var token: String?

    /// Parses `http://host:port` (the `--server` option / `ECC_SERVER`).
    public init(server: String, token: String? = nil) throws {
        self.token = token
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
    /// `headers` are sent as well (a `Host` among them replaces eccctl's own).
    public func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers extra: [(String, String)] = []
    ) async throws -> (status: Int, body: [UInt8]) {
        var collected: [UInt8] = []
        let status = try await stream(method, path, body: body, headers: extra) { _, chunk in collected += chunk }
        return (status, collected)
    }

    /// Sends a request and hands each body chunk (with the status) to `onChunk` as it arrives; returns the status.
    public func stream(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers extra: [(String, String)] = [],
        onChunk: (Int, [UInt8]) throws -> Void
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
            if !extra.contains(where: { $0.0.lowercased() == "host" }) {
                headers.add(name: "Host", value: "\(host):\(port)")
            }
            for (name, value) in extra { headers.add(name: name, value: value) }
            headers.add(name: "User-Agent", value: "eccctl")
            headers.add(name: "Connection", value: "close")
            if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let body {
                if !extra.contains(where: { $0.0.lowercased() == "content-type" }) {
                    headers.add(name: "Content-Type", value: "application/json")
                }
                headers.add(name: "Content-Length", value: String(body.count))
            }
            try await outbound.write(
                .head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
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
