/// What a sender can make eccd's SNMP receiver do, bounded: varbinds per notification, and how many
/// Reports (engine-ID discovery answers, USM failures) and inform Responses go out per second.
package struct SNMPLimits: Sendable, Equatable {
    /// Varbinds in one notification (as on the wire; a v1 trap's RFC 3584 additions do not count).
    package var maxVarbinds: Int
    /// Reports sent per second (a token bucket that holds one second's worth).
    package var reportsPerSecond: Int
    /// Responses to informs sent per second; an inform that cannot be answered is dropped, not taken,
    /// so its sender's retry is the one that counts.
    package var responsesPerSecond: Int

    /// The bounds `snmp.max_varbinds` may take.
    package static let varbindRange = 2...10_000
    /// The bounds the two rates may take.
    package static let rateRange = 1...1_000_000

    package init(maxVarbinds: Int = 256, reportsPerSecond: Int = 100, responsesPerSecond: Int = 1000) {
        self.maxVarbinds = maxVarbinds
        self.reportsPerSecond = reportsPerSecond
        self.responsesPerSecond = responsesPerSecond
    }
}
