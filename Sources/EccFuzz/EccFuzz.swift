import EccFuzzDriver

/// One libFuzzer executable for the parsers of outside input that need no daemon: the target is chosen by
/// `ECC_FUZZ_TARGET` (json, rfc3339, rules, cmdb, template, mustache, lines). SNMP (`EccSNMPFuzz`) and eccd's
/// configuration (`EccDaemonFuzz`) have executables of their own. `make fuzz` runs each from its seed
/// corpus in `Tests/fuzz/<target>`.
@_cdecl("LLVMFuzzerTestOneInput")
package func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The entry point picks the target, then hands over to libFuzzer (or, in an ordinary build, replays the
/// files named: `ECC_FUZZ_TARGET=rules .build/debug/EccFuzz crash-1234`).
func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard FuzzTarget.selectFromEnvironment() else { return 2 }
    return FuzzDriver.main(argc, argv, entry: { data, size in fuzz(data, size) }) {
        "through \(FuzzTarget.selected.rawValue)"
    }
}

#if FUZZING
    /// SwiftPM links an executable target's entry point under this name (its `main` is made an alias of
    /// it); libFuzzer's runtime brings its own `main`, so there is no `@main` here.
    @_cdecl("EccFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        start(argc, argv)
    }
#else
    import Foundation

    @main
    enum Replay {
        static func main() { exit(start(CommandLine.argc, CommandLine.unsafeArgv)) }
    }
#endif
