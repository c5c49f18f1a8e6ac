import Foundation

/// Private temporary directories (mode 0700, under `TMPDIR` or /tmp) for copies of the database.
enum PrivateTemp {
    /// A new directory only eccd's user can enter, or nil.
    static func makeDirectory() -> String? {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/ecc-backup-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { p in p.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else { return nil }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes the directory and what is left in it.
    static func remove(_ dir: String) {
        try? FileManager.default.removeItem(atPath: dir)
    }
}
