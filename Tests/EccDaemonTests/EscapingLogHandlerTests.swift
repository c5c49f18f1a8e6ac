import EccDaemon
import Logging
import Synchronization
import Testing

/// Collects what reaches it, as the stream handler would print it.
private struct Capture: LogHandler {
    final class Lines: Sendable { let value = Mutex<[String]>([]) }
    let lines = Lines()
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let meta = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.value.withLock { $0.append("\(event.message) \(meta.joined(separator: " "))") }
    }
}

@Suite("Logs from outside text")
struct EscapingLogHandlerTests {
    @Test("newlines, NUL and terminal escapes in messages and metadata cannot forge a line or drive a terminal")
    func escapes() {
        let capture = Capture()
        let logger = Logger(label: "t") { _ in EscapingLogHandler(capture) }
        let forged = "sw1\n2026-12-06T00:00:00Z info eccd : admin logged in\u{0}\u{1B}[2J\u{9B}x\u{2028}"
        logger.warning(
            "bad line from \(forged)",
            metadata: ["ecc.host": "\(forged)", "ecc.list": .array([.string("a\rb")]), "ecc.n": .stringConvertible(7)])
        let lines = capture.lines.value.withLock { $0 }
        #expect(lines.count == 1)
        let line = lines[0]
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(line.contains(#"sw1\n2026-12-06T00:00:00Z info eccd : admin logged in\u{0}\u{1B}[2J\u{9B}x\u{2028}"#))
        #expect(line.contains("ecc.list=["))
        #expect(line.contains("ecc.n=7"))
        // A value with spaces or '=' is one quoted field: it cannot add a field of its own.
        let fake = Capture()
        Logger(label: "t") { _ in EscapingLogHandler(fake) }.warning(
            "x", metadata: ["ecc.host": "sw1 ecc.user=admin", "ecc.peer": #"a"b"#])
        let faked = fake.lines.value.withLock { $0 }.first ?? ""
        #expect(faked.contains(#"ecc.host="sw1 ecc.user=admin""#), "\(faked)")
        #expect(faked.contains(#"ecc.peer="a\"b""#), "\(faked)")
        #expect(EscapingLogHandler<Capture>.escape("plain text: unchanged") == "plain text: unchanged")
    }
}
