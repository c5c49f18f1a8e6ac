import CEccProcess
import EccAPI
import EccBus
import EccCollectors
import EccCore
import EccIncidents
import EccNotify
import EccStore
import EccSyslog
import Prometheus
import Synchronization

/// Status and Prometheus metrics, read from the components' atomic counters when asked.
///
/// The hot paths only bump atomics; the cost of metric export is paid per scrape, not per event.
final class Telemetry: Sendable {
    let bus: Ring<Event>
    let producers: [ProducerStats]
    let badInputs: [BadInputReporter]
    let snmp: SNMPTrapReceiver?
    let syslog: SyslogReceiver?
    let files: FileFollower?
    let journal: JournalFollower?
    let integrity: IntegrityWatcher?
    let runner: EngineRunner
    let reloader: RuleReloader
    let writer: StoreWriter
    let alarms: Broadcast<AlarmChange>
    let databasePath: String
    let dispatcher: Dispatcher?
    let started: EventTime
    let clock: any EccCore.Clock
    /// Where every metric is registered; the daemon registers the few recorded on hot paths (histograms).
    private let registry: PrometheusCollectorRegistry
    private let counters: Mutex<[String: (Counter, Int)]> = Mutex([:])

    init(
        bus: Ring<Event>, producers: [ProducerStats], badInputs: [BadInputReporter],
        snmp: SNMPTrapReceiver? = nil, syslog: SyslogReceiver? = nil, files: FileFollower? = nil,
        journal: JournalFollower? = nil,
        integrity: IntegrityWatcher? = nil, runner: EngineRunner,
        reloader: RuleReloader, writer: StoreWriter, alarms: Broadcast<AlarmChange>, databasePath: String,
        clock: any EccCore.Clock, dispatcher: Dispatcher? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.registry = registry
        self.dispatcher = dispatcher
        self.bus = bus
        self.producers = producers
        self.badInputs = badInputs
        self.snmp = snmp
        self.syslog = syslog
        self.files = files
        self.journal = journal
        self.integrity = integrity
        self.runner = runner
        self.reloader = reloader
        self.writer = writer
        self.alarms = alarms
        self.databasePath = databasePath
        self.clock = clock
        self.started = clock.now()
    }

    /// `GET /v1/status` (and `eccctl status`).
    func status() -> StatusView {
        var collectors: [String: StatusView.CollectorCounts] = [:]
        for p in producers {
            collectors[p.name] = StatusView.CollectorCounts(
                accepted: Int64(p.accepted), dropped: Int64(p.dropped),
                badInput: badInputs.first(where: { $0.collector == p.name }).map { Int64($0.count) })
        }
        var notifications = StatusView.Notifications.off
        if let dispatcher {
            let waiting = (try? dispatcher.outbox.countsByState()) ?? [:]
            var totals: [Dispatcher.Tally: Int] = [:]
            for t in dispatcher.totals { totals[t.result, default: 0] += t.count }
            func n(_ v: Int?) -> Int64 { Int64(v ?? 0) }
            notifications = .on(
                StatusView.NotificationCounts(
                    pending: n(waiting[.pending]), retrying: n(waiting[.retrying]), held: n(waiting[.held]),
                    sent: n(totals[.sent]), retried: n(totals[.retried]), failed: n(totals[.failed])))
        }
        return StatusView(
            version: EccVersion.current, started: started.description,
            uptimeSeconds: (clock.now().nanoseconds - started.nanoseconds) / 1_000_000_000, collectors: collectors,
            bus: StatusView.BusFill(depth: Int64(bus.count), capacity: Int64(bus.capacity)),
            eventsProcessed: Int64(runner.processed), rules: Int64(runner.rules),
            alarmsActive: Int64(runner.activeAlarms), eventsLate: Int64(runner.lateEvents),
            eventsHistory: Int64(runner.historyEvents), eventsFuture: Int64(runner.futureEvents),
            historySenders: Int64(runner.historySenders),
            store: StatusView.StoreStatus(
                path: databasePath, changesCommitted: Int64(writer.committed), changesFailed: Int64(writer.failed),
                retrying: writer.isRetrying, changesUncommitted: Int64(writer.uncommitted),
                engineWaiting: runner.isWaitingForStore),
            streamSubscribers: Int64(alarms.count), notifications: notifications)
    }

    /// Prometheus text exposition.
    func prometheusText() -> [UInt8] {
        for p in producers {
            count("ecc_events_received_total", ["collector": p.name], p.accepted, "Events accepted onto the bus")
            count(
                "ecc_events_dropped_total", ["collector": p.name], p.dropped,
                "Events dropped: bus full (drop-newest producers) or closed at shutdown")
        }
        for r in badInputs {
            count("ecc_bad_input_total", ["collector": r.collector], r.count, "Input refused, every reason")
            for (reason, n) in r.counts where n > 0 {
                count(
                    "ecc_input_refused_total", ["collector": r.collector, "reason": reason.rawValue], n,
                    "Input refused, by collector and reason (malformed, over a limit, timed out)")
            }
        }
        count(
            "ecc_stream_overruns_total", [:], alarms.overruns,
            "Live-stream subscribers ended because they fell more than http.stream.backlog behind")
        if let snmp {
            for (reason, n) in snmp.drops.byReason.sorted(by: { $0.key < $1.key }) {
                count("ecc_snmp_bad_packets_total", ["reason": reason], n, "SNMP packets dropped as bad, by reason")
            }
            count("ecc_snmp_informs_answered_total", [:], snmp.drops.informsAnswered, "SNMP informs answered")
            for (reply, reasons) in snmp.drops.limitedByReason.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                for (reason, n) in reasons.sorted(by: { $0.key < $1.key }) {
                    count(
                        "ecc_snmp_replies_limited_total", ["reply": reply.rawValue, "reason": reason], n,
                        "SNMP Reports and inform Responses not sent (rate limit), by reply and reason")
                }
            }
            for (source, c) in snmp.sources.bySource.sorted(by: { $0.key < $1.key }) {
                count(
                    "ecc_snmp_notifications_total", ["source": source], c.accepted,
                    "SNMP notifications accepted, by sender address (at most 1024; the rest as other)")
                count(
                    "ecc_snmp_rejected_total", ["source": source], c.rejected,
                    "SNMP packets rejected, by sender address (at most 1024; the rest as other)")
            }
            count(
                "ecc_snmp_v3_discoveries_total", [:], snmp.drops.discoveriesAnswered,
                "SNMPv3 engine-ID discovery probes answered with a Report")
            if let k = snmp.kernelDrops {
                count("ecc_snmp_kernel_drops_total", [:], k, "SNMP datagrams the kernel dropped (receive buffer full)")
            }
            gauge("ecc_snmp_receive_buffer_bytes", snmp.grantedReceiveBuffer ?? 0, "Receive buffer the kernel granted")
        }
        if let syslog {
            if let k = syslog.kernelDrops {
                count(
                    "ecc_syslog_kernel_drops_total", [:], k, "Syslog datagrams the kernel dropped (receive buffer full)"
                )
            }
            gauge(
                "ecc_syslog_receive_buffer_bytes", syslog.grantedReceiveBuffer ?? 0,
                "Syslog receive buffer the kernel granted")
            gauge("ecc_syslog_connections", syslog.connections, "Syslog TCP and TLS connections open")
            let malformed = syslog.malformed.byProblem
            for problem in SyslogMessage.Problem.allCases {
                count(
                    "ecc_syslog_malformed_total", ["reason": problem.rawValue], malformed[problem] ?? 0,
                    "Syslog messages taken although malformed (their text kept as raw), by why")
            }
            for (source, c) in syslog.sources.bySource.sorted(by: { $0.key < $1.key }) {
                count(
                    "ecc_syslog_messages_total", ["source": source], c.accepted,
                    "Syslog messages accepted, by sender address (at most 1024; the rest as other)")
                count(
                    "ecc_syslog_rejected_total", ["source": source], c.rejected,
                    "Syslog messages and connections dropped (sender not allowed, too long), by sender address")
            }
        }
        if let files {
            gauge("ecc_files_followed", files.counts.files, "Log files open for following")
            count(
                "ecc_file_rotations_total", [:], files.counts.rotationCount,
                "Followed files rotated (a new file under the path, or the file truncated)")
            let results = files.counts.byResult
            for r in FileCounts.Result.allCases {
                count(
                    "ecc_file_lines_total", ["result": r.rawValue], results[r] ?? 0,
                    "Records read from followed files, by what became of them")
            }
        }
        if let journal {
            gauge(
                "ecc_journal_open", journal.counts.isOpen ? 1 : 0,
                "1 while the journal is open with files eccd can read")
            let results = journal.counts.byResult
            for r in JournalCounts.Result.allCases {
                count(
                    "ecc_journal_entries_total", ["result": r.rawValue], results[r] ?? 0,
                    "Journal entries read, by what became of them")
            }
        }
        if let integrity {
            gauge("ecc_integrity_files", integrity.counts.files, "Files watched for integrity")
            count("ecc_integrity_scans_total", [:], integrity.counts.scanCount, "Full integrity scans (start, rescans)")
            let changes = integrity.counts.byChange
            for c in IntegrityChange.allCases {
                count(
                    "ecc_integrity_changes_total", ["change": c.rawValue], changes[c] ?? 0,
                    "Changes to watched files reported, by kind")
            }
        }
        gauge(
            "ecc_heap_in_use_bytes", Int(ecc_heap_in_use()),
            "Heap eccd's allocations hold now (glibc mallinfo2); the resident set also keeps freed memory")
        gauge(
            "ecc_sqlite_memory_bytes", Int(Connection.memoryUsed),
            "Heap SQLite holds, every connection together (page caches bounded by cache_size)")
        count("ecc_events_processed_total", [:], runner.processed, "Events processed by the engine")
        count(
            "ecc_events_late_total", [:], runner.lateEvents,
            "Events older than the engine's lateness allows (placed as well as possible; timers may have fired)")
        count(
            "ecc_events_history_total", [:], runner.historyEvents,
            "Events handled as history on their sender's own clock (arrived more than history_after after their time)")
        count(
            "ecc_events_history_refused_total", [:], runner.historyRefused,
            "History handled as late events: too many senders were delivering history at once")
        count(
            "ecc_events_future_total", [:], runner.futureEvents,
            "Events timed too far ahead of eccd's clock, given eccd's clock instead")
        gauge("ecc_history_senders", runner.historySenders, "Senders now delivering history on clocks of their own")
        count("ecc_store_changes_committed_total", [:], writer.committed, "Alarm changes committed to SQLite")
        count("ecc_store_changes_failed_total", [:], writer.failed, "Alarm changes that could not be stored")
        count(
            "ecc_store_write_errors_total", [:], writer.writeErrorCount,
            "Failed write attempts (disk full, read-only, I/O), each retried")
        count(
            "ecc_rule_reloads_total", ["result": "applied"], reloader.applied.load(ordering: .relaxed), "Rule reloads")
        count(
            "ecc_rule_reloads_total", ["result": "refused"], reloader.refused.load(ordering: .relaxed), "Rule reloads")
        gauge("ecc_bus_depth", bus.count, "Events waiting on the bus")
        gauge("ecc_bus_capacity", bus.capacity, "Bus slots")
        gauge("ecc_alarms_active", runner.activeAlarms, "Active alarms")
        gauge("ecc_rules_loaded", runner.rules, "Rules in force")
        gauge("ecc_store_retrying", writer.isRetrying ? 1 : 0, "1 while the store retries a failed write")
        gauge(
            "ecc_store_uncommitted_changes", writer.uncommitted,
            "Alarm changes the engine handed to the store and not yet committed")
        gauge(
            "ecc_engine_waiting_for_store", runner.isWaitingForStore ? 1 : 0,
            "1 while the engine takes no events because the store is behind (database.max_uncommitted)")
        gauge("ecc_stream_subscribers", alarms.count, "Live stream subscribers")
        if let dispatcher {
            gauge(
                "ecc_notify_outbox_failing", dispatcher.isOutboxFailing ? 1 : 0,
                "1 while the notification outbox cannot be read or written")
        }
        if let dispatcher {
            for t in dispatcher.totals.sorted(by: {
                ($0.receiver, $0.result.rawValue) < ($1.receiver, $1.result.rawValue)
            }) {
                count(
                    "ecc_notifications_total", ["receiver": t.receiver, "result": t.result.rawValue], t.count,
                    "Notification attempts by receiver and result (sent, retried, failed, held)")
            }
            let waiting = (try? dispatcher.outbox.countsByState()) ?? [:]
            for state in [MessageState.pending, .retrying, .held] {
                labelledGauge(
                    "ecc_notifications_waiting", ["state": state.rawValue], waiting[state] ?? 0,
                    "Notifications in the outbox not yet sent, by state")
            }
        }
        return registry.emitToBuffer()
    }

    func count(_ name: String, _ labels: [String: String], _ value: Int, _ help: String) {
        let id = name + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        counters.withLock { c in
            let entry =
                c[id] ?? (
                    registry.makeCounter(
                        name: name, labels: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, help: help), 0
                )
            if value > entry.1 { entry.0.increment(by: Int64(value - entry.1)) }
            c[id] = (entry.0, max(value, entry.1))
        }
    }

    private func labelledGauge(_ name: String, _ labels: [String: String], _ value: Int, _ help: String) {
        registry.makeGauge(name: name, labels: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, help: help)
            .set(Double(value))
    }

    private func gauge(_ name: String, _ value: Int, _ help: String) {
        registry.makeGauge(name: name, help: help).set(Double(value))
    }
}

/// eccd's version string.
package enum EccVersion {
    package static let current = "0.1.0"
}
