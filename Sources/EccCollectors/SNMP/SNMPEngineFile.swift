import EccSNMP
import Foundation

/// eccd's SNMP engine ID and boot counter, kept in a small text file (like net-snmp's persistent
/// `snmptrapd.conf`): the engine ID stays the same across restarts and the boot counter grows with
/// each, as SNMPv3 informs' timeliness needs (RFC 3414 §2.2).
package enum SNMPEngineFile {
    /// Reads the file (if any), counts this boot and writes it back. A configured engine ID that differs
    /// from the kept one starts a new engine (boots 1). A file that cannot be written costs only the
    /// counter's persistence: senders of informs rediscover eccd's boots after a restart.
    package static func boot(path: String, configuredID: [UInt8]?) throws(CollectorError) -> (
        engine: LocalEngine, persisted: Bool
    ) {
        var kept: LocalEngine?
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CollectorError(collector: "snmp", message: "cannot read the SNMP engine file \(path)")
            }
            kept = try parse(text, path: path)
        }
        let id = configuredID ?? kept?.engineID ?? generatedID()
        let boots: UInt32 = kept.map { $0.engineID == id ? min($0.boots &+ 1, UInt32(Int32.max)) : 1 } ?? 1
        let engine = LocalEngine(engineID: id, boots: boots)
        let text = """
            # eccd's SNMP engine (RFC 3414): its engine ID and how often it has started. Kept by eccd.
            engine_id \(Hex.text(id))
            boots \(boots)

            """
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return (engine, true)
        } catch {
            return (engine, false)
        }
    }

    static func parse(_ text: String, path: String) throws(CollectorError) -> LocalEngine {
        var id: [UInt8]?
        var boots: UInt32?
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == "engine_id", let b = bytes(parts[1]) {
                id = b
            } else if parts.count == 2, parts[0] == "boots", let v = UInt32(parts[1]) {
                boots = v
            } else {
                throw CollectorError(
                    collector: "snmp",
                    message: "\(path):\(n + 1): expected 'engine_id 0x…' or 'boots N'; fix or remove the file")
            }
        }
        guard let id, let boots else {
            throw CollectorError(
                collector: "snmp", message: "\(path): engine_id or boots missing; fix or remove the file")
        }
        return LocalEngine(engineID: id, boots: boots)
    }

    /// RFC 3411 SnmpEngineID, format 5 (octets): net-snmp's enterprise prefix as net-snmp generates
    /// random IDs, then 8 random bytes.
    static func generatedID() -> [UInt8] {
        [0x80, 0x00, 0x1F, 0x88, 0x05] + (0..<8).map { _ in UInt8.random(in: 0...255) }
    }

    static func bytes(_ text: String) -> [UInt8]? {
        guard let b = Hex.bytes(text), b.count >= 5 else { return nil }
        return b
    }
}
