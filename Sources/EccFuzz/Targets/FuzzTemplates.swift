import EccCore
import EccNotify

/// Key and summary templates of rules, and the Mustache templates of notifications.
enum FuzzTemplates {
    /// An event with every kind of attribute for templates to read.
    static let event = Event(
        time: FuzzEvents.receivedAt, source: "snmp", host: "core1", type: "linkDown", severity: .major,
        summary: "port 7 down",
        attributes: [
            "ifIndex": .int(7), "ifName": .string("Gi0/7"), "load": .double(0.25), "up": .bool(false),
            "a.b": .string("dotted"),
        ])

    /// Compiles and renders; the two renderings (text for summaries, bytes for keys) must agree.
    static func key(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let t = try? Template(text) else { return }
        var out: [UInt8] = []
        t.render(event, into: &out)
        precondition(String(decoding: out, as: UTF8.self) == t.render(event), "the two renderings disagree")
    }

    /// A message with two alarms, a group and held messages, as the dispatcher builds it.
    nonisolated(unsafe) static let context: [String: Any] = {
        let t0 = FuzzEvents.receivedAt
        func alarm(_ id: UInt64, _ severity: Severity, state: AlarmState) -> AlarmInfo {
            AlarmInfo(
                id: id, rule: "link-down", key: "core1/Gi0/\(id)", state: state, severity: severity,
                summary: "Interface <Gi0/\(id)> \"down\" & out", host: "core1", source: "snmp", type: "linkDown",
                firstSeen: t0, lastSeen: t0.adding(nanoseconds: 90_000_000_000), count: 3,
                clearedAt: state == .cleared ? t0.adding(nanoseconds: 600_000_000_000) : nil, incident: 12,
                priority: 1)
        }
        let message = OutgoingMessage(
            id: "ecc-1f3a9c2e-42", attempt: 1,
            content: MessageContent(
                kind: .firing, receiver: "noc-email", route: "core", group: ["site": "bj1", "team": "net"],
                alarms: [alarm(7, .critical, state: .active), alarm(8, .minor, state: .cleared)],
                escalationStep: nil, held: [], createdAt: t0))
        return TemplateContext.make(message)
    }()

    /// The first byte picks the escaping; the rest is the template.
    static func mustache(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let kinds: [NotificationTemplate.Escaping] = [.text, .html, .json, .url]
        let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
        guard let t = try? NotificationTemplate(text, escaping: kinds[Int(first) % kinds.count]) else { return }
        _ = t.render(context)
    }
}
