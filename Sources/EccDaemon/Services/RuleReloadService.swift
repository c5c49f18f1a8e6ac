import EccCore
import EccRules
import EccYAML
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads rules on SIGHUP (and on `POST /v1/rules/reload`): all files are loaded and validated first;
/// any error refuses the whole reload, logs every `file:line:column: message`, and keeps the old rules.
final class RuleReloader: Sendable {
    let paths: [String]
    let runner: EngineRunner
    let logger: Logger
    let applied = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    /// Adds what the incident store contributes (CMDB items, approved changes' windows).
    let augment: @Sendable (RuleSet) -> RuleSet
    /// Errors the daemon finds in loaded rules beyond the files themselves (receivers not configured).
    let validate: @Sendable (RuleSet) -> [ConfigError]

    init(
        paths: [String], runner: EngineRunner, logger: Logger,
        augment: @escaping @Sendable (RuleSet) -> RuleSet = { $0 },
        validate: @escaping @Sendable (RuleSet) -> [ConfigError] = { _ in [] }
    ) {
        self.augment = augment
        self.validate = validate
        self.paths = paths
        self.runner = runner
        self.logger = logger
    }

    /// Reloads; returns whether the new rules are in force and a report for humans.
    func reload(trigger: String) async -> (applied: Bool, report: String) {
        let rules: RuleSet
        do throws(ConfigErrors) {
            rules = augment(try RuleLoader.load(paths: paths))
            let problems = validate(rules)
            if !problems.isEmpty { throw ConfigErrors(problems) }
        } catch {
            for e in error.errors {
                logger.error("rule file error", metadata: ["ecc.error": "\(e)", "ecc.trigger": "\(trigger)"])
            }
            logger.error(
                "rule reload refused; the previous rules stay in force",
                metadata: ["ecc.errors": "\(error.errors.count)", "ecc.trigger": "\(trigger)"])
            refused.add(1, ordering: .relaxed)
            return (false, error.description)
        }
        for w in rules.mergeWarnings {
            logger.warning(
                "incident store's CMDB or change windows left out of the rules", metadata: ["ecc.reason": "\(w)"])
        }
        let report = await runner.replaceRules(rules)
        applied.add(1, ordering: .relaxed)
        for name in report.unchanged { logger.debug("rule unchanged, state kept", metadata: ["ecc.rule": "\(name)"]) }
        for name in report.changed { logger.info("rule changed", metadata: ["ecc.rule": "\(name)"]) }
        for name in report.added { logger.info("rule added", metadata: ["ecc.rule": "\(name)"]) }
        for name in report.removed { logger.info("rule removed", metadata: ["ecc.rule": "\(name)"]) }
        var summary =
            "\(rules.rules.count) rules: \(report.unchanged.count) unchanged, \(report.changed.count) changed, "
            + "\(report.added.count) added, \(report.removed.count) removed"
        if report.clearedAlarms > 0 {
            summary += "; \(report.clearedAlarms) alarms of removed or re-keyed rules cleared"
        }
        for w in rules.mergeWarnings { summary += "; warning: \(w)" }
        logger.notice("rules reloaded", metadata: ["ecc.summary": "\(summary)", "ecc.trigger": "\(trigger)"])
        return (true, summary)
    }
}

/// Listens for SIGHUP.
struct RuleReloadService: Service {
    let reloader: RuleReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                _ = await reloader.reload(trigger: "SIGHUP")
            }
        }
    }
}
