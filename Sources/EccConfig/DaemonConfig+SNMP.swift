import EccHTTP
import EccIncidents
import EccRules
import EccSNMP
import EccYAML
import Foundation

/// Who may send SNMP notifications to eccd, and the limits on what they send.
package struct SNMPPolicy: Sendable, Equatable {
    /// `communities: any`: every v1/v2c community, on any address (a decision, not a default).
    package var anyCommunity = false
    /// `v3_only: true`: v1 and v2c are refused and counted (`reason="v3_only"`).
    package var v3Only = false
    /// `max_varbinds`, `reports_per_second`, `responses_per_second`.
    package var limits = SNMPLimits()

    package init() {}
}

extension DaemonConfig {
    /// The `snmp:` section: listener, communities, SNMPv3 users and engine, MIB directories.
    static func snmpSettings(_ sn: YAMLValue, into c: inout DaemonConfig) throws(ConfigError) {
        let m = try sn.mapping(
            "snmp",
            known: [
                "enabled", "listen", "receive_buffer", "communities", "users", "engine_id", "engine_file", "mibs",
                "v3_only", "max_varbinds", "reports_per_second", "responses_per_second",
            ])
        if let e = m["enabled"] { c.snmp.enabled = try e.bool("snmp.enabled") }
        if let l = m["listen"] { (c.snmp.host, c.snmp.port) = try listen(l, "snmp.listen") }
        if let b = m["receive_buffer"] {
            c.snmp.receiveBuffer = try positive(b, "snmp.receive_buffer", max: Maximum.snmpReceiveBuffer)
        }
        if let list = m["communities"] {
            if case .scalar = list.node, try list.string("snmp.communities") == "any" {
                c.snmp.policy.anyCommunity = true
                c.snmp.communities = nil
            } else {
                let names = try list.list("snmp.communities").map { v throws(ConfigError) in
                    try v.string("a community")
                }
                guard !names.isEmpty else {
                    throw list.error(
                        "snmp.communities is empty: list communities, or set v3_only: true to refuse v1/v2c")
                }
                c.snmp.communities = names
            }
        }
        if let v = m["v3_only"] { c.snmp.policy.v3Only = try v.bool("snmp.v3_only") }
        if let v = m["max_varbinds"] {
            c.snmp.policy.limits.maxVarbinds = try within(v, "snmp.max_varbinds", SNMPLimits.varbindRange)
        }
        if let v = m["reports_per_second"] {
            c.snmp.policy.limits.reportsPerSecond = try within(v, "snmp.reports_per_second", SNMPLimits.rateRange)
        }
        if let v = m["responses_per_second"] {
            c.snmp.policy.limits.responsesPerSecond = try within(
                v, "snmp.responses_per_second", SNMPLimits.rateRange)
        }
        if let e = m["engine_id"] { c.snmp.engineID = try engineID(e, "snmp.engine_id") }
        if let f = m["engine_file"] { c.snmp.engineFile = try f.string("snmp.engine_file") }
        if let dirs = m["mibs"] {
            c.snmp.mibDirectories = try dirs.list("snmp.mibs").map { v throws(ConfigError) in
                try v.string("a MIB directory")
            }
        }
        if let users = m["users"] {
            var seen = Set<String>()
            for u in try users.list("snmp.users") {
                let user = try usmUser(u)
                let id = String(decoding: user.name, as: UTF8.self) + "@" + (user.engineID.map(Hex.text) ?? "")
                guard seen.insert(id).inserted else { throw u.error("snmp.users: \(id) is listed twice") }
                c.snmp.users.append(user)
            }
        }
        if let problem = c.snmpCommunityProblem { throw (m["listen"] ?? sn).error(problem) }
    }

    /// Why the SNMP listener may not start as configured: off loopback, v1/v2c needs a community
    /// decision (a list, `any`, or `v3_only`). nil when it may.
    package var snmpCommunityProblem: String? {
        guard snmp.enabled, !snmp.policy.v3Only, !snmp.policy.anyCommunity, snmp.communities == nil,
            !ListenAddress.isLoopback(snmp.host)
        else { return nil }
        let address = snmp.host.contains(":") ? "[\(snmp.host)]:\(snmp.port)" : "\(snmp.host):\(snmp.port)"
        return "snmp.listen \(address) is not a loopback address, so anyone who can reach it could send v1/v2c "
            + "traps: decide which communities to accept with 'communities: [your-community]' (or "
            + "'communities: any' to accept every one), or set 'v3_only: true' to refuse v1/v2c"
    }

    private static func usmUser(_ v: YAMLValue) throws(ConfigError) -> USMUser {
        let m = try v.mapping(
            "an SNMPv3 user",
            known: [
                "name", "auth", "auth_passphrase", "auth_key", "priv", "priv_passphrase", "priv_key", "engine_id",
                "min_level", "auth_passphrase_file", "auth_key_file", "priv_passphrase_file", "priv_key_file",
            ])
        guard let nameValue = m["name"] else { throw v.error("an SNMPv3 user needs a name") }
        let name = try nameValue.string("the user's name")
        guard !name.isEmpty, name.utf8.count <= 32 else { throw nameValue.error("a user name has 1 to 32 bytes") }
        let engine = try m["engine_id"].map { e throws(ConfigError) in try engineID(e, "engine_id") }
        // A secret inline or in a file (`…_file`: its first line); never echoed in an error.
        func given(_ key: String) throws(ConfigError) -> (value: String, node: YAMLValue)? {
            switch (m[key], m[key + "_file"]) {
            case (nil, nil): return nil
            case (.some(let v), nil): return (try v.string(key), v)
            case (nil, .some(let f)): return (try secretFile(f, key + "_file"), f)
            case (.some, .some(let f)): throw f.error("give \(key) or \(key)_file, not both")
            }
        }
        func secret(_ pass: String, _ key: String, _ what: String) throws(ConfigError) -> USMUser.Secret? {
            switch (try given(pass), try given(key)) {
            case (nil, nil): return nil
            case (.some(let p), nil):
                // RFC 3414 §11.2: passphrases of at least 8 characters (net-snmp refuses shorter ones too).
                guard p.value.utf8.count >= 8 else { throw p.node.error("\(pass) must have at least 8 characters") }
                return .passphrase(Array(p.value.utf8))
            case (nil, .some(let k)):
                guard engine != nil else {
                    throw k.node.error("\(key) is localized to one engine: give that engine's engine_id too")
                }
                guard let bytes = Hex.bytes(k.value) else { throw k.node.error("\(key) must be hex, e.g. 0x6695fe…") }
                return .localizedKey(bytes)
            case (.some, .some(let k)): throw k.node.error("give \(pass) or \(key) for the \(what) secret, not both")
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
        } else if let stray = m["auth_passphrase"] ?? m["auth_key"] ?? m["auth_passphrase_file"] ?? m["auth_key_file"] {
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
        } else if let stray = m["priv_passphrase"] ?? m["priv_key"] ?? m["priv_passphrase_file"] ?? m["priv_key_file"] {
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

    /// The first line of a secret's file. A file others may read is refused (as ssh refuses such keys):
    /// the secret would not be one.
    static func secretFile(_ v: YAMLValue, _ what: String) throws(ConfigError) -> String {
        let path = try v.string(what)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let data = FileManager.default.contents(atPath: path)
        else { throw v.error("\(what): cannot read '\(path)'") }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o004 != 0 {
            throw v.error("\(what): '\(path)' is readable by every user; chmod o-r it (e.g. 0640 root:ecc)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw v.error("\(what): '\(path)' is not UTF-8") }
        let line = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? ""
        guard !line.isEmpty else { throw v.error("\(what): the first line of '\(path)' is empty") }
        return String(line)
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
