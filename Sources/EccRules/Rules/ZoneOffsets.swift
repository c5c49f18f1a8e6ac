import EccCore
import EccYAML
import Foundation

/// A time zone's offsets from UTC as the engine's core reads them (``UTCOffsets``), from the system's time
/// zone database through Foundation: every transition from 1970 to 2200.
package enum ZoneOffsets {
    /// A `timezone:` setting's offsets (UTC when absent); an unknown name is refused at its position.
    package static func table(_ node: YAMLValue?) throws(ConfigError) -> UTCOffsets {
        guard let node else { return .utc }
        let id = try node.string("timezone")
        guard let offsets = table(id) else {
            throw node.error("unknown time zone '\(id)' (an IANA name such as Europe/Berlin, or UTC)")
        }
        return offsets
    }

    package static func table(_ id: String) -> UTCOffsets? {
        if id == "UTC" || id == "Etc/UTC" { return .utc }
        guard let zone = TimeZone(identifier: id) else { return nil }
        var starts: [Int64] = [Int64.min]
        var offsets: [Int64] = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)))]
        var at = Date(timeIntervalSince1970: 0)
        let end = Date(timeIntervalSince1970: 7_258_118_400)  // 2200-01-01
        while let next = zone.nextDaylightSavingTimeTransition(after: at), next < end {
            starts.append(Int64(next.timeIntervalSince1970.rounded()))
            offsets.append(Int64(zone.secondsFromGMT(for: next)))
            at = next
        }
        return UTCOffsets(name: id, starts: starts, offsets: offsets)
    }
}
