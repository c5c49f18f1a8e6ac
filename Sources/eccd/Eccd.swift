import ArgumentParser
import EccConfig
import EccCore
import EccDaemon
import EccRules
import EccYAML
import Foundation
import Logging

/// eccd: the ECC event-correlation daemon.
@main
struct Eccd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eccd",
        abstract: "ECC event-correlation daemon: events in, alarms out, incidents stored.",
        discussion: """
            Without --config, eccd runs on embedded defaults: SQLite at ./var/ecc.db, rules from ./rules,
            HTTP API on 127.0.0.1:8470, JSON-lines TCP on 127.0.0.1:8471.
            SIGTERM/SIGINT: stop intake, drain, commit, exit 0. SIGHUP: reload rules.
            """,
        version: EccVersion.current)

    @Option(name: .shortAndLong, help: "Configuration file (YAML), e.g. deploy/eccd.yaml.")
    var config: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and rules, then exit.")
    var checkConfig = false

    @Option(name: .customLong("log-level"), help: "Override the log level (trace … critical).")
    var logLevel: String?

    @Option(
        name: .customLong("replay"),
        help: ArgumentHelp(
            "Run recorded events through the rules on their own timestamps, print the alarm changes, exit.",
            discussion: "JSON lines (each with its time) or a pcap capture of SNMP traps; - reads standard input.",
            valueName: "file"))
    var replay: String?

    @Option(
        name: .customLong("rules"),
        help: ArgumentHelp(
            "With --replay or --view: these rules (file or directory; repeatable) instead of the configuration's.",
            valueName: "path"))
    var rules: [String] = []

    @Option(
        name: .customLong("view"),
        help: ArgumentHelp(
            "Serve the HTTP API over this database file, read-only (a replay's --store), for eccctl; run until stopped.",
            discussion: "Nothing but the API runs: no collectors, engine, timers or notifications.",
            valueName: "file"))
    var view: String?

    @Option(name: .customLong("port"), help: "With --view: the port on 127.0.0.1 (default 8479; 0: any free port).")
    var port: Int?

    @Option(
        name: .customLong("diff-rules"),
        help: ArgumentHelp(
            "With --replay: a second rule set over the same events; print only the changes that differ.",
            valueName: "path"))
    var diffRules: [String] = []

    @Option(name: .customLong("from"), help: "With --replay: skip events before this time (RFC 3339).")
    var from: String?

    @Option(
        name: .customLong("to"), help: "With --replay: skip events after this time (RFC 3339); timers due by then fire."
    )
    var to: String?

    @Option(
        name: .customLong("input"),
        help: "With --replay: json, pcap or text (raw lines through the rules' parsers); by default json or pcap.")
    var input: ReplayInput.Format?

    @Option(
        name: .customLong("store"),
        help: ArgumentHelp(
            "With --replay: also write the changes to this new database file (alarms, incidents, notification groups).",
            valueName: "file"))
    var store: String?

    @Option(name: .customLong("format"), help: "With --replay: text (one line per change) or json (JSON lines).")
    var format: ReplayFormat = .text

    @Flag(name: .customLong("repeats"), help: "With --replay: print repeats too (by default raises, clears, updates).")
    var repeats = false

    func validate() throws {
        if replay != nil && view != nil { throw ValidationError("--replay and --view are two runs: one at a time") }
        if replay == nil && view == nil && !rules.isEmpty {
            throw ValidationError("--rules goes with --replay or --view")
        }
        if replay == nil
            && (!diffRules.isEmpty || from != nil || to != nil || repeats || input != nil || store != nil)
        {
            throw ValidationError("--diff-rules, --from, --to, --input, --store and --repeats go with --replay")
        }
        if view == nil && port != nil { throw ValidationError("--port goes with --view") }
        if store != nil && !diffRules.isEmpty {
            throw ValidationError("--store goes with one rule set, not with --diff-rules")
        }
    }

    func run() async throws {
        var cfg = DaemonConfig()
        if let config {
            do { cfg = try DaemonConfig.load(path: config) } catch {
                FileHandle.standardError.write(Data("eccd: configuration refused:\n\(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                FileHandle.standardError.write(
                    Data("eccd: --log-level must be one of trace, debug, info, notice, warning, error, critical\n".utf8)
                )
                throw ExitCode(2)
            }
            cfg.logLevel = level
        }
        let level = cfg.logLevel
        LoggingSystem.bootstrap { label in
            var h = EscapingLogHandler(StreamLogHandler.standardError(label: label))
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "eccd")
        if let replay {
            var run = ReplayRun(input: replay)
            run.rules = rules
            run.diffRules = diffRules
            run.repeats = repeats
            run.format = format
            run.inputFormat = input
            run.store = store
            run.options.from = try from.map { s throws in try Self.time(s, "--from") }
            run.options.to = try to.map { s throws in try Self.time(s, "--to") }
            do {
                let status = try await run.run(config: cfg)
                if status != 0 { throw ExitCode(status) }
            } catch let e as StartupError {
                FileHandle.standardError.write(Data("eccd: \(e.description)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        if let view {
            do {
                let ruleSet = try RuleLoader.load(paths: rules.isEmpty ? cfg.rulePaths : rules)
                try await StoreView(path: view, port: port ?? 8479, rules: ruleSet).run(logger: logger)
            } catch let e as StartupError {
                FileHandle.standardError.write(Data("eccd: \(e.description)\n".utf8))
                throw ExitCode(2)
            } catch let e as ConfigErrors {
                FileHandle.standardError.write(Data("eccd: view: rules refused:\n\(e.description)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        if checkConfig {
            do {
                print(try cfg.check().summary)
                return
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        let daemon: Daemon
        do { daemon = try Daemon(config: cfg, logger: logger) } catch {
            logger.critical("eccd cannot start", metadata: ["ecc.error": "\(error)"])
            throw ExitCode(1)
        }
        do { try await daemon.run() } catch {
            logger.critical("eccd failed", metadata: ["ecc.error": "\(error)"])
            throw ExitCode(1)
        }
    }

    static func time(_ text: String, _ option: String) throws -> EventTime {
        guard let t = RFC3339.parse(text) else {
            throw ValidationError("\(option) must be an RFC 3339 time such as 2026-11-30T00:00:00Z, not \(text)")
        }
        return t
    }
}

extension ReplayFormat: ExpressibleByArgument {}
extension ReplayInput.Format: ExpressibleByArgument {}
