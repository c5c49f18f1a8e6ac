import ArgumentParser
import EccAPI
import EccClient
import EccCore
import EccIncidents
import Foundation

/// `eccctl incidents`: the work items opened for alarms — list, show, and work them.
struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with incidents.",
        discussion: """
            Actions are recorded in the incident's journal under your name: --as NAME, else $ECC_USER, else $USER.
            Whoever acknowledges an incident first owns it until it is resolved or handed over.
            """,
        subcommands: [
            List.self, Show.self, Ack.self, Assign.self, Handover.self, Note.self, Resolve.self, Close.self,
            Reopen.self,
        ],
        defaultSubcommand: List.self)
}

/// Who acts, for the journal.
struct ActorOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: "Who you are, for the journal (default: $ECC_USER or $USER).")
    var actor: String?

    var name: String {
        let env = ProcessInfo.processInfo.environment
        return actor ?? env["ECC_USER"] ?? env["USER"] ?? "operator"
    }
}

extension Incidents {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incidents, newest first.")

        @OptionGroup var server: ServerOptions
        @Flag(help: "Print the JSON array, for scripts.") var json = false
        @Option(help: "open, new, acknowledged, in_progress, resolved or closed.") var state: String?
        @Option(help: "P1 to P5.") var priority: String?
        @Option(help: "Only this severity: \(Severity.namesForHelp).") var severity: String?
        @Option(help: "Only incidents owned by this person.") var owner: String?
        @Option(help: "Only incidents assigned to this group.") var group: String?
        @Option(help: "Only incidents about this configuration item.") var ci: String?
        @Option(help: "Only incidents about this host.") var host: String?
        @Flag(help: "Only incidents that missed an SLA target.") var breached = false
        @Option(help: "At most this many.") var limit: Int = 100

        func run() async throws {
            try await cli {
                let path = pathWithQuery(
                    "/v1/incidents",
                    [
                        ("state", state), ("priority", priority), ("severity", severity), ("owner", owner),
                        ("group", group), ("ci", ci), ("host", host), ("breached", breached ? "true" : nil),
                        ("limit", String(limit)),
                    ])
                guard let list = try await fetch(server.client(), path, as: [IncidentView].self, printJSON: json)
                else { return }
                if list.isEmpty {
                    print("no incidents")
                    return
                }
                let style = Style.auto
                print("ID      PRIO STATE        OWNER        DUE (resolution)          CI           TITLE")
                for i in list {
                    let id = String(i.id).padding(toLength: 7, withPad: " ", startingAt: 0)
                    let due = (i.resolutionDue ?? "").padding(toLength: 24, withPad: " ", startingAt: 0)
                    print(
                        "\(id) \(style.priority(i.priority))   \(style.state(i.state.rawValue)) "
                            + "\((i.owner ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0)) "
                            + "\(i.breached ? style.paint("BREACHED " + String(due.dropFirst(9)), "31") : due)  "
                            + "\(i.ci.padding(toLength: 12, withPad: " ", startingAt: 0)) \(i.title)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an incident with its timeline and alarms.")

        @OptionGroup var server: ServerOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Flag(help: "Print the JSON answer, for scripts.") var json = false

        func run() async throws {
            try await cli {
                guard
                    let d = try await fetch(
                        server.client(), "/v1/incidents/\(id)", as: IncidentDetailView.self, printJSON: json)
                else { return }
                printIncident(d.incident)
                print("\ntimeline:")
                for e in d.journal {
                    var line = "  \(e.at)  \(e.actor)  \(e.action)"
                    if let f = e.field, e.old != nil || e.new != nil {
                        line += "  \(f): \(e.old ?? "-") → \(e.new ?? "-")"
                    }
                    if let n = e.note { line += "  — \(n)" }
                    print(line)
                }
                if !d.suggestions.isEmpty {
                    print("\nsuggested fixes:")
                    for f in d.suggestions {
                        print("  \(f.kind.rawValue) \(f.id)  \(f.title)  (\(f.matchedBy))\n    \(f.text)")
                    }
                }
                if !d.problems.isEmpty { print("\nproblems: \(d.problems.map(String.init).joined(separator: ", "))") }
                print("\nalarms:")
                for l in d.alarms {
                    let a = l.alarm
                    print(
                        "  \(l.role.rawValue)  #\(a.id) \(a.state.rawValue) \(a.severity) \(a.rule) [\(a.key)]  \(a.summary) (×\(a.count))"
                    )
                }
            }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge an incident (the first acknowledgement takes ownership).")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "A note for the journal.") var note: String?
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(server, id, .acknowledge, AcknowledgeRequest(actor: who.name, note: note), json: json)
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Assign an incident to a group.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "The assignment group.") var group: String
        @Option(help: "Why.") var reason: String?
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(
                server, id, .assign, AssignRequest(actor: who.name, group: group, reason: reason), json: json)
        }
    }

    struct Handover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hand an incident you own over to someone else, with a reason.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "Who takes it over.") var to: String
        @Option(help: "Why (required).") var reason: String
        @Flag(help: "Take it from its owner (a supervisor's override; the journal says so).") var override = false
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(
                server, id, .handOver, HandOverRequest(actor: who.name, to: to, reason: reason, override: override),
                json: json)
        }
    }

    struct Note: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a work note (the owner's first note starts the work: in progress).")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Argument(help: "The note.") var text: String
        @Flag(help: "This is the follow-up a flagged CI or customer requires before closing.") var followUp = false
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(
                server, id, .note, NoteRequest(actor: who.name, text: text, followUp: followUp), json: json)
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an incident with a resolution note.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "What fixed it (required).") var note: String
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(server, id, .resolve, ResolveRequest(actor: who.name, note: note), json: json)
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a resolved incident (refused while a required follow-up note is missing).")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "A note for the journal.") var note: String?
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(server, id, .close, CloseRequest(actor: who.name, note: note), json: json)
        }
    }

    struct Reopen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reopen a resolved or closed incident.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The incident's id.") var id: Int64
        @Option(help: "Why (required).") var reason: String
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await act(server, id, .reopen, ReopenRequest(actor: who.name, reason: reason), json: json)
        }
    }
}

/// POSTs an action and prints the incident as it stands after it.
func act(
    _ server: ServerOptions, _ id: Int64, _ action: IncidentAction, _ body: some ActingRequest, json: Bool
) async throws {
    try await cli {
        if let incident = try await post(server, action.path(id), body, as: IncidentView.self, printJSON: json) {
            printIncident(incident)
        }
    }
}

/// The incident's header lines.
func printIncident(_ i: IncidentView) {
    let style = Style.auto
    print("incident \(i.id)  \(style.priority(i.priority))  \(style.state(i.state.rawValue, width: 0))  \(i.title)")
    print("  ci \(i.ci)  host \(i.host)  severity \(i.severity)")
    print("  owner \(i.owner ?? "-")  group \(i.assignmentGroup ?? "-")  opened \(i.openedAt)")
    print(
        "  response due \(i.responseDue ?? "-")\(i.responseBreached ? style.paint(" (missed)", "31") : "")  "
            + "resolution due \(i.resolutionDue ?? "-")\(i.resolutionBreached ? style.paint(" (missed)", "31") : "")")
    if i.followUpRequired { print("  follow-up required: \(i.followUpDone ? "done" : "not yet")") }
    if i.reopenCount > 0 { print("  reopened \(i.reopenCount)×") }
}
