import ArgumentParser
import EccAPI
import EccClient
import Foundation

/// `eccctl notify`: the notification outbox.
struct Notify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Notifications: test a receiver, show the outbox queue, list receivers.",
        subcommands: [Test.self, Queue.self, Receivers.self], defaultSubcommand: Queue.self)
}

extension Notify {
    /// `eccctl notify test RECEIVER`.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message to a receiver and say how it went (the attempt eccd recorded).")

        @OptionGroup var server: ServerOptions
        @Argument(help: "The receiver's name (notify.receivers in eccd.yaml).") var receiver: String
        @Option(help: "Wait this many seconds for the outcome.") var wait: Int = 60
        @Flag(help: "Print the JSON answer, for scripts.") var json = false

        func run() async throws {
            try await cli {
                let body = try JSONEncoder().encode(NotifyTestRequest(receiver: receiver, waitSeconds: wait))
                let (status, answer) = try await server.client().request(.POST, "/v1/notify/test", body: Array(body))
                guard status == 200 else { throw CLIError(errorMessage(answer, status: status)) }
                if json {
                    print(String(decoding: answer, as: UTF8.self))
                    return
                }
                guard let m = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any] else {
                    throw CLIError("unexpected answer from eccd")
                }
                let state = (m["state"] as? String) ?? "?"
                let id = (m["id"] as? String) ?? "?"
                for a in (m["attempt_log"] as? [[String: Any]]) ?? [] {
                    print(
                        "  \(a["at"] as? String ?? "")  \(a["result"] as? String ?? "")  \(a["detail"] as? String ?? "")"
                            + "  (\(a["duration_ms"] ?? 0) ms)")
                }
                switch state {
                case "sent": print("test message \(id) sent to \(receiver)")
                case "pending":
                    throw CLIError("test message \(id) to \(receiver) not attempted within \(wait)s (eccd is busy?)")
                case "retrying":
                    throw CLIError(
                        "test message \(id) to \(receiver) failed for now and will be retried: "
                            + "\(m["last_error"] as? String ?? "")")
                case "held": throw CLIError("test message \(id) held by \(receiver)'s rate limit")
                default:
                    throw CLIError("test message \(id) to \(receiver) failed: \(m["last_error"] as? String ?? state)")
                }
            }
        }
    }

    /// `eccctl notify queue`.
    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show pending, retrying, held and failed notifications (or other states).")

        @OptionGroup var server: ServerOptions
        @Option(
            help:
                "States, comma-separated: pending, retrying, held, failed, sent, digested, skipped, or all (default: pending,retrying,held,failed)."
        )
        var state: String = "pending,retrying,held,failed"
        @Option(help: "Only this receiver.") var receiver: String?
        @Option(help: "At most this many (newest first).") var limit: Int = 100
        @Flag(help: "Print the JSON array, for scripts.") var json = false

        func run() async throws {
            try await cli {
                let path = pathWithQuery(
                    "/v1/notify/queue", [("state", state), ("receiver", receiver), ("limit", String(limit))])
                let (status, body) = try await server.client().request(.GET, path)
                guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
                if json {
                    print(String(decoding: body, as: UTF8.self))
                    return
                }
                guard let list = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
                    throw CLIError("unexpected answer from eccd")
                }
                if list.isEmpty { print("no notifications (\(state))") }
                let style = Style.auto
                for m in list {
                    let s = { (k: String) in (m[k] as? String) ?? "" }
                    let alarms = ((m["alarms"] as? [Any]) ?? []).map { "#\($0)" }.joined(separator: ",")
                    var line =
                        "\(s("id"))  \(style.kind(s("state")))\(s("kind")) → \(s("receiver").isEmpty ? "-" : s("receiver"))"
                        + (s("route").isEmpty ? "" : " (\(s("route")))") + (alarms.isEmpty ? "" : " alarms \(alarms)")
                        + "  created \(s("created_at"))  attempts \(m["attempts"] ?? 0)"
                    if !s("next_attempt").isEmpty { line += "  next \(s("next_attempt"))" }
                    if !s("last_error").isEmpty { line += "\n    last error: \(s("last_error"))" }
                    if !s("reason").isEmpty {
                        line += "\n    \(s("reason"))" + (s("alarm").isEmpty ? "" : ": \(s("alarm"))")
                    }
                    if let d = m["digest_row"] { line += "\n    listed in digest row \(d)" }
                    print(line)
                }
            }
        }
    }

    /// `eccctl notify receivers`.
    struct Receivers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the receivers eccd has configured.")

        @OptionGroup var server: ServerOptions

        func run() async throws {
            try await cli {
                let (status, body) = try await server.client().request(.GET, "/v1/notify/receivers")
                guard status == 200 else { throw CLIError(errorMessage(body, status: status)) }
                guard let list = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
                    throw CLIError("unexpected answer from eccd")
                }
                for r in list {
                    let rate =
                        (r["rate_per_minute"] as? Double).map { " (at most \($0)/min, burst \(r["burst"] ?? 0))" } ?? ""
                    print("\(r["name"] as? String ?? "?")  \(r["channel"] as? String ?? "?")\(rate)")
                }
            }
        }
    }
}
