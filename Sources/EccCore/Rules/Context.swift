/// A table of rows by key, for enrichment lookups (`host` → site, CI, owner group).
package struct LookupTable: Sendable, Hashable {
    package var name: String
    /// The column names other than the key, in file order.
    package var columns: [String]
    /// key → column → value.
    package var rows: [String: [String: String]]

    package init(name: String, columns: [String], rows: [String: [String: String]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}

/// Normalisation and enrichment applied to every event before the rules see it, in file order.
package struct Transform: Sendable, Hashable {
    /// Copy the columns of a table's row found by a key template into the event.
    package struct Lookup: Sendable, Hashable {
        package var table: String
        package var key: Template
        /// Columns to copy (nil: all); a column that exists in the event already is overwritten.
        package var fields: [String]?

        package init(table: String, key: Template, fields: [String]?) {
            self.table = table
            self.key = key
            self.fields = fields
        }
    }

    /// Map a field's value to a severity (`trapSeverity: {"1": critical}`).
    package struct SeverityMap: Sendable, Hashable {
        package var field: Field
        package var values: [String: Severity]
        package var otherwise: Severity?

        package init(field: Field, values: [String: Severity], otherwise: Severity?) {
            self.field = field
            self.values = values
            self.otherwise = otherwise
        }
    }

    package var name: String
    package var when: Matcher
    package var rename: [[String]]  // [from, to] pairs, in order
    package var set: [String: Template]
    package var drop: [String]
    package var severity: SeverityMap?
    package var lookups: [Lookup]
    package var location: SourceLocation?

    package init(
        name: String, when: Matcher, rename: [[String]] = [], set: [String: Template] = [:], drop: [String] = [],
        severity: SeverityMap? = nil, lookups: [Lookup] = [], location: SourceLocation? = nil
    ) {
        self.name = name
        self.when = when
        self.rename = rename
        self.set = set
        self.drop = drop
        self.severity = severity
        self.lookups = lookups
        self.location = location
    }

    /// The fields a transform can add to an event (for `rules check`).
    package func producedFields(tables: [String: LookupTable]) -> Set<String> {
        var out = Set(set.keys)
        for r in rename { out.insert(r[1]) }
        for l in lookups { out.formUnion(l.fields ?? tables[l.table]?.columns ?? []) }
        return out
    }

    /// Applies the transform: rename, then set (templates see the renamed event), drop, severity, lookups.
    package func apply(to event: inout Event, tables: [String: LookupTable]) {
        for pair in rename {
            if let v = event.attributes[pair[0]] {
                event.attributes[pair[0]] = nil
                event.attributes[pair[1]] = v
            }
        }
        if !set.isEmpty {
            let before = event
            for (k, t) in set.sorted(by: { $0.key < $1.key }) {
                let v = t.render(before)
                switch Field(name: k) {
                case .host: event.host = v
                case .source: event.source = v
                case .summary: event.summary = v
                case .attribute(let a): event.attributes[a] = Int64(v).map { .int($0) } ?? .string(v)
                default: break  // type, severity and time are not settable (checked when parsing)
                }
            }
        }
        for d in drop { event.attributes[d] = nil }
        if let m = severity {
            if let t = event.text(of: m.field), let s = m.values[t] {
                event.severity = s
            } else if let s = m.otherwise {
                event.severity = s
            }
        }
        for l in lookups {
            guard let row = tables[l.table]?.rows[l.key.render(event)] else { continue }
            for (k, v) in row where l.fields?.contains(k) ?? true { event.attributes[k] = .string(v) }
        }
    }
}

/// Configuration items with parents: the topology that turns child alarms into symptoms.
package struct CMDB: Sendable, Hashable {
    package struct Item: Sendable, Hashable {
        package var name: String
        package var parent: String?
        /// Other attributes (site, criticality, owner group...): also a lookup table named `cmdb`.
        package var attributes: [String: String]
        package var location: SourceLocation?

        package init(name: String, parent: String?, attributes: [String: String], location: SourceLocation? = nil) {
            self.name = name
            self.parent = parent
            self.attributes = attributes
            self.location = location
        }
    }

    package private(set) var items: [String: Item] = [:]

    package init(_ items: [Item] = []) {
        for i in items { self.items[i.name] = i }
    }

    package var isEmpty: Bool { items.isEmpty }

    /// The item itself, then its parent, grandparent... (stops at a cycle).
    package func lineage(of ci: String) -> [String] {
        var out = [ci]
        var seen: Set<String> = [ci]
        var cur = items[ci]?.parent
        while let p = cur, seen.insert(p).inserted {
            out.append(p)
            cur = items[p]?.parent
        }
        return out
    }

    /// The CMDB as a lookup table (`lookup: {table: cmdb, key: "{host}"}`).
    package var table: LookupTable {
        var rows: [String: [String: String]] = [:]
        var columns = Set<String>()
        for (name, i) in items {
            var row = i.attributes
            if let p = i.parent { row["parent"] = p }
            rows[name] = row
            columns.formUnion(row.keys)
        }
        return LookupTable(name: "cmdb", columns: columns.sorted(), rows: rows)
    }
}

/// While an active alarm of a `source` rule exists, alarms of `target` rules with equal `equal` fields are
/// inhibited (Alertmanager's inhibit rules, on rules and event fields).
package struct Inhibition: Sendable, Hashable {
    package var name: String
    package var sources: Set<String>
    /// Further condition on the source alarm's raising event.
    package var sourceMatch: Matcher?
    /// Target rules; nil means every rule (except the sources).
    package var targets: Set<String>?
    /// Further condition on the target alarm's raising event.
    package var targetMatch: Matcher?
    /// Fields that must be equal in both raising events (empty: any source inhibits every target).
    package var equal: [Field]
    package var location: SourceLocation?

    package init(
        name: String, sources: Set<String>, sourceMatch: Matcher? = nil, targets: Set<String>?,
        targetMatch: Matcher? = nil, equal: [Field], location: SourceLocation? = nil
    ) {
        self.name = name
        self.sources = sources
        self.sourceMatch = sourceMatch
        self.targets = targets
        self.targetMatch = targetMatch
        self.equal = equal
        self.location = location
    }

    /// The values of the `equal` fields, joined; nil when one is missing (a missing field is never equal).
    func tuple(_ e: Event) -> String? {
        var out = ""
        for f in equal {
            guard let t = e.text(of: f) else { return nil }
            out += t
            out += "\u{1F}"
        }
        return out
    }

    func isTarget(_ rule: String, _ e: Event) -> Bool {
        if sources.contains(rule) && targets == nil { return false }
        if let targets, !targets.contains(rule) { return false }
        return targetMatch?.matches(e) ?? true
    }
}

/// A time window in which alarms on some hosts/CIs (or matching events) are raised suppressed.
package struct MaintenanceWindow: Sendable, Hashable {
    package var name: String
    /// The concrete intervals [start, end), sorted; recurring windows are expanded up to their mandatory end.
    package var intervals: [Interval]
    /// Hosts or configuration items it covers (an alarm's CI or host); empty with `match` = match only.
    package var hosts: Set<String>
    /// Further or alternative condition on the raising event.
    package var match: Matcher?
    package var location: SourceLocation?

    package struct Interval: Sendable, Hashable {
        package var start: EventTime
        package var end: EventTime

        package init(start: EventTime, end: EventTime) {
            self.start = start
            self.end = end
        }
    }

    package init(
        name: String, intervals: [Interval], hosts: Set<String>, match: Matcher?, location: SourceLocation? = nil
    ) {
        self.name = name
        // Overlapping or touching intervals (a daily window longer than a day) are merged, so lookups by
        // start or by end find the one interval covering a time.
        var merged: [Interval] = []
        for i in intervals.sorted(by: { $0.start < $1.start }) {
            if let last = merged.last, i.start <= last.end {
                merged[merged.count - 1].end = max(last.end, i.end)
            } else {
                merged.append(i)
            }
        }
        self.intervals = merged
        self.hosts = hosts
        self.match = match
        self.location = location
    }

    /// The interval containing `t`, if any.
    package func interval(at t: EventTime) -> Interval? {
        // Binary search for the last interval starting at or before t.
        var lo = 0
        var hi = intervals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if intervals[mid].start <= t { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let i = intervals[lo - 1]
        return t < i.end ? i : nil
    }

    /// The end of the first interval that ends after `t` (intervals do not overlap, so ends are sorted).
    package func firstEnd(after t: EventTime) -> EventTime? {
        var lo = 0
        var hi = intervals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if intervals[mid].end <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo < intervals.count ? intervals[lo].end : nil
    }

    /// True when the window covers an alarm on `ci` (and `host`) raised by `event`.
    func covers(ci: String, host: String, event: Event) -> Bool {
        if !hosts.isEmpty, !hosts.contains(ci), !hosts.contains(host) { return false }
        return match?.matches(event) ?? true
    }
}
