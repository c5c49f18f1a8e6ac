import EccRules
import EccSNMP

extension DaemonConfig {
    /// The `snmp:` section: listener, communities, SNMPv3 users and engine, MIB directories.
    static func snmpSettings(_ sn: YAMLValue, into c: inout DaemonConfig) throws(ConfigError) {
        let m = try sn.mapping(
            "snmp",
            known: [
                "enabled", "listen", "receive_buffer", "communities", "users", "engine_id", "engine_file", "mibs",
            ])
        if let e = m["enabled"] { c.snmpEnabled = try e.bool("snmp.enabled") }
        if let l = m["listen"] { (c.snmpHost, c.snmpPort) = try listen(l, "snmp.listen") }
        if let b = m["receive_buffer"] {
            c.snmpReceiveBuffer = try positive(b, "snmp.receive_buffer", max: Maximum.snmpReceiveBuffer)
        }
        if let list = m["communities"] {
            c.snmpCommunities = try list.list("snmp.communities").map { v throws(ConfigError) in
                try v.string("a community")
            }
        }
        if let e = m["engine_id"] { c.snmpEngineID = try engineID(e, "snmp.engine_id") }
        if let f = m["engine_file"] { c.snmpEngineFile = try f.string("snmp.engine_file") }
        if let dirs = m["mibs"] {
            c.snmpMIBDirectories = try dirs.list("snmp.mibs").map { v throws(ConfigError) in
                try v.string("a MIB directory")
            }
        }
        if let users = m["users"] {
            var seen = Set<String>()
            for u in try users.list("snmp.users") {
                let user = try usmUser(u)
                let id = String(decoding: user.name, as: UTF8.self) + "@" + (user.engineID.map(Hex.text) ?? "")
                guard seen.insert(id).inserted else { throw u.error("snmp.users: \(id) is listed twice") }
                c.snmpUsers.append(user)
            }
        }
    }

    private static func usmUser(_ v: YAMLValue) throws(ConfigError) -> USMUser {
        let m = try v.mapping(
            "an SNMPv3 user",
            known: [
                "name", "auth", "auth_passphrase", "auth_key", "priv", "priv_passphrase", "priv_key", "engine_id",
                "min_level",
            ])
        guard let nameValue = m["name"] else { throw v.error("an SNMPv3 user needs a name") }
        let name = try nameValue.string("the user's name")
        guard !name.isEmpty, name.utf8.count <= 32 else { throw nameValue.error("a user name has 1 to 32 bytes") }
        let engine = try m["engine_id"].map { e throws(ConfigError) in try engineID(e, "engine_id") }
        func secret(_ pass: String, _ key: String, _ what: String) throws(ConfigError) -> USMUser.Secret? {
            switch (m[pass], m[key]) {
            case (nil, nil): return nil
            case (.some(let p), nil):
                let text = try p.string(pass)
                // RFC 3414 §11.2: passphrases of at least 8 characters (net-snmp refuses shorter ones too).
                guard text.utf8.count >= 8 else { throw p.error("\(pass) must have at least 8 characters") }
                return .passphrase(Array(text.utf8))
            case (nil, .some(let k)):
                guard engine != nil else {
                    throw k.error("\(key) is localized to one engine: give that engine's engine_id too")
                }
                return .localizedKey(try hexBytes(k, key))
            case (.some, .some(let k)): throw k.error("give \(pass) or \(key) for the \(what) secret, not both")
            }
        }
        var auth: (AuthProtocol, USMUser.Secret)?
        if let a = m["auth"] {
            let text = try a.string("auth")
            guard let p = AuthProtocol(name: text) else {
                throw a.error(
                    "auth must be one of \(AuthProtocol.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'"
                )
            }
            guard let s = try secret("auth_passphrase", "auth_key", "authentication") else {
                throw a.error("auth \(text) needs auth_passphrase (or auth_key with engine_id)")
            }
            if case .localizedKey(let k) = s, k.count != p.keyLength {
                throw a.error("an \(text) auth_key has \(p.keyLength) bytes, not \(k.count)")
            }
            auth = (p, s)
        } else if let stray = m["auth_passphrase"] ?? m["auth_key"] {
            throw stray.error("an authentication secret without auth (MD5, SHA, SHA-224 … SHA-512)")
        }
        var priv: (PrivProtocol, USMUser.Secret)?
        if let x = m["priv"] {
            let text = try x.string("priv")
            guard let p = PrivProtocol(name: text) else {
                throw x.error(
                    "priv must be one of \(PrivProtocol.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'"
                )
            }
            guard auth != nil else { throw x.error("privacy needs authentication: give auth too") }
            guard let s = try secret("priv_passphrase", "priv_key", "privacy") else {
                throw x.error("priv \(text) needs priv_passphrase (or priv_key with engine_id)")
            }
            priv = (p, s)
        } else if let stray = m["priv_passphrase"] ?? m["priv_key"] {
            throw stray.error("a privacy secret without priv (DES, AES, AES-192, AES-256)")
        }
        var minimum: SecurityLevel?
        if let l = m["min_level"] {
            let text = try l.string("min_level")
            guard let level = SecurityLevel(name: text) else {
                throw l.error("min_level must be noAuthNoPriv, authNoPriv or authPriv, not '\(text)'")
            }
            minimum = level
        }
        let user = USMUser(name: name, auth: auth, priv: priv, engineID: engine, minimumLevel: minimum)
        if let minimum, minimum > user.level, let l = m["min_level"] {
            throw l.error("min_level \(minimum) is above what this user's secrets allow (\(user.level))")
        }
        return user
    }

    /// An engine ID: `0x…` hex, 5 to 32 bytes (RFC 3411 SnmpEngineID).
    static func engineID(_ v: YAMLValue, _ what: String) throws(ConfigError) -> [UInt8] {
        let bytes = try hexBytes(v, what)
        guard (5...32).contains(bytes.count) else { throw v.error("\(what) has 5 to 32 bytes, not \(bytes.count)") }
        return bytes
    }

    static func hexBytes(_ v: YAMLValue, _ what: String) throws(ConfigError) -> [UInt8] {
        guard let bytes = Hex.bytes(try v.string(what)) else { throw v.error("\(what) must be hex, e.g. 0x80001f88…") }
        return bytes
    }

}
