#if canImport(Glibc)
    import Glibc
#endif

/// Loopback listen addresses: where eccd may run without credentials (the HTTP API without tokens, the
/// SNMP receiver without a community decision, the JSON-lines TCP collector at all).
package enum ListenAddress {
    /// `127.0.0.0/8`, `::1` (in any spelling) and `localhost`.
    package static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { $0.prefix(15).allSatisfy { $0 == 0 } && $0[15] == 1 }
        }
        return false
    }
}
