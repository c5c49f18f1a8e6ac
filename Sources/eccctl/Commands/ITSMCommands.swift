import ArgumentParser
import EccAPI
import EccClient
import EccCore
import EccRules
import EccYAML
import Foundation

/// POSTs a JSON object; returns the parsed answer (an object), or throws eccd's error message.
/// POSTs `body` (one of EccAPI's request types) and returns eccd's answer, printing its warning if any.
func postJSON(_ server: ServerOptions, _ path: String, _ body: some Encodable) async throws -> [String: Any] {
    let (status, answer) = try await server.client().request(.POST, path, body: Array(try JSONEncoder().encode(body)))
    guard status == 200 || status == 202 else { throw CLIError(errorMessage(answer, status: status)) }
    let object = (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]) ?? [:]
    if let warning = object["warning"] as? String { printError("eccctl: warning: \(warning)") }
    return object
}

/// Prints a JSON value as eccd sent it, pretty.
func printJSON(_ value: Any) {
    if let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
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
                guard let list = try await fetchList(server.client(), "/v1/cis", printJSON: json) else { return }
                if list.isEmpty { print("no configuration items (eccctl cis import FILE)") }
                for ci in list {
                    let attrs = (ci["attributes"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
                        .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    print("\(ci["name"] ?? "?")\((ci["parent"] as? String).map { " ← \($0)" } ?? "")  \(attrs)")
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
                let answer = try await postJSON(server, "/v1/cis", request)
                print("imported \(items.count) items: \(answer["added"] ?? 0) added, \(answer["updated"] ?? 0) updated")
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
                    let list = try await fetchList(
                        server.client(), pathWithQuery("/v1/changes", [("state", state)]), printJSON: json)
                else { return }
                if list.isEmpty { print("no changes") }
                for c in list {
                    let s = { (k: String) in (c[k] as? String) ?? "-" }
                    print(
                        "change \(c["id"] ?? "?")  \(s("state"))  \(s("start")) – \(s("end"))  "
                            + "\((c["cis"] as? [String] ?? []).joined(separator: ","))  \(s("title"))"
                            + "  (requested by \(s("requested_by"))\(c["approved_by"] is String ? ", approved by \(s("approved_by"))" : ""))"
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
                let c = try await postJSON(
                    server, "/v1/changes",
                    ChangeRequest(
                        actor: who.name, title: title, description: description, start: start, end: end,
                        cis: cis.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }))
                if json { printJSON(c) } else { print("change \(c["id"] ?? "?") requested; someone else approves it") }
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
                let c = try await postJSON(
                    server, ChangeDecision.approve.path(id), ChangeDecisionRequest(actor: who.name, note: note))
                print(
                    "change \(id) approved: maintenance window \(c["maintenance_window"] ?? "?") \(c["start"] ?? "") – \(c["end"] ?? "")"
                )
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
                _ = try await postJSON(
                    server, ChangeDecision.reject.path(id), ChangeDecisionRequest(actor: who.name, note: note))
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
                _ = try await postJSON(
                    server, ChangeDecision.cancel.path(id), ChangeDecisionRequest(actor: who.name, note: note))
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
                guard let list = try await fetchList(server.client(), "/v1/problems", printJSON: json) else { return }
                if list.isEmpty { print("no problems") }
                for p in list {
                    let s = { (k: String) in (p[k] as? String) ?? "-" }
                    print(
                        "problem \(p["id"] ?? "?")  \(s("state"))  \(s("title"))  incidents "
                            + "\((p["incidents"] as? [Int] ?? []).map(String.init).joined(separator: ","))"
                            + (p["workaround"] is String ? "\n  workaround: \(s("workaround"))" : ""))
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
                let p = try await postJSON(
                    server, "/v1/problems", ProblemRequest(actor: who.name, title: title, incidents: ids))
                print("problem \(p["id"] ?? "?") opened")
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
                _ = try await postJSON(
                    server, "/v1/problems/\(id)/link", ProblemLinkRequest(actor: who.name, incident: incident))
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
                let p = try await postJSON(
                    server, "/v1/problems/\(id)/update",
                    ProblemUpdateRequest(
                        actor: who.name, state: state, rootCause: rootCause, workaround: workaround,
                        matchText: matchText))
                print("problem \(id): \(p["state"] ?? "?")")
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
                guard let list = try await fetchList(server.client(), "/v1/knowledge", printJSON: json) else { return }
                if list.isEmpty { print("no articles") }
                for k in list {
                    let match = ["rule", "ci", "text"].compactMap { key in (k[key] as? String).map { "\(key) \($0)" } }
                    print("kb \(k["id"] ?? "?")  \(k["title"] ?? "")  [\(match.joined(separator: ", "))]")
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
                let k = try await postJSON(
                    server, "/v1/knowledge",
                    KnowledgeRequest(actor: who.name, title: title, body: body, rule: rule, ci: ci, text: text))
                print("article \(k["id"] ?? "?") added")
            }
        }
    }
}
