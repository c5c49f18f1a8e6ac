/// Security levels of SNMPv3 (RFC 3411): what a message is protected with.
public enum SecurityLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case noAuthNoPriv = 0
    case authNoPriv = 1
    case authPriv = 3

    public init?(name: String) {
        switch name.lowercased() {
        case "noauthnopriv", "noauth": self = .noAuthNoPriv
        case "authnopriv", "auth": self = .authNoPriv
        case "authpriv", "priv": self = .authPriv
        default: return nil
        }
    }

    public static func < (a: SecurityLevel, b: SecurityLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .noAuthNoPriv: "noAuthNoPriv"
        case .authNoPriv: "authNoPriv"
        case .authPriv: "authPriv"
        }
    }
}

/// A USM user eccd accepts notifications from: passphrases (localized to each sender's engine ID as
/// messages arrive, RFC 3414 A.2) or keys already localized to one engine ID.
public struct USMUser: Sendable, Hashable {
    public enum Secret: Sendable, Hashable {
        /// Localized to whichever engine ID a message carries.
        case passphrase([UInt8])
        /// Already localized (`0x…` in the configuration) for `engineID`.
        case localizedKey([UInt8])
    }

    public var name: [UInt8]
    public var auth: (protocol: AuthProtocol, secret: Secret)?
    public var priv: (protocol: PrivProtocol, secret: Secret)?
    /// For localized keys: the engine they belong to (messages from other engines are unknown users).
    public var engineID: [UInt8]?
    /// The lowest level accepted from this user; by default the highest its secrets allow.
    public var minimumLevel: SecurityLevel

    public init(
        name: String, auth: (AuthProtocol, Secret)? = nil, priv: (PrivProtocol, Secret)? = nil,
        engineID: [UInt8]? = nil, minimumLevel: SecurityLevel? = nil
    ) {
        self.name = Array(name.utf8)
        self.auth = auth.map { (protocol: $0.0, secret: $0.1) }
        self.priv = priv.map { (protocol: $0.0, secret: $0.1) }
        self.engineID = engineID
        self.minimumLevel = minimumLevel ?? (priv != nil ? .authPriv : auth != nil ? .authNoPriv : .noAuthNoPriv)
    }

    /// The highest level this user's secrets allow.
    public var level: SecurityLevel { priv != nil ? .authPriv : auth != nil ? .authNoPriv : .noAuthNoPriv }

    public static func == (a: USMUser, b: USMUser) -> Bool {
        a.name == b.name && a.auth?.protocol == b.auth?.protocol && a.auth?.secret == b.auth?.secret
            && a.priv?.protocol == b.priv?.protocol && a.priv?.secret == b.priv?.secret && a.engineID == b.engineID
            && a.minimumLevel == b.minimumLevel
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(engineID)
    }

    /// The user's keys localized for `engineID` (the authentication key, and the privacy key extended to
    /// what the cipher needs); nil when a localized key belongs to another engine.
    func keys(for engineID: [UInt8]) -> Keys? {
        if let own = self.engineID, own != engineID { return nil }
        guard let auth else { return Keys(auth: nil, priv: nil) }
        let authKey: [UInt8]
        switch auth.secret {
        case .passphrase(let p):
            guard let ku = USMCrypto.passwordToKey(p, auth.protocol) else { return nil }
            authKey = USMCrypto.localize(ku, engineID: engineID, auth.protocol)
        case .localizedKey(let k): authKey = k
        }
        guard let priv else { return Keys(auth: authKey, priv: nil) }
        var privKey: [UInt8]
        switch priv.secret {
        case .passphrase(let p):
            // The privacy passphrase is hashed and localized with the authentication protocol's hash.
            guard let ku = USMCrypto.passwordToKey(p, auth.protocol) else { return nil }
            privKey = USMCrypto.localize(ku, engineID: engineID, auth.protocol)
        case .localizedKey(let k): privKey = k
        }
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
