import EccCore
import Foundation

/// E-mail over SMTP: a `multipart/alternative` message (text and HTML) rendered from the receiver's
/// templates, sent to every `to`, `cc` and `bcc` address in one SMTP transaction.
package struct EmailChannel: Channel {
    /// The receiver's templates.
    package struct Templates: Sendable {
        package var subject: NotificationTemplate
        package var text: NotificationTemplate
        package var html: NotificationTemplate

        package init(subject: NotificationTemplate, text: NotificationTemplate, html: NotificationTemplate) {
            self.subject = subject
            self.text = text
            self.html = html
        }

        /// The shipped defaults (``DefaultTemplates``).
        package static func defaults() -> Templates {
            // The defaults are tested; a failure here would be a bug caught by the unit tests.
            let s = (try? NotificationTemplate(DefaultTemplates.subject, escaping: .text))
            let t = (try? NotificationTemplate(DefaultTemplates.text, escaping: .text))
            let h = (try? NotificationTemplate(DefaultTemplates.html, escaping: .html))
            guard let s, let t, let h else { preconditionFailure("the default e-mail templates do not compile") }
            return Templates(subject: s, text: t, html: h)
        }
    }

    /// `From:` and the envelope sender (`Name <addr>` or a bare address).
    package var from: String
    package var to: [String]
    package var cc: [String]
    /// Envelope recipients only: never in a header.
    package var bcc: [String]
    /// The host part of `Message-ID: <ID@HOST>`.
    package var messageIDDomain: String
    package var templates: Templates
    package var smtp: SMTPTransport

    package init(
        from: String, to: [String], cc: [String] = [], bcc: [String] = [], messageIDDomain: String? = nil,
        templates: Templates, smtp: SMTPTransport
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.messageIDDomain = messageIDDomain ?? MIME.domain(from) ?? "ecc.invalid"
        self.templates = templates
        self.smtp = smtp
    }

    package var kind: String { "email" }

    /// Every envelope recipient (to, cc, bcc; bare addresses, duplicates removed).
    package var recipients: [String] {
        var seen = Set<String>()
        return (to + cc + bcc).map(MIME.address).filter { seen.insert($0.lowercased()).inserted }
    }

    package func deliver(_ message: OutgoingMessage) -> DeliveryResult {
        let now = EventTime(seconds: Date().timeIntervalSince1970)
        return smtp.send(from: MIME.address(from), recipients: recipients, message: compose(message, date: now))
    }

    /// The RFC 5322 message for `message`, dated `date`.
    package func compose(_ message: OutgoingMessage, date: EventTime) -> [UInt8] {
        let ctx = TemplateContext.make(message)
        let subject = templates.subject.render(ctx).split(whereSeparator: \.isNewline).joined(separator: " ")
        var headers: [(String, String)] = [
            ("From", MIME.mailboxHeader(from)),
            ("To", to.isEmpty ? "undisclosed-recipients:;" : to.map(MIME.mailboxHeader).joined(separator: ", ")),
        ]
        if !cc.isEmpty { headers.append(("Cc", cc.map(MIME.mailboxHeader).joined(separator: ", "))) }
        headers += [
            ("Subject", MIME.headerValue(subject.trimmingCharacters(in: " "))),
            ("Date", MIME.date(date)),
            ("Message-ID", "<\(MIME.singleLine(message.id))@\(messageIDDomain)>"),
            ("Auto-Submitted", "auto-generated"),
            ("X-ECC-Notification", MIME.singleLine(message.id)),
        ]
        let boundary = "=_ecc_" + String(UInt64(truncatingIfNeeded: Self.fnv(message.id)), radix: 16)
        return MIME.alternative(
            headers: headers, text: Self.crlf(templates.text.render(ctx)), html: Self.crlf(templates.html.render(ctx)),
            boundary: boundary)
    }

    /// Line ends as CRLF (the parts are base64, so this is for the reader's client).
    static func crlf(_ s: String) -> String {
        s.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: "\r\n")
    }

    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
