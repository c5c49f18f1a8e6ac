import Foundation
import Testing

@testable import EccCollectors

@Suite("Integrity baseline")
struct IntegrityBaselineTests {
    @Test("written and read back whole, with paths holding spaces, newlines, CR and backslashes")
    func roundTrip() throws {
        var b = Baseline(roots: ["/etc/ssh", "/odd dir/with\\nname"])
        b.files["/etc/ssh/sshd_config"] = FileState(
            sha256: String(repeating: "a", count: 64), mode: 0o644, uid: 0, gid: 0, size: 3300)
        b.files["/odd dir/a b\nc\rd\\e"] = FileState(
            sha256: "link:" + String(repeating: "b", count: 64), mode: 0o777, uid: 1000, gid: 100, size: 9)
        let text = b.encoded()
        #expect(Baseline(encoded: text) == b)
        // Cut anywhere before its end, it is refused, not read as fewer files.
        for cut in [text.utf8.count - 1, text.utf8.count / 2, 10] {
            let part = String(decoding: Array(text.utf8.prefix(cut)), as: UTF8.self)
            #expect(Baseline(encoded: part) == nil, "cut at \(cut)")
        }
        #expect(Baseline(encoded: "something else\n") == nil)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-baseline-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var error = ""
        #expect(b.write(to: dir + "/baseline.1", error: &error))
        #expect(Baseline(encoded: try String(contentsOfFile: dir + "/baseline.1", encoding: .utf8)) == b)
        #expect(!b.write(to: dir + "/missing/baseline.2", error: &error) && !error.isEmpty)
    }

    @Test("a FIFO's type is its content (never opened: it would block); a readable file's SHA-256; a missing file none")
    func specialFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-filestate-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        mkfifo(dir + "/fifo", 0o644)
        var unreadable = false
        let fifo = try #require(FileState.read(dir + "/fifo", maxBytes: 1 << 20, unreadable: &unreadable))
        #expect(fifo.sha256.hasPrefix("type:") && !unreadable)
        try "secret".write(toFile: dir + "/secret", atomically: true, encoding: .utf8)
        let readable = try #require(FileState.read(dir + "/secret", maxBytes: 1 << 20, unreadable: &unreadable))
        #expect(readable.sha256 == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b")
        #expect(FileState.read(dir + "/none", maxBytes: 1 << 20, unreadable: &unreadable) == nil)
    }
}
