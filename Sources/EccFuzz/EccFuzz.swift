/// One libFuzzer executable for every parser of outside input except SNMP (`EccSNMPFuzz`): the target is
/// chosen by `ECC_FUZZ_TARGET` (json, rfc3339, rules, config, cmdb, template, mustache). `make fuzz`
/// runs each from its seed corpus in `Tests/fuzz/<target>`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
    /// libFuzzer's driver (the fuzzer runtime provides it).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    /// SwiftPM links an executable target's entry point under this name (its `main` is made an alias of
    /// it), so with libFuzzer the entry point picks the target, then hands over to libFuzzer's driver.
    @_cdecl("EccFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        guard FuzzTarget.selectFromEnvironment() else { return 2 }
        var count = argc
        var vector = argv
        return runDriver(&count, &vector) { data, size in fuzz(data, size) }
    }
#else
    import Foundation

    /// Without libFuzzer (an ordinary build), the target replays inputs: every file named on the command line
    /// (or in a directory named there) goes through the same entry point, e.g. a seed corpus or a crash:
    /// `ECC_FUZZ_TARGET=rules .build/debug/EccFuzz crash-1234`.
    @main
    enum Replay {
        static func main() {
            guard FuzzTarget.selectFromEnvironment() else { exit(2) }
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
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                let bytes = [UInt8](data)
                bytes.withUnsafeBufferPointer { buf in
                    if let base = buf.baseAddress { _ = fuzz(base, buf.count) }
                }
            }
            print("replayed \(files.count) inputs through \(FuzzTarget.selected.rawValue)")
        }
    }
#endif
