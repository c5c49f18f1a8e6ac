import ArgumentParser
import EccAPI
import EccClient
import EccCore
import EccIncidents
import EccRules
import EccYAML
import Foundation

/// POSTs `body` (one of EccAPI's request types) and decodes eccd's answer as `T` (printed as is with
/// `printJSON`, then nil). A 202 (stored, but the rules did not reload) prints eccd's warning and gives nil.
func post<T: Decodable>(
    _ server: ServerOptions, _ path: String, _ body: some Encodable, as: T.Type, printJSON: Bool = false
) async throws -> T? {
    let (status, answer) = try await server.client().request(.POST, path, body: try APIJSON.encode(body))
    guard status == 200 || status == 202 else { throw CLIError(errorMessage(answer, status: status)) }
    if status == 202 {
        let warning = (try? APIJSON.decode(ReloadWarning.self, from: answer))?.warning ?? "rules not reloaded"
        printError("eccctl: warning: \(warning)")
        return nil
    }
    return try decodeAnswer(T.self, answer, printJSON: printJSON)
}

/// `eccctl cis`: the configuration items in the incident store.
struct CIs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cis", abstract: "Configuration items (the CMDB) in the incident store.",
        subcommands: [List.self, Import.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List configuration items.")
        @OptionGroup var server: ServerOptions
        @Flag(help: "Print the JSON array.") var json = false

        func run() async throws {
            try await cli {
                guard let list = try await fetch(server.client(), "/v1/cis", as: [CIView].self, printJSON: json)
                else { return }
                if list.isEmpty { print("no configuration items (eccctl cis import FILE)") }
                for ci in list {
                    let attrs = ci.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    print("\(ci.name)\(ci.parent.map { " ← \($0)" } ?? "")  \(attrs.joined(separator: " "))")
                }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import configuration items from YAML (- ci: name / parent: ...) or CSV (name,parent,...).",
            discussion: "Items are added or replaced; parents must be known. eccd reloads its rules afterwards, so "
                + "topology suppression and incident priorities use the new items at once.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "A .yaml or .csv file.") var file: String

        func run() async throws {
            try await cli {
                let text: String
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw CLIError("cannot read \(file): \(error.localizedDescription)")
                }
                let items: [CMDB.Item]
                do { items = try CMDBFile.parse(text, file: file) } catch let e as ConfigErrors {
                    throw CLIError("\(file) refused:\n\(e.description)")
                }
                let request = CIImportRequest(
                    actor: who.name,
                    items: items.map {
                        CIImportRequest.Item(name: $0.name, parent: $0.parent, attributes: $0.attributes)
                    })
                if let answer = try await post(server, "/v1/cis", request, as: CIImportResult.self) {
                    print("imported \(items.count) items: \(answer.added) added, \(answer.updated) updated")
                } else {
                    print("imported \(items.count) items")
                }
            }
        }
    }
}

/// `eccctl changes`: planned changes; approved windows become maintenance windows.
struct Changes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Planned changes: request, approve (someone else), reject, cancel.",
        subcommands: [List.self, Request.self, Approve.self, Reject.self, Cancel.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List changes, newest first.")
        @OptionGroup var server: ServerOptions
        @Option(help: "requested, approved, rejected or cancelled.") var state: String?
        @Flag(help: "Print the JSON array.") var json = false

        func run() async throws {
            try await cli {
                guard
                    let list = try await fetch(
                        server.client(), pathWithQuery("/v1/changes", [("state", state)]), as: [ChangeView].self,
                        printJSON: json)
                else { return }
                if list.isEmpty { print("no changes") }
                for c in list {
                    print(
                        "change \(c.id)  \(c.state.rawValue)  \(c.start) – \(c.end)  \(c.cis.joined(separator: ","))  "
                            + "\(c.title)  (requested by \(c.requestedBy)\(c.approvedBy.map { ", approved by \($0)" } ?? ""))"
                    )
                }
            }
        }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Request a change over configuration items.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "What is changed.") var title: String
        @Option(help: "Window start, RFC 3339 (2026-12-01T01:00:00Z).") var start: String
        @Option(help: "Window end, RFC 3339 (every window has an end).") var end: String
        @Option(help: "Configuration items (comma-separated).") var cis: String
        @Option(help: "Details.") var description: String?
        @Flag(help: "Print the JSON answer.") var json = false

        func run() async throws {
            try await cli {
                let c = try await post(
                    server, "/v1/changes",
                    ChangeRequest(
                        actor: who.name, title: title, description: description, start: start, end: end,
                        cis: cis.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }),
                    as: ChangeView.self, printJSON: json)
                if let c { print("change \(c.id) requested; someone else approves it") }
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a requested change (not your own): its window suppresses alarms on its CIs.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument var id: Int64
        @Option(help: "A note for the journal.") var note: String?

        func run() async throws {
            try await cli {
                let request = ChangeDecisionRequest(actor: who.name, note: note)
                if let c = try await post(server, ChangeDecision.approve.path(id), request, as: ChangeView.self) {
                    print("change \(id) approved: maintenance window \(c.maintenanceWindow) \(c.start) – \(c.end)")
                } else {
                    print("change \(id) approved")
                }
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a requested change.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument var id: Int64
        @Option(help: "Why.") var note: String?

        func run() async throws {
            try await cli {
                _ = try await post(
                    server, ChangeDecision.reject.path(id), ChangeDecisionRequest(actor: who.name, note: note),
                    as: ChangeView.self)
                print("change \(id) rejected")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a requested or approved change.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument var id: Int64
        @Option(help: "Why.") var note: String?

        func run() async throws {
            try await cli {
                _ = try await post(
                    server, ChangeDecision.cancel.path(id), ChangeDecisionRequest(actor: who.name, note: note),
                    as: ChangeView.self)
                print("change \(id) cancelled")
            }
        }
    }
}

/// `eccctl problems`: common causes behind incidents.
struct Problems: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Problems: open, link incidents, record root cause and workaround (known error).",
        subcommands: [List.self, Open.self, Link.self, Update.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List problems, newest first.")
        @OptionGroup var server: ServerOptions
        @Flag(help: "Print the JSON array.") var json = false

        func run() async throws {
            try await cli {
                guard
                    let list = try await fetch(server.client(), "/v1/problems", as: [ProblemView].self, printJSON: json)
                else { return }
                if list.isEmpty { print("no problems") }
                for p in list {
                    print(
                        "problem \(p.id)  \(p.state.rawValue)  \(p.title)  incidents "
                            + p.incidents.map(String.init).joined(separator: ",")
                            + (p.workaround.map { "\n  workaround: \($0)" } ?? ""))
                }
            }
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a problem linking incidents.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "The problem.") var title: String
        @Option(help: "Incident ids (comma-separated).") var incidents: String = ""

        func run() async throws {
            try await cli {
                let ids = incidents.split(separator: ",").compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
                let request = ProblemRequest(actor: who.name, title: title, incidents: ids)
                if let p = try await post(server, "/v1/problems", request, as: ProblemView.self) {
                    print("problem \(p.id) opened")
                }
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Link an incident to a problem.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument var id: Int64
        @Option(help: "The incident.") var incident: Int64

        func run() async throws {
            try await cli {
                _ = try await post(
                    server, "/v1/problems/\(id)/link", ProblemLinkRequest(actor: who.name, incident: incident),
                    as: ProblemView.self)
                print("incident \(incident) linked to problem \(id)")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record root cause, workaround, state (known_error needs a workaround).")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Argument var id: Int64
        @Option(help: "open, known_error, resolved or closed.") var state: String?
        @Option(help: "The root cause.") var rootCause: String?
        @Option(help: "The workaround offered on matching incidents.") var workaround: String?
        @Option(help: "Also offer it on incidents whose title contains this (any case; \"\" removes it).")
        var matchText: String?

        func run() async throws {
            try await cli {
                let p = try await post(
                    server, "/v1/problems/\(id)/update",
                    ProblemUpdateRequest(
                        actor: who.name, state: state, rootCause: rootCause, workaround: workaround,
                        matchText: matchText),
                    as: ProblemView.self)
                if let p { print("problem \(id): \(p.state.rawValue)") }
            }
        }
    }
}

/// `eccctl kb`: knowledge articles suggested on matching incidents.
struct Knowledge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kb", abstract: "Knowledge articles, suggested on incidents by rule, CI or title text.",
        subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List knowledge articles.")
        @OptionGroup var server: ServerOptions
        @Flag(help: "Print the JSON array.") var json = false

        func run() async throws {
            try await cli {
                guard
                    let list = try await fetch(
                        server.client(), "/v1/knowledge", as: [KnowledgeView].self, printJSON: json)
                else { return }
                if list.isEmpty { print("no articles") }
                for k in list {
                    let match = [("rule", k.rule), ("ci", k.ci), ("text", k.text)].compactMap { key, value in
                        value.map { "\(key) \($0)" }
                    }
                    print("kb \(k.id)  \(k.title)  [\(match.joined(separator: ", "))]")
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an article (give --rule, --ci or --text).")
        @OptionGroup var server: ServerOptions
        @OptionGroup var who: ActorOptions
        @Option(help: "Title.") var title: String
        @Option(help: "The fix.") var body: String
        @Option(help: "Suggest on incidents of this rule.") var rule: String?
        @Option(help: "Suggest on incidents about this CI.") var ci: String?
        @Option(help: "Suggest on incidents whose title contains this.") var text: String?

        func run() async throws {
            try await cli {
                let k = try await post(
                    server, "/v1/knowledge",
                    KnowledgeRequest(actor: who.name, title: title, body: body, rule: rule, ci: ci, text: text),
                    as: KnowledgeView.self)
                if let k { print("article \(k.id) added") }
            }
        }
    }
}
