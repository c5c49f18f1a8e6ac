import EccCore
import EccSNMP

/// One USM processor for every input (it keeps caches, as in eccd); only the fuzzing thread uses it.
nonisolated(unsafe) let usm = USMProcessor(
    engine: LocalEngine(engineID: [0x80, 0, 0x1F, 0x88, 5, 1, 2, 3, 4], boots: 1),
    users: [
        USMUser(name: "sha", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8)))),
        USMUser(
            name: "shaaes", auth: (.sha1, .passphrase(Array("auth-passphrase-1".utf8))),
            priv: (.aes128, .passphrase(Array("priv-passphrase-2".utf8)))),
        USMUser(
            name: "md5des", auth: (.md5, .passphrase(Array("auth-passphrase-1".utf8))),
            priv: (.des, .passphrase(Array("priv-passphrase-2".utf8)))),
    ])

/// libFuzzer entry point for the SNMP decoder (`make fuzz`): every input must be decoded or rejected
/// with a reason, never crash, never hang, never over-allocate; what decodes must also become an event.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if SNMPDecoder.version(of: bytes) == 3 {
        // The users of the seed corpus (captured from snmptrap/snmpinform with these passphrases).
        if case .notification(let n, _) = usm.process(bytes, now: 0) { _ = n.event(from: "192.0.2.1", at: .zero) }
        return 0
    }
    // The receiver's v2c trap path must give the general path's event, or decline.
    let quick = SNMPDecoder.trapEvent(bytes, from: "192.0.2.1", at: .zero, names: fuzzNames)
    if let n = try? SNMPDecoder.decode(bytes) {
        let e = n.event(from: "192.0.2.1", at: .zero, names: fuzzNames)
        precondition(quick == nil || quick == e, "the v2c trap path and the general path disagree")
        if n.isInform { _ = SNMPDecoder.informResponse(to: n) }
    } else {
        precondition(quick == nil, "the v2c trap path took a packet the general path rejects")
    }
    return 0
}

/// The receiver's name cache, kept across inputs as in the daemon (libFuzzer runs inputs on one thread).
nonisolated(unsafe) let fuzzNames = OIDNameCache(mibs: nil)

#if FUZZING
    /// libFuzzer's driver (the fuzzer runtime provides it).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    /// SwiftPM links an executable target's entry point under this name (its `main` is made an alias of
    /// it), so with libFuzzer the entry point hands over to libFuzzer's driver.
    @_cdecl("EccSNMPFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var vector = argv
        return runDriver(&count, &vector) { data, size in fuzz(data, size) }
    }
#else
    import Foundation

    /// Without libFuzzer (an ordinary build), the target replays inputs: every file named on the command line
    /// (or in a directory named there) goes through the same entry point — e.g. the seed corpus or a crash.
    @main
    enum Replay {
        static func main() {
            var files: [String] = []
            for arg in CommandLine.arguments.dropFirst() {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
                    files += names.sorted().map { arg + "/" + $0 }
                } else {
                    files.append(arg)
                }
            }
            var decoded = 0
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                let bytes = [UInt8](data)
                if (try? SNMPDecoder.decode(bytes)) != nil { decoded += 1 }
                bytes.withUnsafeBufferPointer { buf in
                    if let base = buf.baseAddress { _ = fuzz(base, buf.count) }
                }
            }
            print("replayed \(files.count) inputs, \(decoded) decoded")
        }
    }
#endif
