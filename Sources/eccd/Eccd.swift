import ArgumentParser
import EccDaemon
import EccRules
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

    func run() async throws {
        var cfg = DaemonConfig()
        if let config {
            do { cfg = try DaemonConfig.load(path: config) } catch {
                FileHandle.standardError.write(Data("eccd: configuration refused:\n\(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let logLevel {
            guard Logger.Level(rawValue: logLevel) != nil else {
                FileHandle.standardError.write(
                    Data("eccd: --log-level must be one of trace, debug, info, notice, warning, error, critical\n".utf8)
                )
                throw ExitCode(2)
            }
            cfg.logLevel = logLevel
        }
        let level = Logger.Level(rawValue: cfg.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = EscapingLogHandler(StreamLogHandler.standardError(label: label))
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "eccd")
        if checkConfig {
            do {
                try DescriptorBudget.ensure(cfg)  // the caps must fit the descriptor limit, as at start
                let access = try cfg.apiAccess()
                let tls = try cfg.apiTLS()
                let tcpTLS = try cfg.tcpCertificates()
                let rules = try RuleLoader.load(paths: cfg.rulePaths)
                if let n = cfg.notify {
                    let unknown = n.unknownReceivers(in: rules)
                    if !unknown.isEmpty { throw ConfigErrors(unknown) }
                }
                let notify = cfg.notify.map { "\($0.receivers.count) notification receivers" } ?? "notifications off"
                let api =
                    (access.requiresTokens ? "API tokens required" : "API without tokens (loopback)")
                    + (tls == nil ? "" : ", HTTPS")
                let tcp =
                    !cfg.tcpEnabled
                    ? "TCP collector off"
                    : "TCP collector " + (tcpTLS == nil ? "plain" : "TLS")
                        + (access.requiresTokens ? " with tokens" : " without tokens (loopback)")
                print("configuration OK; \(rules.rules.count) rules; \(notify); \(api); \(tcp)")
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
}
