import EccConfig
import EccCore
import EccDaemon
import EccFuzzDriver
import Foundation

/// The libFuzzer executable for the parsers of outside input that live in the daemon, chosen by
/// `ECC_FUZZ_TARGET`:
/// - `config`: eccd's configuration file, `DaemonConfig.parse` (what `eccd --check-config` reads first);
/// - `replay`: what `eccd --replay` reads, `ReplayInput` (JSON lines, or a pcap capture of SNMP traps:
///   the first bytes decide, so one corpus drives both). Every event it gives must carry a time in range.
///
/// It has an executable of its own because it links the daemon (SwiftNIO, Hummingbird), whose coverage
/// counters would slow every other target down (see `FuzzDriver`).
enum DaemonFuzzTarget: String, CaseIterable {
    case config
    case replay

    nonisolated(unsafe) static var selected = DaemonFuzzTarget.config

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .config:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? DaemonConfig.parse(text, file: "/nonexistent/eccd.yaml")
        case .replay:
            ReplayInput.read(
                bytes: Array(bytes),
                event: { e in
                    if !e.time.isInRange {
                        fatalError("a replayed event with a time out of range: \(e.time.nanoseconds)")
                    }
                }, refused: { _ in })
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
package func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DaemonFuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Picks the target (`config` when `ECC_FUZZ_TARGET` is unset, as before there were two), then hands over
/// to libFuzzer, or in an ordinary build replays the files named:
/// `ECC_FUZZ_TARGET=replay .build/debug/EccDaemonFuzz .build-fuzz/replay-crash-1234`.
func start(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let raw = ProcessInfo.processInfo.environment["ECC_FUZZ_TARGET"] ?? "config"
    guard let t = DaemonFuzzTarget(rawValue: raw) else {
        let names = DaemonFuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("EccDaemonFuzz: set ECC_FUZZ_TARGET to one of \(names)\n".utf8))
        return 2
    }
    DaemonFuzzTarget.selected = t
    return FuzzDriver.main(argc, argv, entry: { data, size in fuzz(data, size) })
}

#if FUZZING
    /// SwiftPM links an executable target's entry point under this name; libFuzzer brings its own `main`.
    @_cdecl("EccDaemonFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        start(argc, argv)
    }
#else
    @main
    enum Main {
        static func main() { exit(start(CommandLine.argc, CommandLine.unsafeArgv)) }
    }
#endif
