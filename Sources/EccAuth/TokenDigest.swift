import CEccCrypto

/// SHA-256 and random bytes for API tokens, from OpenSSL's libcrypto (through the CEccSNMP shim).
package enum TokenDigest {
    /// The lowercase hex SHA-256 of the token's UTF-8 bytes: what a tokens file stores.
    package static func sha256Hex(_ token: String) -> String {
        let bytes = Array(token.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        let rc = bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                ecc_hash(Int32(ECC_SHA256.rawValue), b.baseAddress, b.count, o.baseAddress)
            }
        }
        precondition(rc == 0, "libcrypto SHA-256 failed")
        return hex(out)
    }

    /// A new token: `ecc_` and 32 random bytes in hex (256 bits from the system's CSPRNG).
    package static func newToken() throws(CredentialFileError) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        let rc = out.withUnsafeMutableBufferPointer { ecc_random($0.baseAddress, $0.count) }
        guard rc == 0 else { throw CredentialFileError("no random bytes from libcrypto", file: "") }
        return "ecc_" + hex(out)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
