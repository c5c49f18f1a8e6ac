/// Security levels of SNMPv3 (RFC 3411): what a message is protected with.
package enum SecurityLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case noAuthNoPriv = 0
    case authNoPriv = 1
    case authPriv = 3

    package init?(name: String) {
        switch name.lowercased() {
        case "noauthnopriv", "noauth": self = .noAuthNoPriv
        case "authnopriv", "auth": self = .authNoPriv
        case "authpriv", "priv": self = .authPriv
        default: return nil
        }
    }

    package static func < (a: SecurityLevel, b: SecurityLevel) -> Bool { a.rawValue < b.rawValue }

    package var description: String {
        switch self {
        case .noAuthNoPriv: "noAuthNoPriv"
        case .authNoPriv: "authNoPriv"
        case .authPriv: "authPriv"
        }
    }
}

/// A USM user eccd accepts notifications from: passphrases (turned into the user's master key Ku once,
/// when the user is made, then localized to each sender's engine ID with one hash, RFC 3414 A.2) or
/// keys already localized to one engine ID. No secret is ever printed: descriptions and mirrors of
/// users and keys show the protocols only.
package struct USMUser: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// A secret as configured.
    package enum Secret: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
        /// Localized to whichever engine ID a message carries.
        case passphrase([UInt8])
        /// Already localized (`0x…` in the configuration) for `engineID`.
        case localizedKey([UInt8])

        package var description: String { "<secret>" }
        package var customMirror: Mirror { Mirror(self, children: []) }
    }

    /// A secret as eccd keeps it: a passphrase only as its master key Ku (the ~1 MiB password hash of
    /// RFC 3414 A.2.1, done once), a localized key as it is.
    package struct Key: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
        enum Form: Hashable {
            case master([UInt8])
            case localized([UInt8])
            /// A passphrase that gives no key (empty): messages under this user are refused.
            case unusable
        }

        let form: Form

        init(_ secret: Secret, hashedWith auth: AuthProtocol) {
            switch secret {
            case .passphrase(let p): form = USMCrypto.passwordToKey(p, auth).map(Form.master) ?? .unusable
            case .localizedKey(let k): form = .localized(k)
            }
        }

        /// The key for `engineID`: Ku localized (one hash), or the localized key as given.
        func localized(to engineID: [UInt8], _ auth: AuthProtocol) -> [UInt8]? {
            switch form {
            case .master(let ku): USMCrypto.localize(ku, engineID: engineID, auth)
            case .localized(let k): k
            case .unusable: nil
            }
        }

        package var description: String { "<secret>" }
        package var customMirror: Mirror { Mirror(self, children: []) }
    }

    package let name: [UInt8]
    package let auth: (protocol: AuthProtocol, key: Key)?
    package let priv: (protocol: PrivProtocol, key: Key)?
    /// For localized keys: the engine they belong to (messages from other engines are unknown users).
    package let engineID: [UInt8]?
    /// The lowest level accepted from this user; by default the highest its secrets allow.
    package let minimumLevel: SecurityLevel

    /// Makes a user; passphrases are hashed into master keys here (about 1 MiB of hashing each).
    package init(
        name: String, auth: (AuthProtocol, Secret)? = nil, priv: (PrivProtocol, Secret)? = nil,
        engineID: [UInt8]? = nil, minimumLevel: SecurityLevel? = nil
    ) {
        self.name = Array(name.utf8)
        self.auth = auth.map { (protocol: $0.0, key: Key($0.1, hashedWith: $0.0)) }
        // The privacy passphrase is hashed and localized with the authentication protocol's hash.
        if let auth, let priv {
            self.priv = (protocol: priv.0, key: Key(priv.1, hashedWith: auth.0))
        } else {
            self.priv = nil
        }
        self.engineID = engineID
        self.minimumLevel =
            minimumLevel ?? (self.priv != nil ? .authPriv : auth != nil ? .authNoPriv : .noAuthNoPriv)
    }

    /// The highest level this user's secrets allow.
    package var level: SecurityLevel { priv != nil ? .authPriv : auth != nil ? .authNoPriv : .noAuthNoPriv }

    package static func == (a: USMUser, b: USMUser) -> Bool {
        a.name == b.name && a.auth?.protocol == b.auth?.protocol && a.auth?.key == b.auth?.key
            && a.priv?.protocol == b.priv?.protocol && a.priv?.key == b.priv?.key && a.engineID == b.engineID
            && a.minimumLevel == b.minimumLevel
    }

    package func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(engineID)
    }

    /// `USMUser(netops, SHA-256/AES, authPriv)`: the name, protocols and level, never a secret.
    package var description: String {
        let protocols = [auth.map(\.protocol.rawValue), priv.map(\.protocol.rawValue)].compactMap { $0 }
        let engine = engineID.map { ", engine \(Hex.text($0))" } ?? ""
        return "USMUser(\(String(decoding: name, as: UTF8.self)), "
            + "\(protocols.isEmpty ? "no auth" : protocols.joined(separator: "/")), \(minimumLevel)\(engine))"
    }

    package var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "name": String(decoding: name, as: UTF8.self), "auth": auth?.protocol.rawValue as Any,
                "priv": priv?.protocol.rawValue as Any, "minimumLevel": minimumLevel,
            ])
    }

    /// The user's keys localized for `engineID` (the authentication key, and the privacy key extended to
    /// what the cipher needs): a few hashes, no password hashing. nil when a localized key belongs to
    /// another engine.
    func keys(for engineID: [UInt8]) -> Keys? {
        if let own = self.engineID, own != engineID { return nil }
        guard let auth else { return Keys(auth: nil, priv: nil) }
        guard let authKey = auth.key.localized(to: engineID, auth.protocol) else { return nil }
        guard let priv else { return Keys(auth: authKey, priv: nil) }
        guard var privKey = priv.key.localized(to: engineID, auth.protocol) else { return nil }
        if privKey.count < priv.protocol.keyLength {
            privKey = USMCrypto.extend(privKey, to: priv.protocol.keyLength, auth.protocol)
        }
        return Keys(auth: authKey, priv: privKey)
    }

    struct Keys {
        var auth: [UInt8]?
        var priv: [UInt8]?
    }
}
