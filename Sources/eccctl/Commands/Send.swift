import ArgumentParser
import EccAPI
import EccClient
import EccCore
import Foundation

/// `eccctl send`: inject events, from flags or as JSON lines on stdin (`-`).
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send an event (from flags), or JSON-lines events from stdin with '-'.",
        discussion: """
            eccctl send --source demo --host sw1 --type linkDown --severity major --attr ifIndex=7
            producer | eccctl send -        # one JSON event per line; bad lines are reported and skipped
            """)

    @OptionGroup var server: ServerOptions

    @Argument(help: "'-' to read JSON lines from standard input.")
    var input: String?

    @Option(help: "Event source, e.g. demo, snmp, syslog.") var source: String?
    @Option(help: "Host or device the event is about.") var host: String?
    @Option(help: "Event type, e.g. linkDown.") var type: String?
    @Option(help: "Severity: \(Severity.namesForHelp).") var severity: String = "info"
    @Option(help: "Free-text summary.") var summary: String?
    @Option(help: "Event time (RFC 3339); default now.") var time: String?
    @Option(name: .customLong("attr"), help: "Attribute NAME=VALUE (repeatable).") var attrs: [String] = []
    @Option(help: "Events per request when reading stdin.") var batch: Int = 5000

    func run() async throws {
        try await cli {
            let client = try server.client()
            if input == "-" {
                try await sendStdin(client)
            } else if let input {
                throw CLIError("unexpected argument '\(input)': use '-' for stdin, or flags")
            } else {
                try await sendOne(client)
            }
        }
    }

    private func sendOne(_ client: DaemonClient) async throws {
        guard let source, let type else { throw CLIError("--source and --type are required (or '-' for stdin)") }
        guard let sev = Severity(name: severity) else {
            throw CLIError("unknown severity '\(severity)' (expected \(Severity.namesForHelp))")
        }
        var t = EventTime.zero
        if let time {
            let parsed: EventTime
            switch RFC3339.check(time) {
            case .success(let t): parsed = t
            case .failure(let p): throw CLIError("--time: " + p.message(time))
            }
            t = parsed
        }
        var attributes = Attributes()
        for a in attrs {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                throw CLIError("--attr '\(a)' must be NAME=VALUE")
            }
            let value = String(a[a.index(after: eq)...])
            attributes[String(a[..<eq])] = Int64(value).map { AttributeValue.int($0) } ?? .string(value)
        }
        var w = JSONWriter()
        w.beginObject()
        if time != nil { w.field("time", t.description) }  // otherwise eccd stamps the receive time
        w.field("source", source)
        if let host { w.field("host", host) }
        w.field("type", type)
        w.field("severity", sev.name)
        if let summary { w.field("summary", summary) }
        if !attributes.isEmpty {
            w.key("attributes")
            w.beginObject()
            for a in attributes {
                w.key(a.key)
                if case .int(let i) = a.value { w.value(i) } else { w.value(a.value.text) }
            }
            w.endObject()
        }
        w.endObject()
        let body = w.string
        let (status, reply) = try await client.request(.POST, "/v1/events", body: Array(body.utf8))
        guard status == 202 else { throw CLIError(errorMessage(reply, status: status)) }
        print("sent")
    }

    private func sendStdin(_ client: DaemonClient) async throws {
        var lines: [(number: Int, text: String)] = []
        var lineNumber = 0
        var sent = 0
        var bad = 0
        func flush() async throws {
            while !lines.isEmpty {
                let body = Array(("[" + lines.map(\.text).joined(separator: ",") + "]").utf8)
                let (status, reply) = try await client.request(.POST, "/v1/events", body: body)
                if status == 202 {
                    sent += lines.count
                    lines.removeAll(keepingCapacity: true)
                    return
                }
                // One bad event refuses the request: report its line, drop it, resend the rest.
                guard status == 400, let refusal = try? APIJSON.decode(ErrorView.self, from: reply) else {
                    throw CLIError(errorMessage(reply, status: status))
                }
                let at = min(max(lineIndex(refusal, lines.map(\.text)), 0), lines.count - 1)
                printError("stdin:\(lines[at].number): \(refusal.error)")
                bad += 1
                lines.remove(at: at)
            }
        }
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            lines.append((lineNumber, line))
            if lines.count >= batch { try await flush() }
        }
        try await flush()
        printError(
            "sent \(sent) event\(sent == 1 ? "" : "s")\(bad > 0 ? ", \(bad) bad line\(bad == 1 ? "" : "s") skipped" : "")"
        )
        if bad > 0 { throw ExitCode(1) }
    }
}

/// Which line of a batch a 400 answer is about: its event index, or else the byte offset mapped to a line.
func lineIndex(_ answer: ErrorView, _ lines: [String]) -> Int {
    if let index = answer.index { return index }
    guard let offset = answer.offset else { return 0 }
    var start = 1  // after "["
    for (i, l) in lines.enumerated() {
        let end = start + l.utf8.count
        if offset <= end { return i }
        start = end + 1  // ","
    }
    return lines.count - 1
}
