/// eccd's SNMP engine identity: its engine ID and how often it has booted (RFC 3414 §2.2). Boots is
/// kept across restarts by the collector (it must grow with every start for informs' timeliness).
package struct LocalEngine: Sendable, Equatable {
    package var engineID: [UInt8]
    package var boots: UInt32

    package init(engineID: [UInt8], boots: UInt32) {
        self.engineID = engineID
        self.boots = boots
    }
}

/// The User-based Security Model for received notifications (RFC 3414 §3.2): finds the user, checks the
/// MAC and the time window, decrypts, and answers what needs answering — informs with a Response, and
/// engine discovery and failures with a Report, as an SNMP engine does. Keeps per-engine key and time
/// caches, so one owner (the receiving thread) uses it: it is not shared.
///
/// Unauthenticated traffic costs little and changes nothing: users' master keys are derived once when
/// they are made, a message's keys are localized from them with a few hashes, and only a message whose
/// MAC checks out puts its engine's keys in the cache (so made-up engine IDs can neither fill it nor
/// push a real sender's keys out).
package final class USMProcessor {
    package enum Outcome {
        /// A trap or inform; `reply` is the Response an inform gets.
        case notification(SNMPNotification, reply: [UInt8]?)
        /// An engine-ID discovery probe, answered with a Report (not an error).
        case discovery(reply: [UInt8])
        /// Dropped; `reply` is the Report sent back when the message asked for one.
        case rejected(SNMPError, reply: [UInt8]?)
    }

    package let engine: LocalEngine
    private let users: [[UInt8]: [USMUser]]
    private var keys: [KeyID: USMUser.Keys] = [:]
    private let maxVarbinds: Int
    /// What eccd last saw of each remote engine that sent an authenticated trap (RFC 3414 §3.2 step 7b).
    private var remoteTime: [[UInt8]: (boots: Int64, time: Int64, at: UInt32)] = [:]
    private var stats = [USMFailure: UInt32]()
    private var saltCounter: UInt64

    /// How far an authenticated message's time may lag (RFC 3414: 150 seconds).
    package static let timeWindow: Int64 = 150
    /// Bounds on the caches. Only authenticated messages add to them; past the bound, further engines'
    /// keys are localized for each message instead (a few hashes).
    static let maxCachedEngines = 4096

    struct KeyID: Hashable {
        var user: Int
        var name: [UInt8]
        var engineID: [UInt8]
    }

    package init(engine: LocalEngine, users: [USMUser], maxVarbinds: Int = SNMPLimits().maxVarbinds) {
        self.engine = engine
        self.maxVarbinds = maxVarbinds
        self.users = Dictionary(grouping: users, by: \.name)
        saltCounter = UInt64.random(in: 0...UInt64.max)
    }

    /// Processes one SNMPv3 message. `now` is eccd's engine time: seconds since this boot.
    package func process(_ bytes: UnsafeRawBufferPointer, now: UInt32) -> Outcome {
        let m: V3Message
        do throws(SNMPError) { m = try V3Message.parse(bytes) } catch { return .rejected(error, reply: nil) }
        guard m.securityModel == 3 else { return .rejected(.usm(.unknownSecurityModel), reply: nil) }
        guard let level = m.level else { return .rejected(.malformed("privacy without authentication"), reply: nil) }
        let reportable = m.flags & V3Message.flagReportable != 0
        let plainPDU = m.dataTag == 0x30 ? Self.requestID(bytes, m) : nil

        // Engine-ID discovery (RFC 3414 §4): an empty engine ID asks for ours.
        if m.engineID.isEmpty {
            let n = count(.unknownEngineID)
            guard reportable else { return .rejected(.usm(.unknownEngineID), reply: nil) }
            return .discovery(
                reply: report(m, .unknownEngineID, n, requestID: plainPDU ?? 0, keys: nil, auth: nil, now: now))
        }
        let authoritative = m.engineID == engine.engineID
        func fail(_ f: USMFailure, keys: USMUser.Keys? = nil, auth: AuthProtocol? = nil) -> Outcome {
            let n = count(f)
            let reply = reportable ? report(m, f, n, requestID: plainPDU ?? 0, keys: keys, auth: auth, now: now) : nil
            return .rejected(.usm(f), reply: reply)
        }
        guard let candidates = users[m.userName],
            let (index, user) = candidates.enumerated().first(where: {
                $0.element.engineID == nil || $0.element.engineID == m.engineID
            })
        else { return fail(.unknownUser) }
        guard level <= user.level, level >= user.minimumLevel else { return fail(.unsupportedSecurityLevel) }
        let keyID = KeyID(user: index, name: user.name, engineID: m.engineID)
        let cached = keys[keyID]
        guard let userKeys = cached ?? user.keys(for: m.engineID) else { return fail(.unknownUser) }

        var scoped: [UInt8]
        if level >= .authNoPriv, let auth = user.auth, let authKey = userKeys.auth {
            guard m.authParams.count == auth.protocol.macLength,
                Self.constantTimeEqual(Self.mac(bytes, m, authKey, auth.protocol), m.authParams)
            else { return fail(.wrongDigest) }
            // Authenticated: from here on, this engine's keys are worth keeping.
            if cached == nil, keys.count < Self.maxCachedEngines { keys[keyID] = userKeys }
            if authoritative {
                guard m.boots == Int64(engine.boots), abs(m.time - Int64(now)) <= Self.timeWindow,
                    engine.boots < UInt32(Int32.max)
                else { return fail(.notInTimeWindow, keys: userKeys, auth: auth.protocol) }
            } else if !timely(m, now: now) {
                return fail(.notInTimeWindow, keys: userKeys, auth: auth.protocol)
            }
            if level == .authPriv, let priv = user.priv, let privKey = userKeys.priv {
                guard m.dataTag == 0x04,
                    let plain = USMCrypto.crypt(
                        false, Array(UnsafeRawBufferPointer(rebasing: bytes[m.dataRange])), key: privKey,
                        salt: m.privParams, boots: UInt32(m.boots), time: UInt32(m.time), priv.protocol)
                else { return fail(.decryptionError) }
                scoped = plain
            } else {
                guard m.dataTag == 0x30 else {
                    return .rejected(.malformed("encrypted data without privacy"), reply: nil)
                }
                scoped = Array(UnsafeRawBufferPointer(rebasing: bytes[m.dataTLV]))
            }
        } else {
            guard m.dataTag == 0x30 else { return .rejected(.malformed("encrypted data without privacy"), reply: nil) }
            scoped = Array(UnsafeRawBufferPointer(rebasing: bytes[m.dataTLV]))
        }

        let decoded: Result<(SNMPNotification, [UInt8], [UInt8]), SNMPError> = scoped.withUnsafeBytes { raw in
            do throws(SNMPError) {
                let (contextEngineID, contextName, tag, pdu) = try V3Message.scopedPDU(raw)
                guard tag == 0xA7 || tag == 0xA6 else { throw .unsupportedPDU(tag) }
                var n = try SNMPDecoder.v2(
                    pdu, version: 3, community: [], inform: tag == 0xA6, maxVarbinds: maxVarbinds)
                n.security = SNMPNotification.Security(
                    user: m.userName, level: level, engineID: m.engineID, contextName: contextName)
                return .success((n, contextEngineID, contextName))
            } catch { return .failure(error) }
        }
        switch decoded {
        case .failure(let error):
            // A GetRequest or the like under a known user: not for a trap receiver.
            return .rejected(error, reply: nil)
        case .success(let (n, contextEngineID, contextName)):
            guard n.isInform else { return .notification(n, reply: nil) }
            // An inform is sent to eccd as the authoritative engine (RFC 3412 §7.2 step 13 in spirit).
            guard authoritative else { return fail(.unknownEngineID) }
            let response = V3Message.encodeScopedPDU(
                contextEngineID: contextEngineID, contextName: contextName, tag: 0xA2, requestID: n.requestID,
                varbinds: n.varbinds)
            return .notification(
                n,
                reply: seal(
                    m, scoped: response, level: level, user: user, keys: userKeys, reportable: false, now: now))
        }
    }

    /// Counters by failure, as the usmStats… objects count (reported back in Reports).
    package func count(of f: USMFailure) -> UInt32 { stats[f, default: 0] }

    private func count(_ f: USMFailure) -> UInt32 {
        stats[f, default: 0] &+= 1
        return stats[f, default: 0]
    }

    /// Engines whose localized keys are cached (each got there by an authenticated message).
    package var cachedEngines: [(user: String, engineID: [UInt8])] {
        keys.keys.map { (String(decoding: $0.name, as: UTF8.self), $0.engineID) }
    }

    /// RFC 3414 §3.2 step 7b: a non-authoritative receiver keeps the sender's latest boots and time and
    /// refuses what is older than the window (replays); an authenticated message moves the notion forward.
    private func timely(_ m: V3Message, now: UInt32) -> Bool {
        if let seen = remoteTime[m.engineID] {
            let expected = seen.time + Int64(now &- seen.at)
            if m.boots < seen.boots || (m.boots == seen.boots && m.time < expected - Self.timeWindow)
                || seen.boots >= Int64(Int32.max)
            {
                return false
            }
            if m.boots > seen.boots || m.time > expected { remoteTime[m.engineID] = (m.boots, m.time, now) }
            return true
        }
        if remoteTime.count >= Self.maxCachedEngines { remoteTime.removeAll(keepingCapacity: true) }
        remoteTime[m.engineID] = (m.boots, m.time, now)
        return true
    }

    static func requestID(_ bytes: UnsafeRawBufferPointer, _ m: V3Message) -> Int64? {
        let scoped = UnsafeRawBufferPointer(rebasing: bytes[m.dataTLV])
        guard let (_, _, _, pdu) = try? V3Message.scopedPDU(scoped) else { return nil }
        var p = pdu
        return try? p.integer()
    }

    static func mac(_ bytes: UnsafeRawBufferPointer, _ m: V3Message, _ key: [UInt8], _ auth: AuthProtocol) -> [UInt8] {
        var copy = Array(bytes)
        for i in m.authRange { copy[i] = 0 }
        return copy.withUnsafeBytes { USMCrypto.mac(key: key, $0, auth) }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in 0..<a.count { d |= a[i] ^ b[i] }
        return d == 0
    }

    /// RFC 3414 §3.2: a Report carrying the incremented usmStats counter. Reports after authentication
    /// are authenticated (authNoPriv, so the sender can trust the time it learns); others are not.
    private func report(
        _ m: V3Message, _ f: USMFailure, _ value: UInt32, requestID: Int64, keys: USMUser.Keys?,
        auth: AuthProtocol?, now: UInt32
    ) -> [UInt8] {
        let oid = OID.usmStats.appending([Self.statsArc(f), 0])
        let scoped = V3Message.encodeScopedPDU(
            contextEngineID: engine.engineID, contextName: [], tag: 0xA8, requestID: requestID,
            varbinds: [VarBind(oid, .counter32(value))])
        let authenticated = keys?.auth != nil && auth != nil
        let flags: UInt8 = authenticated ? V3Message.flagAuth : 0
        var out = V3Message.encode(
            msgID: m.msgID, flags: flags, engineID: engine.engineID, boots: engine.boots, time: now,
            userName: m.userName, macLength: authenticated ? (auth?.macLength ?? 0) : 0, privParams: [],
            data: scoped, dataIsEncrypted: false)
        if authenticated, let key = keys?.auth, let auth { Self.sign(&out, key, auth) }
        return out
    }

    private static func statsArc(_ f: USMFailure) -> UInt32 {
        switch f {
        case .unsupportedSecurityLevel: 1
        case .notInTimeWindow: 2
        case .unknownUser: 3
        case .unknownEngineID: 4
        case .wrongDigest: 5
        case .decryptionError: 6
        case .unknownSecurityModel: 4
        }
    }

    /// A message from eccd as the authoritative engine, at `level` for `user`: encrypted and signed.
    private func seal(
        _ m: V3Message, scoped: [UInt8], level: SecurityLevel, user: USMUser, keys: USMUser.Keys, reportable: Bool,
        now: UInt32
    ) -> [UInt8]? {
        saltCounter &+= 1
        return Self.seal(
            scoped: scoped, level: level, user: user, keys: keys, userName: m.userName, msgID: m.msgID,
            engineID: engine.engineID, boots: engine.boots, time: now, reportable: reportable, salt: saltCounter)
    }

    /// A v3 message as a sender makes it: `scoped` (a ScopedPDU) for `user` at `level`, authoritative
    /// engine `engineID` at `boots`/`time`, encrypted with `salt` and signed as the user's keys for that
    /// engine give. For tests and the fuzz target, which reach the scoped PDU through real authentication.
    package static func seal(
        scoped: [UInt8], level: SecurityLevel, user: USMUser, engineID: [UInt8], boots: UInt32, time: UInt32,
        msgID: Int64 = 1, reportable: Bool = false, salt: UInt64 = 1
    ) -> [UInt8]? {
        guard let keys = user.keys(for: engineID) else { return nil }
        return seal(
            scoped: scoped, level: level, user: user, keys: keys, userName: user.name, msgID: msgID,
            engineID: engineID, boots: boots, time: time, reportable: reportable, salt: salt)
    }

    private static func seal(
        scoped: [UInt8], level: SecurityLevel, user: USMUser, keys: USMUser.Keys, userName: [UInt8], msgID: Int64,
        engineID: [UInt8], boots: UInt32, time: UInt32, reportable: Bool, salt: UInt64
    ) -> [UInt8]? {
        var data = scoped
        var privParams: [UInt8] = []
        if level == .authPriv, let priv = user.priv, let key = keys.priv {
            switch priv.protocol {
            case .des:
                // RFC 3414 §8.1.1.1: salt = engineBoots || a local counter; pad to the block size.
                privParams = bigEndian(UInt64(boots) << 32 | (salt & 0xFFFF_FFFF))
                if data.count % 8 != 0 { data += [UInt8](repeating: 0, count: 8 - data.count % 8) }
            case .aes128, .aes192, .aes256:
                privParams = bigEndian(salt)
            }
            guard
                let sealed = USMCrypto.crypt(
                    true, data, key: key, salt: privParams, boots: boots, time: time, priv.protocol)
            else { return nil }
            data = sealed
        }
        let auth = level >= .authNoPriv ? user.auth?.protocol : nil
        var out = V3Message.encode(
            msgID: msgID, flags: UInt8(level.rawValue) | (reportable ? V3Message.flagReportable : 0),
            engineID: engineID, boots: boots, time: time, userName: userName,
            macLength: auth?.macLength ?? 0, privParams: privParams, data: data,
            dataIsEncrypted: level == .authPriv)
        if let auth, let key = keys.auth { sign(&out, key, auth) }
        return out
    }

    /// Writes the MAC of a message encoded with zeroed msgAuthenticationParameters into them.
    static func sign(_ out: inout [UInt8], _ key: [UInt8], _ auth: AuthProtocol) {
        let parsed: V3Message? = out.withUnsafeBytes { try? V3Message.parse($0) }
        guard let m = parsed else { return }
        let mac = out.withUnsafeBytes { USMCrypto.mac(key: key, $0, auth) }
        for (i, b) in zip(m.authRange, mac) { out[i] = b }
    }

    static func bigEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
}

extension OID {
    /// usmStats (RFC 3414): the counters Reports carry.
    package static let usmStats = OID([1, 3, 6, 1, 6, 3, 15, 1, 1])
}
