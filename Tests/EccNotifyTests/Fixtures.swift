import EccCore
import EccNotify

enum Fixtures {
    static let t0 = EventTime(seconds: 1_796_292_000)  // 2026-12-03T10:00:00Z

    static func alarm(
        _ id: UInt64 = 7, severity: Severity = .critical, summary: String = "Interface Gi0/1 down",
        host: String = "core1", state: AlarmState = .active, incident: Int64? = 12, priority: Int? = 1
    ) -> AlarmInfo {
        AlarmInfo(
            id: id, rule: "link-down", key: "core1/Gi0/1", state: state, severity: severity, summary: summary,
            host: host, source: "snmp", type: "linkDown", firstSeen: t0,
            lastSeen: t0.adding(nanoseconds: 90_000_000_000),
            count: 3, clearedAt: state == .cleared ? t0.adding(nanoseconds: 600_000_000_000) : nil, incident: incident,
            priority: priority)
    }

    static func message(
        _ kind: MessageContent.Kind = .firing, alarms: [AlarmInfo] = [alarm()], step: Int? = nil,
        held: [HeldMessage] = [], id: String = "ecc-1f3a9c2e-42"
    ) -> OutgoingMessage {
        OutgoingMessage(
            id: id, attempt: 1,
            content: MessageContent(
                kind: kind, receiver: "noc-email", route: "core", group: ["site": "bj1"], alarms: alarms,
                escalationStep: step, held: held, createdAt: t0.adding(nanoseconds: 120_000_000_000)))
    }
}
