/// An ordered, validated set of rules with an index from event type to candidate rules.
///
/// Rules are evaluated in file order (files sorted by name, rules in the order written). The index
/// only narrows which rules are looked at; it never changes that order.
package struct RuleSet: Sendable {
    /// The rules in evaluation order.
    package let rules: [Rule]
    /// Index into ``rules`` by rule name.
    package let ruleIndex: [String: Int]
    /// Rules that may apply to an event of one type: indices ascending, so evaluation order is kept.
    package struct Candidates: Sendable {
        /// Rules whose `when` may match.
        package var when: [Int]
        /// Rules whose `clear_when` may match.
        package var clear: [Int]
        /// Sequence rules whose second event (`then`) may match.
        package var then: [Int]
    }

    /// Normalisation and enrichment, applied to every event before the rules, in order.
    package let transforms: [Transform]
    /// Lookup tables by name (the CMDB is also the table `cmdb`).
    package let tables: [String: LookupTable]
    /// Configuration items and their parents.
    package let cmdb: CMDB
    package let inhibitions: [Inhibition]
    package let maintenance: [MaintenanceWindow]
    /// The top of the route tree.
    package let routes: [Route]
    /// Escalation policies routes start.
    package let escalations: [EscalationPolicy]
    /// Routes (the whole tree) and escalation policies by name.
    package let routeBook: RouteBook
    /// How far behind the newest event time an event may arrive and still be placed correctly: timers fire
    /// only once the watermark is this far past their deadline (nanoseconds).
    package let lateness: Int64
    /// Raw text lines into events (`- parser:` entries), tried in order.
    package let parsers: LineParsers
    /// What the engine does with history arriving late (a spool, a backlog) and with clocks far ahead.
    package let history: HistoryPolicy
    /// True when raises must consult topology, inhibition, maintenance or routes.
    package let hasRaiseContext: Bool
    /// Why ``adding(cis:maintenance:)`` could not add what it was given (empty when it could): for the
    /// daemon to log, so that configuration items or windows left out never go unnoticed.
    package private(set) var mergeWarnings: [String] = []

    // One lookup per event: type value -> candidates; events of other types get `anyType`.
    private let byType: [String: Candidates]
    private let anyType: Candidates

    /// A problem with the set as a whole.
    package struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
        package var message: String
        package var location: SourceLocation?

        /// `file:line:column: message`, or the message alone.
        package var description: String { location.map { "\($0): \(message)" } ?? message }
    }

    /// Builds the set; throws on duplicate rule names.
    package init(
        _ rules: [Rule], transforms: [Transform] = [], tables: [LookupTable] = [], cmdb: CMDB = CMDB(),
        inhibitions: [Inhibition] = [], maintenance: [MaintenanceWindow] = [], routes: [Route] = [],
        escalations: [EscalationPolicy] = [], lateness: Int64 = 0, history: HistoryPolicy = HistoryPolicy(),
        parsers: [LineParser] = []
    ) throws(ValidationError) {
        var seen: [String: Rule] = [:]
        for r in rules {
            if let first = seen[r.name] {
                let at = first.location.map { " (first defined at \($0))" } ?? ""
                throw ValidationError(message: "duplicate rule name '\(r.name)'\(at)", location: r.location)
            }
            seen[r.name] = r
        }
        var tableMap: [String: LookupTable] = [:]
        if !cmdb.isEmpty { tableMap["cmdb"] = cmdb.table }
        for t in tables {
            if tableMap[t.name] != nil {
                throw ValidationError(message: "duplicate table name '\(t.name)'", location: nil)
            }
            tableMap[t.name] = t
        }
        for tr in transforms {
            for l in tr.lookups where tableMap[l.table] == nil {
                let known = tableMap.keys.sorted().joined(separator: ", ")
                throw ValidationError(
                    message:
                        "transform '\(tr.name)': no table '\(l.table)' (tables: \(known.isEmpty ? "none" : known))",
                    location: tr.location)
            }
        }
        for inh in inhibitions {
            for r in inh.sources.union(inh.targets ?? []) where seen[r] == nil {
                throw ValidationError(message: "inhibit '\(inh.name)': no rule named '\(r)'", location: inh.location)
            }
        }
        for r in rules {
            for c in r.alarmConditions where seen[c.rule] == nil {
                throw ValidationError(
                    message: "rule '\(r.name)': \(c.active ? "while_alarm" : "unless_alarm") names no rule '\(c.rule)'",
                    location: c.location ?? r.location)
            }
        }
        try Self.unique(transforms.map { ($0.name, $0.location) }, "transform")
        try Self.unique(inhibitions.map { ($0.name, $0.location) }, "inhibit")
        try Self.unique(maintenance.map { ($0.name, $0.location) }, "maintenance window")
        try Self.unique(parsers.map { ($0.name, $0.location) }, "parser")
        guard let lineParsers = LineParsers(parsers) else {
            throw ValidationError(message: "the parsers' expressions are too large to match together", location: nil)
        }
        self.parsers = lineParsers
        try Self.validateRouting(routes, escalations)
        self.rules = rules
        var index: [String: Int] = [:]
        for (i, r) in rules.enumerated() { index[r.name] = i }
        self.ruleIndex = index
        self.transforms = transforms
        self.tables = tableMap
        self.cmdb = cmdb
        self.inhibitions = inhibitions
        self.maintenance = maintenance
        self.routes = routes
        self.escalations = escalations
        self.routeBook = RouteBook(routes: routes, escalations: escalations)
        self.lateness = max(0, lateness)
        self.history = history
        hasRaiseContext =
            !inhibitions.isEmpty || !maintenance.isEmpty || !routes.isEmpty || rules.contains { $0.rootCause }
        let (whenByType, whenAny) = Self.index(rules.map(\.when))
        let (clearByType, clearAny) = Self.index(rules.map { $0.clearWhen })
        let (thenByType, thenAny) = Self.index(rules.map { $0.timing.sequence?.then })
        var byType: [String: Candidates] = [:]
        for t in Set(whenByType.keys).union(clearByType.keys).union(thenByType.keys) {
            byType[t] = Candidates(
                when: whenByType[t] ?? whenAny, clear: clearByType[t] ?? clearAny, then: thenByType[t] ?? thenAny)
        }
        self.byType = byType
        anyType = Candidates(when: whenAny, clear: clearAny, then: thenAny)
    }

    private static func unique(_ names: [(String, SourceLocation?)], _ what: String) throws(ValidationError) {
        var seen: [String: SourceLocation?] = [:]
        for (n, loc) in names {
            if let first = seen[n] {
                let at = first.map { " (first defined at \($0))" } ?? ""
                throw ValidationError(message: "duplicate \(what) name '\(n)'\(at)", location: loc)
            }
            seen[n] = loc
        }
    }

    /// An empty rule set.
    package static let empty: RuleSet = {
        do { return try RuleSet([]) } catch { preconditionFailure("an empty rule set is always valid") }
    }()

    private static func index(_ matchers: [Matcher?]) -> ([String: [Int]], [Int]) {
        var byType: [String: [Int]] = [:]
        var any: [Int] = []
        for (i, m) in matchers.enumerated() {
            guard let m else { continue }
            if let types = m.requiredTypes {
                for t in types { byType[t, default: []].append(i) }
            } else {
                any.append(i)
            }
        }
        // Merge the any-type rules into each list so one lookup yields every candidate in order.
        for (t, list) in byType { byType[t] = (list + any).sorted() }
        return (byType, any)
    }

    /// The rules that may apply to an event of this type, in evaluation order.
    package func candidates(type: String) -> Candidates {
        byType[type] ?? anyType
    }
}

extension RuleSet {
    /// The rule with this name.
    package func rule(named name: String) -> Rule? { ruleIndex[name].map { rules[$0] } }

    /// The same rules with configuration items and maintenance windows from elsewhere (the incident
    /// store's CMDB and approved changes) added. On a name clash the rule files' own entries win (a
    /// window repeated in `extra` is taken once). Throws, saying why, when they cannot be added.
    package func merging(cis: [CMDB.Item], maintenance extra: [MaintenanceWindow]) throws(ValidationError) -> RuleSet {
        guard !cis.isEmpty || !extra.isEmpty else { return self }
        var items = cis.filter { cmdb.items[$0.name] == nil }
        if !items.isEmpty, cmdb.isEmpty, tables["cmdb"] != nil {
            throw ValidationError(
                message: "the rule files define a lookup table named 'cmdb', the name the CMDB's own table has: "
                    + "\(items.count) configuration items from the incident store were not added (topology "
                    + "suppression and priorities do not see them); rename that table",
                location: nil)
        }
        items.append(contentsOf: cmdb.items.values.sorted { $0.name < $1.name })
        var names = Set(maintenance.map(\.name))
        let windows = maintenance + extra.filter { names.insert($0.name).inserted }
        let otherTables = tables.values.filter { $0.name != "cmdb" || cmdb.isEmpty && items.isEmpty }
            .sorted { $0.name < $1.name }
        return try RuleSet(
            rules, transforms: transforms, tables: otherTables, cmdb: CMDB(items), inhibitions: inhibitions,
            maintenance: windows, routes: routes, escalations: escalations, lateness: lateness, history: history,
            parsers: parsers.parsers)
    }

    /// ``merging(cis:maintenance:)`` that never fails: when the configuration items cannot be added, the
    /// result has the windows alone (or, failing that too, nothing added), and says why in
    /// ``mergeWarnings``.
    package func adding(cis: [CMDB.Item], maintenance extra: [MaintenanceWindow]) -> RuleSet {
        do { return try merging(cis: cis, maintenance: extra) } catch {
            var kept: RuleSet
            var warnings = [error.message]
            do { kept = try merging(cis: [], maintenance: extra) } catch {
                kept = self
                warnings.append(
                    "\(extra.count) maintenance windows of approved changes not added either: \(error.message)")
            }
            kept.mergeWarnings = warnings
            return kept
        }
    }
}
