import ArgumentParser
import EccClient
import EccCore
import Foundation

/// `eccctl tail`: live alarm changes, one line each.
struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow live alarm changes (raised, repeated, cleared), one line each.")

    @OptionGroup var server: ServerOptions
    @Flag(help: "One JSON object per line, for scripts.") var json = false
    @Option(help: "Only this severity and above: \(Severity.namesForHelp).") var severity: String?
    @Option(help: "Only alarms from this event source.") var source: String?

    func run() async throws {
        try await cli {
            if let severity, Severity(name: severity) == nil {
                throw CLIError("unknown severity '\(severity)' (expected \(Severity.namesForHelp))")
            }
            let client = try server.client()
            let style = Style.auto
            var pending: [UInt8] = []
            let path = pathWithQuery("/v1/stream", [("severity", severity), ("source", source)])
            var errorBody: [UInt8] = []
            var overrun = false
            let status = try await client.stream(.GET, path) { status, chunk in
                if status != 200 {
                    errorBody += chunk
                    return
                }
                pending += chunk
                // Server-sent events: "data: {json}\n\n"; comments start with ':'.
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = pending[..<nl]
                    pending.removeSubrange(...nl)
                    if line.elementsEqual("event: overrun".utf8) { overrun = true }
                    guard !overrun, line.starts(with: Array("data: ".utf8)) else { continue }
                    let payload = Array(line.dropFirst(6))
                    // Unbuffered, so a pipe (`eccctl tail --json | jq`) sees each change at once.
                    let text = json ? String(decoding: payload, as: UTF8.self) : Self.format(payload, style)
                    FileHandle.standardOutput.write(Data((text + "\n").utf8))
                }
            }
            if status != 200 { throw CLIError(errorMessage(errorBody, status: status)) }
            if overrun {
                throw CLIError(
                    "eccd dropped this stream: it fell too far behind (http.stream.backlog); changes since are in "
                        + "'eccctl alarms'")
            }
            throw CLIError("eccd ended the stream (it is shutting down or restarting)")
        }
    }

    /// `time  KIND  severity  rule  key  summary (count N)`
    static func format(_ payload: [UInt8], _ style: Style) -> String {
        guard let o = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else {
            return String(decoding: payload, as: UTF8.self)
        }
        let s = { (k: String) in (o[k] as? String) ?? "" }
        let count = (o["count"] as? Int) ?? 1
        return "\(s("at"))  \(style.kind(s("change")))\(style.severity(s("severity")))#\(o["id"] ?? "?") \(s("rule")) "
            + "[\(s("key"))]  \(s("summary"))\(count > 1 ? " (×\(count))" : "")"
    }
}
