import EccConfig
import EccCore
import EccIncidents
import EccRules
import EccSNMP
import EccStore
import EccYAML
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `eccd --replay`: reads a recording, runs it through the daemon's rules on event time (``Replay``), and
/// writes the alarm changes to standard output and a summary to standard error. With `diffRules`, two rule
/// sets run side by side over the same events and only the changes that differ are written.
package struct ReplayRun {
    /// `-` for standard input.
    package var input: String
    /// Rule files or directories; empty: the configuration's.
    package var rules: [String] = []
    /// A second rule set to compare with the first.
    package var diffRules: [String] = []
    /// The input's format; nil tells JSON lines and pcap apart by the first bytes. ``ReplayInput/Format/text``
    /// reads raw lines through the (first) rule set's parsers.
    package var inputFormat: ReplayInput.Format?
    package var options = Replay.Options()
    package var format = ReplayFormat.text
    /// Also write repeats (by default only raises, clears and updates).
    package var repeats = false
    /// A new database file the changes are also written to, by the daemon's own store writer: alarms and
    /// their journal, incidents (with their priority and SLA) and the notification groups their routes open.
    package var store: String?

    package init(input: String) { self.input = input }

    /// Runs the replay; returns the process's exit status (0, or 1 when lines were refused).
    package func run(config: DaemonConfig) async throws(StartupError) -> Int32 {
        let first = try load(rules.isEmpty ? config.rulePaths : rules, config: config)
        let second = try diffRules.isEmpty ? nil : load(diffRules, config: config)
        let writer = try store.map { path throws(StartupError) in
            try scratchStore(path, rules: first, config: config)
        }
        let toStore = writer?.makeSubmitter()
        let fd: Int32
        if input == "-" {
            fd = 0
        } else {
            fd = open(input, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw StartupError(
                    description: "replay: cannot open \(input): \(String(cString: strerror(errno)))")
            }
        }
        defer { if fd > 0 { close(fd) } }
        // Trap names as the SNMP receiver gives them: the built-in table, then the configured MIBs.
        let names = OIDNameCache(
            mibs: config.snmp.mibDirectories.isEmpty ? nil : MIBNames(directories: config.snmp.mibDirectories))

        var a = Replay(rules: first, options: options)
        var b = second.map { Replay(rules: $0, options: options) }
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        var refusals = 0
        let began = ContinuousClock.now
        let shows = { (c: AlarmChange) in repeats || c.kind != .repeated }
        func flushOut(force: Bool) {
            guard force || out.count >= 1 << 20 else { return }
            out.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count {
                    guard let base = raw.baseAddress else { return }
                    let n = write(1, base + at, raw.count - at)
                    if n <= 0 { if errno == EINTR { continue } else { return } }
                    at += n
                }
            }
            out.removeAll(keepingCapacity: true)
        }
        // Diff: both replays end their batches at the same events; the batches are compared there.
        var batchA: [AlarmChange] = []
        var batchB: [AlarmChange] = []
        func compare() {
            let (onlyA, onlyB) = ReplayDiff.compare(batchA.filter(shows), batchB.filter(shows))
            for c in onlyA { format.write(c, side: .first, receiversOf: first.receivers(ofRoutes:), to: &out) }
            for c in onlyB {
                format.write(c, side: .second, receiversOf: (second ?? first).receivers(ofRoutes:), to: &out)
            }
            batchA.removeAll(keepingCapacity: true)
            batchB.removeAll(keepingCapacity: true)
            flushOut(force: false)
        }
        if inputFormat == .text && first.parsers.isEmpty {
            throw StartupError(
                description: "replay: --input text needs parsers ('- parser:' entries) in the rules, and they have none"
            )
        }
        // Year-less times in a log belong to the year that puts them at most a day before the file was last written.
        var st = stat()
        let mtime =
            fstat(fd, &st) == 0 && fd > 0 ? EventTime(nanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000) : nil
        let text = ReplayInput.TextLines(parsers: first.parsers, reference: mtime ?? WallClock().now())
        var unmatched = 0
        let read = ReplayInput.read(
            fd: fd, format: inputFormat, text: text, names: names,
            event: { e in
                if b == nil {
                    a.feed(e) { batch in
                        toStore?.submit(batch)
                        for c in batch.changes where shows(c) {
                            format.write(c, receiversOf: first.receivers(ofRoutes:), to: &out)
                        }
                        flushOut(force: false)
                    }
                } else {
                    let ended = a.feed(e) { batchA += $0.changes }
                    b?.feed(e) { batchB += $0.changes }
                    if ended { compare() }
                }
            },
            refused: { r in
                refusals += 1
                if refusals <= 10 { FileHandle.standardError.write(Data("eccd: replay: \(input): \(r)\n".utf8)) }
            }, unmatched: { unmatched += 1 })
        if b == nil {
            a.finish { batch in
                toStore?.submit(batch)
                for c in batch.changes where shows(c) {
                    format.write(c, receiversOf: first.receivers(ofRoutes:), to: &out)
                }
            }
        } else {
            a.finish { batchA += $0.changes }
            b?.finish { batchB += $0.changes }
            compare()
        }
        flushOut(force: true)
        let took = (ContinuousClock.now - began).components
        let seconds = Double(took.seconds) + Double(took.attoseconds) / 1e18
        var lines = [
            summaryLine(a.summary, read: read, refused: refusals, seconds: seconds, label: b == nil ? "" : "rules")
        ]
        if let b {
            lines.append(summaryLine(b.summary, read: read, refused: refusals, seconds: seconds, label: "diff rules"))
        }
        if read == .text { lines.append("eccd: replay: \(unmatched) lines no parser took") }
        if let writer, let path = store {
            toStore?.close()
            await writer.waitUntilFinished()
            lines += scratchSummary(path, rules: first)
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        return refusals > 0 ? 1 : 0
    }

    private func summaryLine(
        _ s: Replay.Summary, read: ReplayInput.Format, refused: Int, seconds: Double, label: String
    )
        -> String
    {
        let span = s.first.flatMap { first in s.last.map { "\(first) … \($0)" } } ?? "no events"
        let kinds = [AlarmChange.Kind.raised, .cleared, .updated, .repeated].map {
            "\(s.changes[$0] ?? 0) \($0.rawValue)"
        }
        let rate = seconds > 0 ? Double(s.events) / seconds : 0
        return "eccd: replay\(label.isEmpty ? "" : " (\(label))"): \(s.events) events (\(read.rawValue), \(span)) in "
            + String(format: "%.2f s (%.0f events/s): ", seconds, rate) + kinds.joined(separator: ", ")
            + "; \(s.late) late, \(s.skipped) outside --from/--to, \(refused) refused"
    }

    /// The scratch store: a new file (a replay never writes into an existing database), the daemon's store
    /// writer with its incident policy and, when the configuration notifies, its routes.
    private func scratchStore(_ path: String, rules: RuleSet, config: DaemonConfig) throws(StartupError)
        -> StoreWriter
    {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StartupError(
                description: "replay: --store \(path) exists: a scratch store must be a new file (a replay never "
                    + "writes into an existing database)")
        }
        let inForce = RulesInForce(rules)
        let policy = IncidentClassifier.policy(config.incidents, rules: inForce)
        do {
            var logger = Logger(label: "eccd.replay")
            logger.logLevel = .warning  // the summary says what the store holds; its open and close are noise here
            let w = try StoreWriter(
                path: path, policy: policy, queuesNotifications: config.notify != nil, logger: logger)
            w.start()
            return w
        } catch {
            throw StartupError(description: "replay: --store \(path): \(error)")
        }
    }

    /// What the scratch store holds: incidents by priority, and the routes the raises notified with their
    /// receivers ("who would have been paged").
    private func scratchSummary(_ path: String, rules: RuleSet) -> [String] {
        do {
            let c = try Connection(path: path)
            let alarms = try c.scalarInt("SELECT count(*) FROM alarms") ?? 0
            var byPriority: [String] = []
            let p = try c.prepare("SELECT priority, count(*) FROM incidents GROUP BY priority ORDER BY priority")
            while try p.step() { byPriority.append("P\(p.int(0)) \(p.int(1))") }
            var out = [
                "eccd: replay: scratch store \(path): \(alarms) alarms; incidents by priority: "
                    + (byPriority.isEmpty ? "none" : byPriority.joined(separator: ", "))
            ]
            // The routes each raise notified (the first notification; group waits, repeats, escalation steps,
            // digests and rate limits are the dispatcher's, on the wall clock, and not replayed).
            var raises: [String: Int] = [:]
            let o = try c.prepare("SELECT notify FROM alarm_origins WHERE notify != ''")
            while try o.step() {
                for route in o.text(0).split(separator: ",") { raises[String(route), default: 0] += 1 }
            }
            for (route, n) in raises.sorted(by: { $0.key < $1.key }) {
                let receivers = rules.receivers(ofRoutes: [route]).joined(separator: ", ")
                out.append("eccd: replay: route \(route) would have paged [\(receivers)] for \(n) raised alarms")
            }
            return out
        } catch {
            return ["eccd: replay: scratch store \(path) not read back: \(error)"]
        }
    }

    /// The rules at `paths`, with the CMDB and change windows of the configuration's database when it exists
    /// (as the daemon merges them).
    private func load(_ paths: [String], config: DaemonConfig) throws(StartupError) -> RuleSet {
        var rules: RuleSet
        do { rules = try RuleLoader.load(paths: paths) } catch {
            throw StartupError(description: "rules refused:\n\(error)")
        }
        if FileManager.default.fileExists(atPath: config.database.path) {
            do {
                let reader = try StoreReader(path: config.database.path)
                rules = rules.adding(
                    cis: try reader.cmdbItems(), maintenance: try reader.changeWindows(since: EventTime(nanoseconds: 0))
                )
            } catch {
                throw StartupError(
                    description: "replay: CMDB and changes not read from \(config.database.path): \(error)")
            }
        }
        return rules
    }
}
