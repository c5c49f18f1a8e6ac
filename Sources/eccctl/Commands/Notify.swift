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
                guard
                    let m = try await post(
                        server, "/v1/notify/test", NotifyTestRequest(receiver: receiver, waitSeconds: wait),
                        as: NotificationView.self, printJSON: json)
                else { return }
                let id = m.id
                for a in m.attemptLog ?? [] {
                    print("  \(a.at)  \(a.result.rawValue)  \(a.detail)  (\(a.durationMs) ms)")
                }
                switch m.state {
                case .sent: print("test message \(id) sent to \(receiver)")
                case .pending:
                    throw CLIError("test message \(id) to \(receiver) not attempted within \(wait)s (eccd is busy?)")
                case .retrying:
                    throw CLIError(
                        "test message \(id) to \(receiver) failed for now and will be retried: \(m.lastError ?? "")")
                case .held: throw CLIError("test message \(id) held by \(receiver)'s rate limit")
                case .failed, .digested, .skipped:
                    throw CLIError("test message \(id) to \(receiver) failed: \(m.lastError ?? m.state.rawValue)")
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
                guard
                    let list = try await fetch(server.client(), path, as: [NotificationView].self, printJSON: json)
                else { return }
                if list.isEmpty { print("no notifications (\(state))") }
                let style = Style.auto
                for m in list {
                    let alarms = m.alarms.map { "#\($0)" }.joined(separator: ",")
                    var line =
                        "\(m.id)  \(style.kind(m.state.rawValue))\(m.kind.rawValue) → \(m.receiver.isEmpty ? "-" : m.receiver)"
                        + (m.route.isEmpty ? "" : " (\(m.route))") + (alarms.isEmpty ? "" : " alarms \(alarms)")
                        + "  created \(m.createdAt)  attempts \(m.attempts)"
                    if let next = m.nextAttempt, !next.isEmpty { line += "  next \(next)" }
                    if let e = m.lastError, !e.isEmpty { line += "\n    last error: \(e)" }
                    if let reason = m.reason, !reason.isEmpty {
                        line += "\n    \(reason)" + (m.alarm.map { ": \($0)" } ?? "")
                    }
                    if let d = m.digestRow { line += "\n    listed in digest row \(d)" }
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
                guard
                    let list = try await fetch(
                        server.client(), "/v1/notify/receivers", as: [ReceiverView].self, printJSON: false)
                else { return }
                for r in list {
                    let rate = r.ratePerMinute.map { " (at most \($0)/min, burst \(r.burst ?? 0))" } ?? ""
                    print("\(r.name)  \(r.channel)\(rate)")
                }
            }
        }
    }
}
