import EccAuth
import EccBus
import EccCollectors
import EccConfig
import EccCore
import EccHTTP
import EccIncidents
import EccNotify
import EccRules
import EccStore
import EccYAML
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The whole daemon, wired: collectors → bus → engine → store + live stream, and the HTTP API.
///
/// `eccd` is a thin shell around this; tests run it in-process on ephemeral ports.
package final class Daemon: Sendable {
    package let config: DaemonConfig
    let logger: Logger
    let bus: Ring<Event>
    let writer: StoreWriter
    let runner: EngineRunner
    /// The live stream: alarm changes once committed (eccd's self-alarms at once).
    let alarms: Broadcast<AlarmChange>
    let reader: StoreReader
    /// Operator actions on incidents and the SLA clock.
    package let desk: IncidentDesk
    let rulesInForce: RulesInForce
    let selfAlarm: SelfAlarms
    let augment: @Sendable (RuleSet) -> RuleSet
    let reloader: RuleReloader
    let telemetry: Telemetry
    let tcp: JSONLinesServer?
    let snmp: SNMPTrapReceiver?
    let syslog: SyslogReceiver?
    let files: FileFollower?
    let journal: JournalFollower?
    let integrity: IntegrityWatcher?
    let dispatcher: Dispatcher?
    let httpStats = ProducerStats(name: "http")
    /// The HTTP listener's connection bounds and refusal counter.
    let httpEdge: HTTPEdge
    let clock: any EccCore.Clock
    /// Who may call the API (tokens, or tokenless on loopback).
    let access: APIAccess
    /// The API's certificate (nil: plain HTTP).
    let tls: TLSCertificates?
    /// One eccd per database, held until ``run(handleSignals:)`` has closed the store.
    let databaseLock: DatabaseLock
    /// The JSON-lines collector's certificate (nil: plain TCP).
    let tcpTLS: TLSCertificates?
    /// Every certificate eccd serves (API, TCP collector, syslog over TLS), reloaded on SIGHUP.
    let certificates: [TLSCertificates]
    private let httpBound = Mutex<Int?>(nil)
    private let group = Mutex<ServiceGroup?>(nil)

    /// Opens the store, loads the rules and restores active alarms. Throws ``StartupError`` with a clear
    /// message (rule errors as `file:line:column: message` lines).
    package init(config: DaemonConfig, logger: Logger, clock: any EccCore.Clock = WallClock()) throws {
        self.config = config
        self.logger = logger
        self.clock = clock
        let checked = try config.check()
        access = checked.access
        tls = checked.tls
        tcpTLS = checked.tcpTLS
        certificates = checked.certificates
        if tls == nil && access.requiresTokens && !ListenAddress.isLoopback(config.http.host) {
            logger.warning(
                "API tokens travel in clear text: set http.tls.cert_file and key_file",
                metadata: ["ecc.http": "\(config.http.host):\(config.http.port)"])
        }
        if !access.requiresTokens {
            logger.notice(
                "API without tokens (loopback only): callers are not authenticated and name themselves",
                metadata: ["ecc.http": "\(config.http.host):\(config.http.port)"])
        }
        do {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: config.database.path).deletingLastPathComponent().path,
                withIntermediateDirectories: true)
            databaseLock = try DatabaseLock(database: config.database.path)
        } catch {
            throw StartupError(description: "\(error)")
        }
        var rules = checked.rules
        let rulesInForce = RulesInForce(rules)
        self.rulesInForce = rulesInForce
        let selfAlarm = SelfAlarms(clock: clock)
        self.selfAlarm = selfAlarm
        let policy = IncidentClassifier.policy(config.incidents, rules: rulesInForce)
        if config.notify == nil {
            logger.notice(
                "notifications off: the configuration has no notify section; routes are evaluated, nothing is sent")
        }
        let alarms = Broadcast<AlarmChange>()
        self.alarms = alarms
        // eccd's own alarms are notified at once, not through the outbox; set once the dispatcher exists.
        let atOnce = Mutex<Dispatcher?>(nil)
        let registry = PrometheusCollectorRegistry()
        let commitTimes = registry.makeDurationHistogram(
            name: "ecc_store_commit_seconds",
            buckets: [
                .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ],
            help: "Time each alarm-store transaction took (the engine stops past database.max_uncommitted_age)")
        do {
            writer = try StoreWriter(
                path: config.database.path, synchronous: config.database.synchronous,
                policy: policy, queuesNotifications: config.notify != nil,
                maxSizeBytes: config.database.maxSizeMB.map { Int64($0) << 20 }, logger: logger,
                onHealth: { [selfAlarm] ok, error in selfAlarm.storeHealth(ok: ok, error: error) },
                onTransaction: { commitTimes.record($0) },
                onCommitted: { [alarms] changes in
                    alarms.publish(changes)
                    // Those of eccd's own alarms not shown before the commit (a clear by a timer, say).
                    if changes.contains(where: { $0.alarm.source == Event.eccdSource }) {
                        atOnce.withLock { $0 }?.sendAtOnce(changes)
                    }
                })
            reader = try StoreReader(path: config.database.path)
            desk = try IncidentDesk(path: config.database.path, policy: policy)
            dispatcher = try config.notify.map { n throws(StoreError) in
                Dispatcher(
                    outbox: try Outbox(path: config.database.path), receivers: n.receivers,
                    routes: { [rulesInForce] in rulesInForce.get().routeBook }, clock: clock, retry: n.retry,
                    logger: logger, onHealth: { [selfAlarm] ok, error in selfAlarm.outboxHealth(ok: ok, error: error) })
            }
        } catch {
            throw StartupError(description: "store: \(error)")
        }
        atOnce.withLock { [dispatcher] in $0 = dispatcher }
        // The incident store's CMDB and approved changes join the rule files' CIs and maintenance windows.
        let augment: @Sendable (RuleSet) -> RuleSet = { [reader, clock, logger] rules in
            do {
                let since = clock.now().adding(nanoseconds: -86_400_000_000_000)
                return rules.adding(cis: try reader.cmdbItems(), maintenance: try reader.changeWindows(since: since))
            } catch {
                logger.error("CMDB and changes not read from the store", metadata: ["ecc.error": "\(error)"])
                return rules
            }
        }
        self.augment = augment
        rules = augment(rules)
        rulesInForce.set(rules)
        var engine = Engine(rules: rules, nextAlarmID: writer.restored.nextAlarmID)
        // The raising events of restored alarms that need them (routing, inhibition) come from the store.
        let orphans = engine.restore(writer.restored.alarms) { [reader] id in
            guard let json = (try? reader.alarmOrigin(id: id))??.event else { return nil }
            return try? JSONEventDecoder.decodeEvent(json, receivedAt: clock.now())
        }
        if !orphans.isEmpty {
            logger.notice(
                "clearing active alarms whose rules no longer exist",
                metadata: ["ecc.count": "\(orphans.count)", "ecc.rules": "\(Set(orphans.map(\.rule)).sorted())"])
        }
        let (restoredState, skippedState) = engine.restore(writer.restored.snapshot)
        if restoredState + skippedState > 0 {
            logger.info(
                "correlation state restored",
                metadata: ["ecc.restored": "\(restoredState)", "ecc.skipped_changed_rules": "\(skippedState)"])
        }
        logger.info(
            "rules loaded",
            metadata: [
                "ecc.rules": "\(rules.rules.count)", "ecc.active_alarms": "\(engine.activeAlarmCount)",
                "ecc.paths": "\(config.rulePaths.joined(separator: ","))",
            ])
        bus = Ring(minimumCapacity: config.busCapacity)
        runner = EngineRunner(
            engine: engine, startup: Engine.clearOrphans(orphans, at: clock.now()), bus: bus,
            store: writer, alarms: alarms, lag: config.database.lag, clock: clock, logger: logger,
            saveSnapshot: { [writer] in writer.submit($0) }, current: rulesInForce,
            shownAtOnce: { [dispatcher] in dispatcher?.sendAtOnce($0) })
        selfAlarm.attach(runner)
        reloader = RuleReloader(
            paths: config.rulePaths, runner: runner, logger: logger, augment: augment,
            validate: { [notify = config.notify] rules in notify?.unknownReceivers(in: rules) ?? [] })
        // With tokens, each TCP connection presents one; they are the API's, reloaded with them.
        let tokenCheck: (@Sendable (String) -> Principal?)?
        if access.requiresTokens {
            tokenCheck = { [access] token in access.principal(forToken: token) }
        } else {
            tokenCheck = nil
        }
        tcp =
            config.tcp.enabled
            ? JSONLinesServer(
                host: config.tcp.host, port: config.tcp.port, ring: bus, clock: clock, logger: logger,
                limits: config.limits.tcp(maxLineBytes: config.tcp.maxLineBytes),
                credentials: JSONLinesServer.Credentials(tls: tcpTLS, principal: tokenCheck)) : nil
        snmp =
            config.snmp.enabled
            ? SNMPTrapReceiver(
                host: config.snmp.host, port: config.snmp.port, ring: bus, clock: clock, logger: logger,
                communities: config.snmp.communities.map(Set.init), v3Only: config.snmp.policy.v3Only,
                usm: .init(
                    users: config.snmp.users, engineID: config.snmp.engineID,
                    engineFile: config.snmp.engineFile
                        ?? URL(fileURLWithPath: config.database.path).deletingLastPathComponent()
                        .appendingPathComponent("snmp-engine").path),
                mibDirectories: config.snmp.mibDirectories, receiveBuffer: config.snmp.receiveBuffer,
                limits: config.snmp.policy.limits) : nil
        var syslogSettings = SyslogReceiver.Settings(
            udp: config.syslog.udp ? ListenEndpoint(host: config.syslog.host, port: config.syslog.port) : nil,
            tcp: config.syslog.tcp)
        if let endpoint = config.syslog.tls?.endpoint, let certificates = checked.syslogTLS {
            syslogSettings.tls = (endpoint, certificates)
        }
        syslogSettings.maxConnections = config.syslog.maxConnections
        syslogSettings.idleTimeout = config.syslog.idleTimeout
        syslogSettings.receiveBuffer = config.syslog.receiveBuffer
        syslogSettings.maxMessageBytes = config.syslog.maxMessageBytes
        syslogSettings.perSourceRate = config.syslog.perSourceRate
        syslogSettings.allow = config.syslog.allow
        syslogSettings.timezone = config.syslog.timezone
        syslogSettings.limits = config.limits.input
        syslog =
            config.syslog.enabled
            ? SyslogReceiver(
                syslogSettings, ring: bus, clock: clock, logger: logger,
                parsers: { [rulesInForce] in rulesInForce.get().parsers }) : nil
        files =
            config.files.isEmpty
            ? nil
            : FileFollower(
                sources: config.files, ring: bus, clock: clock, logger: logger,
                parsers: { [rulesInForce] in rulesInForce.get().parsers }, book: writer.positions,
                restored: writer.restoredPositions, limits: config.limits.input)
        journal =
            if let source = config.journal {
                JournalFollower(
                    source: source, ring: bus, clock: clock, logger: logger,
                    parsers: { [rulesInForce] in rulesInForce.get().parsers }, book: writer.positions,
                    restored: writer.restoredPositions, limits: config.limits.input)
            } else { nil }
        integrity =
            if let settings = config.integrity {
                IntegrityWatcher(
                    settings: settings,
                    directory: URL(fileURLWithPath: config.database.path).deletingLastPathComponent()
                        .appendingPathComponent("integrity").path,
                    ring: bus, clock: clock, logger: logger, book: writer.positions, restored: writer.restoredPositions)
            } else { nil }
        httpEdge = HTTPEdge(
            maxConnections: config.limits.httpMaxConnections, idleTimeout: config.limits.httpIdleTimeout,
            bodyTimeout: config.limits.httpBodyTimeout, reporter: BadInputReporter(collector: "http", logger: logger))
        telemetry = Telemetry(
            bus: bus,
            producers: [
                tcp?.stats, snmp?.stats, syslog?.stats, files?.stats, journal?.stats, integrity?.stats, httpStats,
                selfAlarm.stats,
            ].compactMap { $0 },
            badInputs: [tcp?.badLines, snmp?.badPackets, syslog?.badInput, files?.badInput, httpEdge.reporter]
                .compactMap { $0 },
            snmp: snmp, syslog: syslog, files: files, journal: journal, integrity: integrity, runner: runner,
            reloader: reloader,
            writer: writer,
            alarms: alarms,
            databasePath: config.database.path, clock: clock, dispatcher: dispatcher, registry: registry)
    }

    /// The HTTP port actually bound, once listening.
    package var httpPort: Int? { httpBound.withLock { $0 } }
    /// The TCP collector port actually bound, once listening.
    package var tcpPort: Int? { tcp?.boundPort }
    /// The SNMP receiver's UDP port actually bound, once listening.
    package var snmpPort: Int? { snmp?.boundPort }
    /// The syslog receiver's UDP port, once listening.
    package var syslogPort: Int? { syslog?.boundPort }
    /// The syslog receiver's TCP port, once listening.
    package var syslogTCPPort: Int? { syslog?.tcpPort }
    /// The syslog receiver's TLS port, once listening.
    package var syslogTLSPort: Int? { syslog?.tlsPort }

    /// Runs until SIGTERM/SIGINT (when `handleSignals`) or ``shutdown()``: then stops intake, drains the
    /// bus, commits the store and returns.
    package func run(handleSignals: Bool = true) async throws {
        let deps = apiDependencies()
        let slaService = SLAService(
            desk: desk, bus: bus, clock: clock, interval: config.incidents.slaCheckInterval, logger: logger)
        let http = try APIServer.application(
            deps, host: config.http.host, port: config.http.port, tls: tls?.serverConfiguration(), logger: logger,
            onBound: { [self] port in self.httpBound.withLock { $0 = port } })
        // Start order; ServiceGroup stops them in reverse: intake first, the store last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StoreService(writer: writer))
        ]
        if let dispatcher { services.append(.init(service: NotifyService(dispatcher: dispatcher))) }
        services += [
            .init(service: EngineService(runner: runner, bus: bus)),
            .init(service: RuleReloadService(reloader: reloader)),
            .init(
                service: CredentialReloadService(
                    access: access, tokensFile: config.http.auth.tokensFile,
                    certificates: certificates,
                    logger: logger)),
            .init(service: http),
            .init(service: StreamService(alarms: alarms)),
            .init(service: slaService),
            .init(
                service: RetentionService(
                    desk: desk, policy: config.retention, clock: clock, interval: config.retentionInterval,
                    logger: logger)),
        ]
        if let tcp { services.append(.init(service: tcp)) }
        if let snmp { services.append(.init(service: snmp)) }
        if let syslog { services.append(.init(service: syslog)) }
        if let files { services.append(.init(service: files)) }
        if let journal { services.append(.init(service: journal)) }
        if let integrity { services.append(.init(service: integrity)) }
        services.append(
            .init(
                service: SelfWatch(
                    settings: config.selfMonitoring, selfAlarm: selfAlarm,
                    collectors: [tcp?.stats, snmp?.stats, syslog?.stats, files?.stats, journal?.stats, httpStats]
                        .compactMap { $0 },
                    kernelDrops: { [snmp, syslog] in
                        let drops = [snmp?.kernelDrops, syslog?.kernelDrops].compactMap { $0 }
                        return drops.isEmpty ? nil : drops.reduce(0, +)
                    }, logger: logger)))
        services.append(.init(service: HeapTrim(logger: logger)))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = nil
        let serviceGroup = ServiceGroup(configuration: configuration)
        group.withLock { $0 = serviceGroup }
        logger.notice(
            "eccd started",
            metadata: [
                "ecc.http": "\(tls == nil ? "http" : "https")://\(config.http.host):\(config.http.port)",
                "ecc.tcp": "\(config.tcp.enabled ? "\(config.tcp.host):\(config.tcp.port)" : "off")",
                "ecc.snmp": "\(config.snmp.enabled ? "udp \(config.snmp.host):\(config.snmp.port)" : "off")",
                "ecc.syslog": "\(config.syslog.enabled ? config.syslog.listenerNames : "off")",
                "ecc.database": "\(config.database.path)",
            ])
        // The store writer is the last service to stop: once the group returns, another eccd may have the file.
        defer { databaseLock.release() }
        try await serviceGroup.run()
        logger.notice(
            "eccd stopped",
            metadata: ["ecc.processed": "\(runner.processed)", "ecc.committed": "\(writer.committed)"])
    }

    /// What the HTTP API is given.
    func apiDependencies() -> APIDependencies {
        let reloader = self.reloader
        let telemetry = self.telemetry
        var deps = APIDependencies(
            ring: bus, httpStats: httpStats, reader: reader, alarms: alarms, clock: clock,
            status: { telemetry.status() },
            metrics: { [access] in
                telemetry.countRefusals(access)
                return telemetry.prometheusText()
            },
            reloadRules: { await reloader.reload(trigger: "api") },
            maxBodyBytes: config.http.maxBodyBytes, rules: { [runner] in runner.ruleSet }, desk: desk,
            databasePath: config.database.path, edge: httpEdge)
        deps.notify = dispatcher?.endpoints
        deps.notReady = { [writer, runner, bus, dispatcher] in
            var reasons: [String] = []
            if bus.isClosed { reasons.append("shutting_down") }
            if writer.isRetrying { reasons.append("store_retrying") }
            if runner.isWaitingForStore { reasons.append("engine_waiting_for_store") }
            if bus.count >= bus.capacity - bus.headroom { reasons.append("bus_full") }
            if dispatcher?.isOutboxFailing == true { reasons.append("notify_outbox_failing") }
            return reasons
        }
        deps.input = config.limits.input
        deps.streamMaxSubscribers = config.limits.streamMaxSubscribers
        deps.streamBacklog = config.limits.streamBacklog
        deps.access = access
        return deps
    }

    /// Every route of the HTTP API as `METHOD /path` (the route × role test walks them).
    package var apiRoutes: [String] { APIServer.routes(apiDependencies()) }

    /// The alarm changes as the live stream gets them (once committed), for an in-process consumer (the
    /// latency benchmark); nil when no more subscribers are allowed.
    package func subscribeCommitted(bufferLimit: Int) -> Broadcast<AlarmChange>.Subscription? {
        alarms.subscribe(bufferLimit: bufferLimit)
    }

    /// Live stream subscribers right now.
    package var streamSubscribers: Int { alarms.count }

    /// Events the engine has processed so far.
    package var processedEvents: Int { runner.processed }

    /// Alarm changes committed to the store so far.
    package var committedChanges: Int { writer.committed }
    /// Store transactions committed so far (a bench divides the changes by them).
    package var storeTransactions: Int { writer.transactionCount }

    /// Checks the SLA clocks now (as the SLA service does every interval) and puts breach events on the bus.
    package func checkSLAs() {
        SLAService(desk: desk, bus: bus, clock: clock, interval: config.incidents.slaCheckInterval, logger: logger)
            .check(at: clock.now())
    }

    /// The store writer (tests limit its database size to simulate a full disk).
    package var storeWriter: StoreWriter { writer }

    /// Starts a graceful shutdown, as SIGTERM does.
    package func shutdown() async {
        let g = group.withLock { $0 }
        await g?.triggerGracefulShutdown()
    }

    /// Re-reads the API tokens file and the TLS certificates (API, TCP collector, syslog), as SIGHUP does; returns whether all were good.
    @discardableResult
    package func reloadCredentials() -> Bool {
        CredentialReloadService(
            access: access, tokensFile: config.http.auth.tokensFile, certificates: certificates,
            logger: logger
        ).reload()
    }

    /// Reloads the rules, as SIGHUP does.
    package func reloadRules() async -> (applied: Bool, report: String) {
        await reloader.reload(trigger: "call")
    }
}
