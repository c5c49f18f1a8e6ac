import EccCore

/// Durations as written in rules and tests: `500ms`, `30s`, `5m`, `2h`, `1d`, and sums like `1h30m`.
package enum Durations {
    /// The longest duration accepted: 3650 days.
    package static let maximum: Int64 = 3650 * 86_400 * 1_000_000_000

    /// Parses a duration into nanoseconds; nil when the text is not one (a bare number is refused: say
    /// the unit).
    package static func parse(_ text: String) -> Int64? {
        var total: Int64 = 0
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            case "d": scale = 86_400e9
            default: return nil
            }
            let ns = value * scale
            // Ten years is plenty for any window or delay, and keeps every deadline far from overflow.
            guard ns.isFinite, Double(total) + ns <= Double(maximum) else { return nil }
            total += Int64(ns.rounded())
        }
        return total
    }

    /// Formats nanoseconds compactly: `0s`, `1.5s`, `2m`, `1h30m`.
    package static func format(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        if ns < 0 { return "-" + format(-ns) }
        var out = ""
        var rest = ns
        for (unit, size) in [("d", Int64(86_400_000_000_000)), ("h", 3_600_000_000_000), ("m", 60_000_000_000)]
        where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        if rest > 0 || out.isEmpty {
            let secs = Double(rest) / 1e9
            out += secs == secs.rounded() ? "\(Int64(secs))s" : "\(secs)s"
        }
        return out
    }
}

extension YAMLValue {
    /// The node as a duration in nanoseconds.
    /// A severity name or alias (`crit`, `warn`...); the error lists the names.
    package func severity(_ what: String) throws(ConfigError) -> Severity {
        let text = try string(what)
        guard let s = Severity(name: text) else {
            throw error("unknown severity '\(text)' (expected \(Severity.namesForHelp))")
        }
        return s
    }

    package func duration(_ what: String) throws(ConfigError) -> Int64 {
        let t = try string(what)
        guard let ns = Durations.parse(t) else {
            throw error("\(what): '\(t)' is not a duration of at most 3650d (e.g. 500ms, 30s, 5m, 1h30m)")
        }
        return ns
    }
}
