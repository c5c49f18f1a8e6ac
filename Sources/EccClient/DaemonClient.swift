import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Talks HTTP/1.1 (or HTTPS) to a running eccd, on SwiftNIO's HTTP codec and swift-nio-ssl.
package struct DaemonClient: Sendable {
    package let host: String
    package let port: Int
    /// Sent as `Authorization: Bearer TOKEN` (nil: no credentials, for eccd's tokenless loopback mode).
    package var token: String?
    /// HTTPS: the server's certificate is verified (chain and host name or IP address) against these roots.
    package let tls: TLSConfiguration?

    /// Parses `http://host:port` or `https://host:port` (the `--server` option / `ECC_SERVER`). For HTTPS,
    /// `caFile` (PEM) is trusted instead of the system's certificate authorities.
    package init(server: String, token: String? = nil, caFile: String? = nil) throws {
        self.token = token
        var rest = Substring(server)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
            tls = nil
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst(8)
            var c = TLSConfiguration.makeClientConfiguration()
            c.minimumTLSVersion = .tlsv12
            if let caFile { c.trustRoots = .file(caFile) }
            tls = c
        } else if rest.contains("://") {
            throw CLIError("unsupported server URL '\(server)': use http:// or https://")
        } else {
            tls = nil
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
    package func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers extra: [(String, String)] = []
    ) async throws -> (status: Int, body: [UInt8]) {
        var collected: [UInt8] = []
        let status = try await stream(method, path, body: body, headers: extra) { _, chunk in collected += chunk }
        return (status, collected)
    }

    /// Sends a request and hands each body chunk (with the status) to `onChunk` as it arrives; returns the status.
    package func stream(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers extra: [(String, String)] = [],
        onChunk: (Int, [UInt8]) throws -> Void
    ) async throws -> Int {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        let sslContext: NIOSSLContext?
        do { sslContext = try tls.map { try NIOSSLContext(configuration: $0) } } catch {
            throw CLIError("TLS: \(error) (check --ca-file)")
        }
        // SNI takes names only; for an IP address swift-nio-ssl checks the certificate against the peer's IP.
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw CLIError(
                "cannot reach eccd at \(tls == nil ? "http" : "https")://\(host):\(port) (\(error)); is it running? "
                    + "(set --server or ECC_SERVER)")
        }
        do {
            return try await exchange(channel, method, path, body: body, headers: extra, onChunk: onChunk)
        } catch let e as CLIError {
            throw e
        } catch  where tls != nil {
            // A failed handshake shows as an SSL error, or as the channel closing under the request.
            throw CLIError(
                "TLS with eccd at https://\(host):\(port) failed (\(error)); is its certificate trusted? (--ca-file)")
        }
    }

    private func exchange(
        _ channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, _ method: HTTPMethod,
        _ path: String, body: [UInt8]?, headers extra: [(String, String)], onChunk: (Int, [UInt8]) throws -> Void
    ) async throws -> Int {
        try await channel.executeThenClose { inbound, outbound in
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
package struct CLIError: Error, CustomStringConvertible {
    package var description: String
    package init(_ message: String) { description = message }
}
