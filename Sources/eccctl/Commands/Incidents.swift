import ArgumentParser
import EccAPI
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
                guard
                    let why = try await fetch(
                        server.client(), "/v1/alarms/\(clean)/why", as: AlarmWhyView.self, printJSON: json)
                else { return }
                for line in why.trace { print(line) }
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
                guard let list = try await fetch(server.client(), path, as: [AlarmView].self, printJSON: json)
                else { return }
                if list.isEmpty { print("no \(state == "all" ? "" : state + " ")alarms") }
                let style = Style.auto
                for a in list {
                    print(
                        "#\(a.id) \(style.kind(a.state.rawValue))\(style.severity(a.severity))\(a.rule) [\(a.key)]  "
                            + "\(a.summary) (×\(a.count), last \(a.lastSeen))"
                            + (a.suppressedBy.map { "  [suppressed: \($0)]" } ?? ""))
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

/// GETs one of EccAPI's answers from eccd: printed as is with `printJSON` (then nil), otherwise decoded.
func fetch<T: Decodable>(_ client: DaemonClient, _ path: String, as: T.Type, printJSON: Bool) async throws -> T? {
    let (status, body) = try await client.request(.GET, path)
    guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
    return try decodeAnswer(T.self, body, printJSON: printJSON)
}

/// eccd's answer `body` as EccAPI's `T`: printed as is with `printJSON` (then nil), otherwise decoded.
func decodeAnswer<T: Decodable>(_: T.Type, _ body: [UInt8], printJSON: Bool) throws -> T? {
    if printJSON {
        print(String(decoding: body, as: UTF8.self), terminator: "")  // eccd ends every answer with a newline
        return nil
    }
    do { return try APIJSON.decode(T.self, from: body) } catch {
        throw CLIError("unexpected answer from eccd: \(error)")
    }
}
