/// How bad an event or alarm is, ordered from least to most severe.
package enum Severity: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case info = 1
    case warning = 2
    case minor = 3
    case major = 4
    case critical = 5

    /// The canonical lower-case name, as used in rules, JSON and the CLI.
    package var name: String {
        switch self {
        case .info: "info"
        case .warning: "warning"
        case .minor: "minor"
        case .major: "major"
        case .critical: "critical"
        }
    }

    package var description: String { name }

    /// Parses a canonical name or a common alias (`informational`, `notice`, `warn`, `error`, `crit`, ...).
    package init?(name: String) {
        switch name {
        case "info", "informational", "information", "notice", "debug": self = .info
        case "warning", "warn": self = .warning
        case "minor": self = .minor
        case "major", "error", "err": self = .major
        case "critical", "crit", "alert", "emergency", "emerg", "fatal": self = .critical
        default:
            let lower = name.lowercased()
            guard lower != name, let s = Severity(name: lower) else { return nil }
            self = s
        }
    }

    /// Parses a canonical name from raw UTF-8 (the decoder's fast path); nil for anything else.
    @inlinable
    package init?(_ raw: UnsafeRawBufferPointer) {
        switch raw.count {
        case 4 where Self.equal(raw, "info"): self = .info
        case 5 where Self.equal(raw, "minor"): self = .minor
        case 5 where Self.equal(raw, "major"): self = .major
        case 7 where Self.equal(raw, "warning"): self = .warning
        case 8 where Self.equal(raw, "critical"): self = .critical
        default: return nil
        }
    }

    @usableFromInline
    static func equal(_ raw: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let p = literal.utf8Start
        for i in 0..<raw.count where raw[i] != p[i] { return false }
        return true
    }

    /// The accepted canonical names, for error messages.
    package static let namesForHelp = "info, warning, minor, major, critical"

    @inlinable
    package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// In JSON a severity is its name (`"major"`); any name ``init(name:)`` takes is read.
extension Severity: Codable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let s = Severity(name: name) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown severity '\(name)'")
        }
        self = s
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
