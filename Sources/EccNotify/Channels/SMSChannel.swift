import EccCore
import Logging

/// SMS through Kannel's `sendsms` interface or a commercial HTTP gateway. The text template's output is
/// split into parts (``SMSText/split(_:numbered:)``); each part goes to each number as its own request,
/// numbers in order, parts in order. The first failure stops the delivery and decides the result; a
/// retry sends every part to every number again (a gateway has no idempotency key for SMS).
public struct SMSChannel: Channel {
    /// Where the parts go.
    public enum Gateway: Sendable {
        case kannel(KannelGateway)
        case http(HTTPSMSGateway)
    }

    /// Phone numbers, e.g. `+8613800000000`.
    public var to: [String]
    public var text: NotificationTemplate
    /// `(1/3) ` before each part of a long text.
    public var numbered: Bool
    /// The most parts sent for one message; the rest is dropped (logged).
    public var maxParts: Int
    public var gateway: Gateway
    var logger: Logger

    public init(
        to: [String], text: NotificationTemplate, numbered: Bool = true, maxParts: Int = 6, gateway: Gateway,
        logger: Logger = Logger(label: "ecc.notify.sms")
    ) {
        self.to = to
        self.text = text
        self.numbered = numbered
        self.maxParts = maxParts
        self.gateway = gateway
        self.logger = logger
    }

    public var kind: String { "sms" }

    /// The parts of the message's text (after `max_parts`).
    public func parts(_ message: OutgoingMessage) -> [String] {
        let all = SMSText.split(text.render(TemplateContext.make(message)), numbered: numbered)
        if all.count > maxParts {
            logger.warning(
                "SMS text has \(all.count) parts; sending the first \(maxParts) (max_parts)",
                metadata: ["id": "\(message.id)"])
        }
        return Array(all.prefix(maxParts))
    }

    public func deliver(_ message: OutgoingMessage) -> DeliveryResult { deliver(message, accepted: { _ in }) }

    /// One request per number and part; parts an earlier attempt got accepted (``OutgoingMessage/done``,
    /// keys `NUMBER#I/N`) are not sent again, so a retry after a failure halfway does not duplicate SMS.
    public func deliver(_ message: OutgoingMessage, accepted: (String) -> Void) -> DeliveryResult {
        let parts = parts(message)
        guard !to.isEmpty else { return .permanent("SMS receiver without numbers") }
        var sent = 0
        var skipped = 0
        var details: [String] = []
        for number in to {
            for (i, part) in parts.enumerated() {
                let key = "\(number)#\(i + 1)/\(parts.count)"
                if message.done.contains(key) {
                    skipped += 1
                    continue
                }
                let p = SMSPart(message: message, to: number, text: part, index: i + 1, count: parts.count)
                let r: DeliveryResult
                switch gateway {
                case .kannel(let k): r = k.send(p)
                case .http(let h): r = h.send(p)
                }
                switch r {
                case .delivered(let d):
                    sent += 1
                    accepted(key)
                    details.append(d)
                case .temporary(let why):
                    return .temporary("SMS part \(i + 1)/\(parts.count) to \(number): \(why) (\(sent) sent before)")
                case .permanent(let why):
                    return .permanent("SMS part \(i + 1)/\(parts.count) to \(number): \(why) (\(sent) sent before)")
                }
            }
        }
        let last = details.last ?? ""
        let earlier = skipped > 0 ? "; \(skipped) accepted by earlier attempts" : ""
        return .delivered(
            detail: "\(sent) SMS accepted (\(to.count) number(s) × \(parts.count) part(s))\(earlier); \(last)")
    }
}

/// One SMS part to one number, as a gateway sends it.
public struct SMSPart: Sendable, Hashable {
    public var message: OutgoingMessage
    public var to: String
    public var text: String
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(message: OutgoingMessage, to: String, text: String, index: Int, count: Int) {
        self.message = message
        self.to = to
        self.text = text
        self.index = index
        self.count = count
    }

    /// The message's template context plus `to`, `text` (this part), `part`, `parts`, `coding`
    /// (`gsm7`/`ucs2`), `isUnicode`.
    public var context: [String: Any] {
        var c = TemplateContext.make(message)
        c["to"] = to
        c["text"] = text
        c["part"] = index
        c["parts"] = count
        let coding = SMSText.coding(text)
        c["coding"] = coding == .gsm7 ? "gsm7" : "ucs2"
        c["isUnicode"] = coding == .ucs2
        return c
    }
}
