import Foundation

/// What every libFuzzer executable of ECC shares (`EccSNMPFuzz`, `EccFuzz`, `EccDaemonFuzz`): with
/// `-sanitize=fuzzer` (and `-DFUZZING`) the entry point hands over to libFuzzer's driver; in an ordinary
/// build the same executable replays files, so a seed corpus or a crash input can be run in the debugger.
///
/// The parsers are split over three executables because libFuzzer scans the coverage counters of every
/// instrumented module on each input: a target that links the daemon (SwiftNIO, Hummingbird) runs several
/// times slower than one that links only its parser.
package enum FuzzDriver {
    /// libFuzzer's per-input callback.
    package typealias Entry = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

    /// The body of an executable's `<Name>_main`: libFuzzer's driver with a fuzzing build, otherwise
    /// ``replay(_:)`` of every file (or directory of files) named on the command line, printing
    /// `replayed N inputs` and `summary` (when given) after.
    package static func main(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, entry: Entry,
        summary: () -> String = { "" }
    ) -> CInt {
        #if FUZZING
            var count = argc
            var vector = argv
            return runDriver(&count, &vector, entry)
        #else
            let files = inputFiles(Array(CommandLine.arguments.dropFirst()))
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                let bytes = [UInt8](data)
                bytes.withUnsafeBufferPointer { buf in
                    if let base = buf.baseAddress { _ = entry(base, buf.count) }
                }
            }
            let more = summary()
            print("replayed \(files.count) inputs" + (more.isEmpty ? "" : ", " + more))
            return 0
        #endif
    }

    /// The files named, with a directory standing for the files in it (sorted by name).
    static func inputFiles(_ arguments: [String]) -> [String] {
        var files: [String] = []
        for arg in arguments {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: arg, isDirectory: &isDir), isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
                files += names.sorted().map { arg + "/" + $0 }
            } else {
                files.append(arg)
            }
        }
        return files
    }
}

#if FUZZING
    /// libFuzzer's driver (the fuzzer runtime provides it).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt
#endif
