import EccBus
import EccConfig
import EccCore
import EccIncidents
import EccStore
import Logging
import ServiceLifecycle

/// How eccd classifies an alarm for its incident, from the rules in force: the rule's `ci` template (else
/// the host) names the configuration item; criticality and follow-up come from the raising event's
/// `criticality` / `follow_up` fields (a transform can look them up), else from the CMDB item; a rule
/// with `incident: false` opens none.
enum IncidentClassifier {
    static func classify(_ rules: RuleSet, _ alarm: Alarm, _ origin: Event?) -> IncidentClassification {
        let rule = rules.rule(named: alarm.rule)
        let event = origin ?? Event(standingInFor: alarm)
        let ci = rule?.ci?.render(event) ?? alarm.host
        let item = rules.cmdb.items[ci]
        func field(_ name: String) -> String? { event.text(of: .attribute(name)) ?? item?.attributes[name] }
        let criticality = field("criticality").flatMap { Criticality(rawValue: $0.lowercased()) } ?? .medium
        let followUp = field("follow_up").map { ["true", "yes", "1"].contains($0.lowercased()) } ?? false
        return IncidentClassification(
            ci: ci, criticality: criticality, followUp: followUp, opensIncident: rule?.opensIncident ?? true)
    }

    static func policy(_ settings: DaemonConfig.IncidentSettings, rules: RulesInForce) -> IncidentPolicy {
        var p = IncidentPolicy(
            sla: settings.sla, reopenWindow: settings.reopenWindow, nearBreach: settings.nearBreach,
            businessHours: settings.businessHours, classify: { alarm, origin in classify(rules.get(), alarm, origin) })
        p.symptomIncidents = settings.symptoms == .own
        return p
    }
}

/// Checks SLA clocks every interval; breaches and near-breaches go onto the bus as events (source `itsm`,
/// types `slaBreached` and `slaNearBreach`) for rules and routes to act on.
struct SLAService: Service {
    let desk: IncidentDesk
    let bus: Ring<Event>
    let clock: any EccCore.Clock
    let interval: Duration
    let logger: Logger
    let stats = ProducerStats(name: "itsm")

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled || bus.isClosed { break }
                check(at: clock.now())
            }
        }
    }

    func check(at now: EventTime) {
        do {
            let events = try desk.sweep(at: now)
            guard !events.isEmpty else { return }
            let producer = Producer(ring: bus, policy: .wait, stats: stats, batchSize: 64)
            for e in events {
                logger.notice(
                    "incident SLA \(e.type == "slaBreached" ? "breached" : "near breach")",
                    metadata: [
                        "ecc.incident": "\(e.attributes["incident"]?.text ?? "?")", "ecc.summary": "\(e.summary)",
                    ])
                producer.append(e)
            }
            producer.flush()
        } catch {
            logger.error("SLA check failed; retrying next interval", metadata: ["ecc.error": "\(error)"])
        }
    }
}

/// Prunes (and archives) old history every interval, the first time a minute after start.
struct RetentionService: Service {
    let desk: IncidentDesk
    let policy: RetentionPolicy
    let clock: any EccCore.Clock
    let interval: Duration
    let logger: Logger

    func run() async throws {
        guard !policy.isEmpty else { return }
        await cancelWhenGracefulShutdown {
            var wait = min(interval, .seconds(60))
            while !Task.isCancelled {
                try? await Task.sleep(for: wait)
                if Task.isCancelled { break }
                wait = interval
                do {
                    let p = try desk.prune(policy, at: clock.now())
                    if p.incidents + p.alarms + p.alarmChanges + p.notifications > 0 {
                        logger.info(
                            "retention pruned old history",
                            metadata: [
                                "ecc.incidents": "\(p.incidents)", "ecc.alarms": "\(p.alarms)",
                                "ecc.alarm_changes": "\(p.alarmChanges)", "ecc.notifications": "\(p.notifications)",
                            ])
                    }
                } catch {
                    logger.error("retention failed; retrying next interval", metadata: ["ecc.error": "\(error)"])
                }
            }
        }
    }
}
