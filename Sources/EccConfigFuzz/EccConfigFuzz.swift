import EccDaemon
import EccFuzzDriver

/// The libFuzzer target for eccd's configuration file: `DaemonConfig.parse`, what `eccd --check-config`
/// reads first. It has an executable of its own because it links the daemon (SwiftNIO, Hummingbird),
/// whose coverage counters would slow every other target down (see `FuzzDriver`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? DaemonConfig.parse(text, file: "/nonexistent/eccd.yaml")
    return 0
}

#if FUZZING
    /// SwiftPM links an executable target's entry point under this name; libFuzzer brings its own `main`.
    @_cdecl("EccConfigFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        FuzzDriver.main(argc, argv, entry: { data, size in fuzz(data, size) })
    }
#else
    import Foundation

    /// An ordinary build replays files: `.build/debug/EccConfigFuzz .build-fuzz/config-crash-1234`.
    @main
    enum Replay {
        static func main() {
            exit(FuzzDriver.main(CommandLine.argc, CommandLine.unsafeArgv, entry: { data, size in fuzz(data, size) }))
        }
    }
#endif
