import ArgumentParser
import EccClient
import EccCore
import Foundation

/// `eccctl alarms`: alarms as the store holds them.
struct Alarms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List alarms, or explain one.", subcommands: [List.self, Why.self], defaultSubcommand: List.self)
}

extension Alarms {
    /// `eccctl alarms why ID`: the trace eccd recorded for an alarm.
    struct Why: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain an alarm: the rule and event that raised it, suppression, routes notified.")

        @OptionGroup var server: ServerOptions
        @Argument(help: "The alarm's id (as `eccctl alarms` and `eccctl tail` show it, without #).") var id: String
        @Flag(help: "Print the JSON answer, for scripts.") var json = false

        func run() async throws {
            try await cli {
                let clean = id.hasPrefix("#") ? String(id.dropFirst()) : id
                guard UInt64(clean) != nil else { throw CLIError("'\(id)' is not an alarm id") }
                let (status, body) = try await server.client().request(.GET, "/v1/alarms/\(clean)/why")
                guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
                if json {
                    print(String(decoding: body, as: UTF8.self))
                    return
                }
                guard let obj = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                    let trace = obj["trace"] as? [String]
                else { throw CLIError("unexpected answer from eccd") }
                for line in trace { print(line) }
            }
        }
    }
}

extension Alarms {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alarms (active by default).")

        @OptionGroup var server: ServerOptions
        @Flag(help: "Print the JSON array, for scripts.") var json = false
        @Option(help: "active, cleared or all.") var state: String = "active"
        @Option(help: "At most this many.") var limit: Int = 100

        func run() async throws {
            try await cli {
                let path = pathWithQuery("/v1/alarms", [("state", state), ("limit", String(limit))])
                guard let list = try await fetchList(server.client(), path, printJSON: json) else { return }
                if list.isEmpty { print("no \(state == "all" ? "" : state + " ")alarms") }
                let style = Style.auto
                for a in list {
                    let s = { (k: String) in (a[k] as? String) ?? "" }
                    print(
                        "#\(a["id"] ?? "?") \(style.kind(s("state")))\(style.severity(s("severity")))\(s("rule")) [\(s("key"))]  "
                            + "\(s("summary")) (×\(a["count"] ?? 1), last \(s("last_seen")))"
                            + ((a["suppressed_by"] as? String).map { "  [suppressed: \($0)]" } ?? ""))
                }
            }
        }
    }
}

/// `eccctl status`: the daemon's counters.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show eccd's status and counters (JSON).")

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try await cli {
            let (status, body) = try await server.client().request(.GET, "/v1/status")
            guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
            if let obj = try? JSONSerialization.jsonObject(with: Data(body)),
                let pretty = try? JSONSerialization.data(
                    withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            {
                print(String(decoding: pretty, as: UTF8.self))
            } else {
                print(String(decoding: body, as: UTF8.self))
            }
        }
    }
}

/// GETs a JSON array from eccd: printed as is with `printJSON` (then nil), otherwise parsed.
func fetchList(_ client: DaemonClient, _ path: String, printJSON: Bool) async throws -> [[String: Any]]? {
    let (status, body) = try await client.request(.GET, path)
    guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
    if printJSON {
        print(String(decoding: body, as: UTF8.self), terminator: "")
        return nil
    }
    guard let list = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
        throw CLIError("unexpected answer from eccd")
    }
    return list
}
