import EccCore
import Logging

/// SMS through Kannel's `sendsms` interface or a commercial HTTP gateway. The text template's output is
/// split into parts (``SMSText/split(_:numbered:)``); each part goes to each number as its own request,
/// numbers in order, parts in order. The first failure stops the delivery and decides the result; a
/// retry sends every part to every number again (a gateway has no idempotency key for SMS).
package struct SMSChannel: Channel {
    /// Where the parts go.
    package enum Gateway: Sendable {
        case kannel(KannelGateway)
        case http(HTTPSMSGateway)
    }

    /// Phone numbers, e.g. `+8613800000000`.
    package var to: [String]
    package var text: NotificationTemplate
    /// `(1/3) ` before each part of a long text.
    package var numbered: Bool
    /// The most parts sent for one message; the rest is dropped (logged).
    package var maxParts: Int
    package var gateway: Gateway
    var logger: Logger

    package init(
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

    package var kind: String { "sms" }

    /// The parts of the message's text (after `max_parts`).
    package func parts(_ message: OutgoingMessage) -> [String] {
        let all = SMSText.split(text.render(TemplateContext.make(message)), numbered: numbered)
        if all.count > maxParts {
            logger.warning(
                "SMS text has \(all.count) parts; sending the first \(maxParts) (max_parts)",
                metadata: ["id": "\(message.id)"])
        }
        return Array(all.prefix(maxParts))
    }

    package func deliver(_ message: OutgoingMessage) -> DeliveryResult { deliver(message, accepted: { _ in }) }

    /// One request per number and part; parts an earlier attempt got accepted (``OutgoingMessage/done``,
    /// keys `NUMBER#I/N`) are not sent again, so a retry after a failure halfway does not duplicate SMS.
    package func deliver(_ message: OutgoingMessage, accepted: (String) -> Void) -> DeliveryResult {
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
package struct SMSPart: Sendable, Hashable {
    package var message: OutgoingMessage
    package var to: String
    package var text: String
    /// 1-based.
    package var index: Int
    package var count: Int

    package init(message: OutgoingMessage, to: String, text: String, index: Int, count: Int) {
        self.message = message
        self.to = to
        self.text = text
        self.index = index
        self.count = count
    }

    /// The message's template context plus `to`, `text` (this part), `part`, `parts`, `coding`
    /// (`gsm7`/`ucs2`), `isUnicode`.
    package var context: [String: Any] {
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
