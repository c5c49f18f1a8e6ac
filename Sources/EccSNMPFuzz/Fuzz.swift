import EccCore
import EccFuzzDriver
import EccSNMP

/// The target's SNMPv3 users (those of the seed corpus, captured from snmptrap/snmpinform with these
/// passphrases).
let fuzzUsers = [
    USMUser(name: "sha", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8)))),
    USMUser(
        name: "shaaes", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8))),
        priv: (.aes128, .passphrase(Array("priv-passphrase-2".utf8)))),
    USMUser(
        name: "md5des", auth: (.md5, .passphrase(Array("auth-passphrase-1".utf8))),
        priv: (.des, .passphrase(Array("priv-passphrase-2".utf8)))),
]
let fuzzEngine = LocalEngine(engineID: [0x80, 0, 0x1F, 0x88, 5, 1, 2, 3, 4], boots: 1)
/// A sender's engine: traps are authenticated under the sender's engine ID, informs under eccd's. Only the
/// sealed inputs use it (the captured seeds' engine has its own boots and time, which would make these
/// look like replays).
let senderEngine: [UInt8] = [0x80, 0, 0x1F, 0x88, 4, 0x66, 0x75, 0x7A, 0x7A]
/// The sender's engine of ``fuzzSealedFields(_:)``, whose boots and time are the fuzzer's (kept apart from
/// ``senderEngine``, whose sealed traps must stay timely).
let fieldsEngine: [UInt8] = [0x80, 0, 0x1F, 0x88, 4, 0x66, 0x69, 0x65, 0x6C, 0x64]

/// One USM processor for every input (it keeps caches, as in eccd); only the fuzzing thread uses it.
nonisolated(unsafe) let usm = USMProcessor(engine: fuzzEngine, users: fuzzUsers)
nonisolated(unsafe) var salt: UInt64 = 0
/// Sealed inputs that came out of the USM as notifications, and v1/v2c inputs that decoded (the replay
/// reports both).
nonisolated(unsafe) var sealedNotifications = 0
nonisolated(unsafe) var decodedPlain = 0

/// libFuzzer entry point for the SNMP decoder (`make fuzz`): every input must be decoded or rejected
/// with a reason, never crash, never hang, never over-allocate; what decodes must also become an event.
///
/// Three kinds of input: an SNMPv3 message (through the USM as it arrives); a v1/v2c message (the
/// receiver's quick trap path against the general decoder); and anything that is not a message, taken as
/// a ScopedPDU and wrapped in correctly authenticated v3 messages — authNoPriv (SHA), authPriv
/// (SHA + AES-128) and authPriv (MD5 + DES), as traps from a sender's engine and as informs to eccd's —
/// so that fuzzing reaches the scoped PDU's decoder behind authentication and decryption.
@_cdecl("LLVMFuzzerTestOneInput")
package func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let version = SNMPDecoder.version(of: bytes)
    if version == 3 {
        if case .notification(let n, _) = usm.process(bytes, now: 0) { _ = n.event(from: "192.0.2.1", at: .zero) }
        return 0
    }
    if version == nil {
        if size > 12 && bytes[0] == 0xFF { fuzzSealedFields(bytes) } else { fuzzScopedPDU(Array(bytes)) }
    }
    // The receiver's v2c trap path must give the general path's event, or decline.
    let quick = SNMPDecoder.trapEvent(bytes, from: "192.0.2.1", at: .zero, names: fuzzNames)
    if let n = try? SNMPDecoder.decode(bytes) {
        decodedPlain += 1
        let e = n.event(from: "192.0.2.1", at: .zero, names: fuzzNames)
        precondition(quick == nil || quick == e, "the v2c trap path and the general path disagree")
        if n.isInform { _ = SNMPDecoder.informResponse(to: n) }
    } else {
        precondition(quick == nil, "the v2c trap path took a packet the general path rejects")
    }
    return 0
}

/// `scoped` as the ScopedPDU of authenticated (and encrypted) v3 messages for each user, through the
/// USM: authentication, time window and decryption must pass (the target made them right), so whatever
/// is refused is refused by the scoped PDU's decoder.
func fuzzScopedPDU(_ scoped: [UInt8]) {
    let levels: [SecurityLevel] = [.authNoPriv, .authPriv, .authPriv]
    for (user, level) in zip(fuzzUsers, levels) {
        for engineID in [senderEngine, fuzzEngine.engineID] {
            salt &+= 1
            guard
                let message = USMProcessor.seal(
                    scoped: scoped, level: level, user: user, engineID: engineID, boots: fuzzEngine.boots, time: 0,
                    msgID: Int64(salt & 0x7FFF_FFFF), reportable: true, salt: salt)
            else { continue }  // nothing to seal (e.g. no bytes to encrypt): not the receiver's path
            switch message.withUnsafeBytes({ usm.process($0, now: 0) }) {
            case .notification(let n, _):
                sealedNotifications += 1
                _ = n.event(from: "192.0.2.1", at: .zero, names: fuzzNames)
            case .rejected(.usm(let failure), _):
                // Only an inform under a sender's engine ID (not eccd's) is refused by the USM here.
                precondition(
                    failure == .unknownEngineID && engineID == senderEngine,
                    "a correctly sealed message was refused by the USM: \(failure)")
            case .rejected, .discovery:
                break
            }
        }
    }
}

/// An input `FF`, then the USM fields a sender chooses — user (1 byte), level and reportable (1), authoritative
/// engine (1: a sender's or eccd's), boots (4), time (4), salt (1, repeated) — then a ScopedPDU: sealed with
/// those fields and a correct MAC, so the time window, level and decryption checks after authentication are
/// fuzzed too. Any outcome is fine but a crash.
func fuzzSealedFields(_ bytes: UnsafeRawBufferPointer) {
    func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) } }
    let user = fuzzUsers[Int(bytes[1]) % fuzzUsers.count]
    let levels: [SecurityLevel] = [.noAuthNoPriv, .authNoPriv, .authPriv, .authPriv]
    let level = levels[Int(bytes[2] & 3)]
    let engineID = bytes[3] & 1 == 0 ? fieldsEngine : fuzzEngine.engineID
    let salt = UInt64(bytes[12]) * 0x0101_0101_0101_0101
    guard
        let message = USMProcessor.seal(
            scoped: Array(bytes[13...]), level: level, user: user, engineID: engineID, boots: word(4),
            time: word(8), msgID: 7, reportable: bytes[2] & 4 != 0, salt: salt)
    else { return }
    if case .notification(let n, _) = message.withUnsafeBytes({ usm.process($0, now: 0) }) {
        sealedNotifications += 1
        _ = n.event(from: "192.0.2.1", at: .zero, names: fuzzNames)
    }
}

/// The receiver's name cache, kept across inputs as in the daemon (libFuzzer runs inputs on one thread).
nonisolated(unsafe) let fuzzNames = OIDNameCache(mibs: nil)

/// The replay's count of what the inputs were (an ordinary build only).
func replaySummary() -> String {
    "\(decodedPlain) decoded as v1/v2c, \(sealedNotifications) notifications from inputs sealed as authenticated v3"
}

#if FUZZING
    /// SwiftPM links an executable target's entry point under this name (its `main` is made an alias of
    /// it); libFuzzer's runtime brings its own `main`.
    @_cdecl("EccSNMPFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzDriver.main(argc, argv, entry: { data, size in fuzz(data, size) })
    }
#else
    import Foundation

    /// Without libFuzzer (an ordinary build), the target replays inputs: every file named on the command line
    /// (or in a directory named there) goes through the same entry point — e.g. the seed corpus or a crash.
    @main
    enum Replay {
        static func main() {
            exit(
                FuzzDriver.main(CommandLine.argc, CommandLine.unsafeArgv, entry: { data, size in fuzz(data, size) }) {
                    replaySummary()
                })
        }
    }
#endif
