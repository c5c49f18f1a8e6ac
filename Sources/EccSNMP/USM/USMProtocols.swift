import CEccCrypto

/// A USM authentication protocol: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), HMAC-SHA-2 (RFC 7860).
package enum AuthProtocol: String, Sendable, CaseIterable {
    case md5 = "MD5"
    case sha1 = "SHA"
    case sha224 = "SHA-224"
    case sha256 = "SHA-256"
    case sha384 = "SHA-384"
    case sha512 = "SHA-512"

    /// Accepts net-snmp's spellings (`-a MD5|SHA|SHA-224|…`), case-insensitively, and `SHA-1`/`SHA1`.
    package init?(name: String) {
        let n = name.uppercased()
        if n == "SHA-1" || n == "SHA1" {
            self = .sha1
            return
        }
        guard let p = Self.allCases.first(where: { $0.rawValue == n || $0.rawValue.replacing("-", with: "") == n })
        else { return nil }
        self = p
    }

    var hash: Int32 {
        switch self {
        case .md5: Int32(ECC_MD5.rawValue)
        case .sha1: Int32(ECC_SHA1.rawValue)
        case .sha224: Int32(ECC_SHA224.rawValue)
        case .sha256: Int32(ECC_SHA256.rawValue)
        case .sha384: Int32(ECC_SHA384.rawValue)
        case .sha512: Int32(ECC_SHA512.rawValue)
        }
    }

    /// Length of the localized key: the digest length.
    package var keyLength: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// Length of msgAuthenticationParameters: the truncated HMAC.
    package var macLength: Int {
        switch self {
        case .md5, .sha1: 12
        case .sha224: 16
        case .sha256: 24
        case .sha384: 32
        case .sha512: 48
        }
    }
}

/// A USM privacy protocol: DES-CBC (RFC 3414), AES-128-CFB (RFC 3826), and AES-192/256-CFB with the
/// key extension of draft-blumenthal-aes-usm-04 (what net-snmp's `-x AES-192|AES-256` do).
package enum PrivProtocol: String, Sendable, CaseIterable {
    case des = "DES"
    case aes128 = "AES"
    case aes192 = "AES-192"
    case aes256 = "AES-256"

    /// Accepts net-snmp's spellings (`-x DES|AES|AES-192|AES-256`), case-insensitively, and `AES-128`.
    package init?(name: String) {
        let n = name.uppercased()
        if n == "AES-128" || n == "AES128" {
            self = .aes128
            return
        }
        guard let p = Self.allCases.first(where: { $0.rawValue == n || $0.rawValue.replacing("-", with: "") == n })
        else { return nil }
        self = p
    }

    /// Key material the cipher needs: DES takes 8 bytes of key and 8 of pre-IV.
    package var keyLength: Int {
        switch self {
        case .des, .aes128: 16
        case .aes192: 24
        case .aes256: 32
        }
    }
}

/// The USM's cryptographic primitives, through OpenSSL's libcrypto.
enum USMCrypto {
    static func passwordToKey(_ pass: [UInt8], _ auth: AuthProtocol) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 64)
        guard !pass.isEmpty, ecc_password_to_key(auth.hash, pass, pass.count, &out) == 0 else { return nil }
        return Array(out.prefix(auth.keyLength))
    }

    static func hash(_ data: [UInt8], _ auth: AuthProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        _ = ecc_hash(auth.hash, data, data.count, &out)
        return Array(out.prefix(auth.keyLength))
    }

    /// RFC 3414 A.2.2: Kul = H(Ku || engineID || Ku).
    static func localize(_ ku: [UInt8], engineID: [UInt8], _ auth: AuthProtocol) -> [UInt8] {
        hash(ku + engineID + ku, auth)
    }

    /// draft-blumenthal-aes-usm-04 §3.1.2.1: Kul = Kul || H(Kul) until long enough.
    static func extend(_ kul: [UInt8], to length: Int, _ auth: AuthProtocol) -> [UInt8] {
        var key = kul
        while key.count < length { key += hash(key, auth).prefix(length - key.count) }
        return Array(key.prefix(length))
    }

    /// HMAC truncated to the protocol's MAC length, over `data`.
    static func mac(key: [UInt8], _ data: UnsafeRawBufferPointer, _ auth: AuthProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        _ = ecc_hmac(
            auth.hash, key, key.count, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &out)
        return Array(out.prefix(auth.macLength))
    }

    static func random(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        _ = ecc_random(&out, n)
        return out
    }

    /// Decrypts (or encrypts) a scoped PDU. `salt` is msgPrivacyParameters (8 bytes).
    static func crypt(
        _ encrypt: Bool, _ input: [UInt8], key: [UInt8], salt: [UInt8], boots: UInt32, time: UInt32,
        _ priv: PrivProtocol
    ) -> [UInt8]? {
        guard salt.count == 8, key.count >= priv.keyLength else { return nil }
        var out = [UInt8](repeating: 0, count: input.count)
        switch priv {
        case .des:
            guard input.count % 8 == 0 else { return nil }
            // RFC 3414 §8.1.1.1: IV = pre-IV (the key's last 8 bytes) XOR salt.
            let iv = (0..<8).map { key[8 + $0] ^ salt[$0] }
            guard ecc_des_cbc(encrypt ? 1 : 0, Array(key.prefix(8)), iv, input, input.count, &out) == 0 else {
                return nil
            }
        case .aes128, .aes192, .aes256:
            // RFC 3826 §3.1.2.1: IV = engineBoots || engineTime || salt.
            var iv = [UInt8](repeating: 0, count: 16)
            for i in 0..<4 {
                iv[i] = UInt8(truncatingIfNeeded: boots >> (24 - 8 * i))
                iv[4 + i] = UInt8(truncatingIfNeeded: time >> (24 - 8 * i))
            }
            for i in 0..<8 { iv[8 + i] = salt[i] }
            guard
                ecc_aes_cfb(
                    encrypt ? 1 : 0, Array(key.prefix(priv.keyLength)), priv.keyLength, iv, input, input.count, &out)
                    == 0
            else { return nil }
        }
        return out
    }
}
