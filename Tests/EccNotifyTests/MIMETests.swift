import EccCore
import EccTestSupport
import Foundation
import Testing

@testable import EccNotify

@Suite("MIME composition")
struct MIMETests {
    @Test("base64 pads short input and agrees with Foundation's encoder")
    func base64() {
        #expect(MIME.base64(Array("".utf8)) == "")
        #expect(MIME.base64(Array("f".utf8)) == "Zg==")
        #expect(MIME.base64(Array("fo".utf8)) == "Zm8=")
        #expect(MIME.base64(Array("foobar".utf8)) == "Zm9vYmFy")
        let bytes = (0..<300).map { UInt8($0 % 256) }
        #expect(MIME.base64(bytes) == Data(bytes).base64EncodedString())
    }

    @Test("RFC 5322 dates in UTC, the epoch and a leap day included")
    func date() {
        #expect(MIME.date(Fixtures.t0) == "Thu, 03 Dec 2026 10:00:00 +0000")
        #expect(MIME.date(EventTime(seconds: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MIME.date(EventTime(seconds: 951_825_600)) == "Tue, 29 Feb 2000 12:00:00 +0000")
    }

    @Test("a long non-ASCII subject splits into encoded words of ≤ 75 characters, each valid UTF-8; no CRLF injection")
    func encodedWordsSplitOnCharacters() throws {
        let subject = "[ECC] 严重: 核心交换机 core1 接口 Gi0/1 中断，影响北京机房全部业务 👩‍💻 (+2 more)"
        let words = MIME.encodedWords(subject)
        #expect(words.count > 1)
        var decoded = ""
        for w in words {
            #expect(w.count <= 75, "\(w)")
            #expect(w.hasPrefix("=?UTF-8?B?") && w.hasSuffix("?="))
            let b64 = String(w.dropFirst(10).dropLast(2))
            let data = try #require(Data(base64Encoded: b64))
            // Every word is valid UTF-8 on its own: no character was split.
            decoded += try #require(String(data: data, encoding: .utf8))
        }
        #expect(decoded == subject)
        #expect(MIME.headerValue("plain ascii") == "plain ascii")
        #expect(MIME.headerValue("a\r\nBcc: evil@x") == "a Bcc: evil@x")
    }

    @Test("the address and domain of a mailbox; a non-ASCII display name is encoded, the address kept")
    func addresses() {
        #expect(MIME.address("ECC <ecc@example.com>") == "ecc@example.com")
        #expect(MIME.address("noc@example.com") == "noc@example.com")
        #expect(MIME.domain("ECC <ecc@example.com>") == "example.com")
        #expect(MIME.mailboxHeader("值班 <noc@example.com>").hasPrefix("=?UTF-8?B?"))
        #expect(MIME.mailboxHeader("值班 <noc@example.com>").hasSuffix(" <noc@example.com>"))
    }

    func channel(_ subject: String? = nil) throws -> EmailChannel {
        var templates = EmailChannel.Templates.defaults()
        if let subject { templates.subject = try NotificationTemplate(subject, escaping: .text) }
        return EmailChannel(
            from: "ECC <ecc@example.com>", to: ["noc@example.com", "Oncall <oncall@example.com>"],
            cc: ["boss@example.com"], bcc: ["audit@example.com"], templates: templates,
            smtp: SMTPTransport(url: "smtp://127.0.0.1:1"))
    }

    @Test("a composed message: CRLF lines, its headers (no Bcc), text and HTML parts, the same bytes on a retry")
    func composedMessageParsesBack() throws {
        let ch = try channel()
        let m = Fixtures.message(alarms: [
            Fixtures.alarm(), Fixtures.alarm(8, severity: .major, summary: "BGP <down>"),
        ])
        let bytes = ch.compose(m, date: Fixtures.t0)
        let text = String(decoding: bytes, as: UTF8.self)
        // CRLF only, lines ≤ 998 (here ≤ 78).
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 998) }
        let parsed = try MailParser.parse(bytes)
        #expect(parsed.header("From") == "ECC <ecc@example.com>")
        #expect(parsed.header("To") == "noc@example.com, Oncall <oncall@example.com>")
        #expect(parsed.header("Cc") == "boss@example.com")
        #expect(parsed.header("Bcc") == nil)
        #expect(parsed.header("Subject") == "[ECC] CRITICAL: Interface Gi0/1 down on core1 (+1 more)")
        #expect(parsed.header("Message-ID") == "<ecc-1f3a9c2e-42@example.com>")
        #expect(parsed.header("Date") == "Thu, 03 Dec 2026 10:00:00 +0000")
        #expect(parsed.header("Auto-Submitted") == "auto-generated")
        #expect(parsed.header("X-ECC-Notification") == "ecc-1f3a9c2e-42")
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.header("Content-Type")?.hasPrefix("multipart/alternative") == true)
        #expect(parsed.parts.map(\.type) == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
        #expect(parsed.parts[0].body.contains("1. [CRITICAL] Interface Gi0/1 down on core1"))
        #expect(parsed.parts[0].body.contains("First seen: 2026-12-03T10:00:00Z"))
        #expect(parsed.parts[0].body.contains("Incident:   incident #12 P1"))
        #expect(parsed.parts[0].body.contains("BGP <down>"))
        #expect(parsed.parts[1].body.contains("BGP &lt;down&gt;"))
        #expect(!parsed.parts[1].body.contains("BGP <down>"))
        #expect(
            ch.recipients == ["noc@example.com", "oncall@example.com", "boss@example.com", "audit@example.com"])
        // The same id gives the same message (retries).
        #expect(ch.compose(m, date: Fixtures.t0) == bytes)
    }

    @Test("a Chinese subject and body survive composition, read back by this parser and by Python's e-mail package")
    func chineseSubjectAndBody() throws {
        let ch = try channel()
        let summary = "核心交换机接口中断，影响北京机房全部业务，请立即处理（第二次通知）"
        let m = Fixtures.message(alarms: [Fixtures.alarm(summary: summary, host: "北京-core1")])
        let parsed = try MailParser.parse(ch.compose(m, date: Fixtures.t0))
        #expect(parsed.header("Subject") == "[ECC] CRITICAL: \(summary) on 北京-core1")
        #expect(parsed.parts[0].body.contains(summary))
        #expect(parsed.parts[1].body.contains(summary))
        // Python's e-mail parser agrees (an independent RFC 2047 / MIME decoder).
        let py = try PythonMail.parse(ch.compose(m, date: Fixtures.t0))
        #expect((py["subject"] as? String) == "[ECC] CRITICAL: \(summary) on 北京-core1")
        #expect((py["text"] as? String)?.contains(summary) == true)
        #expect((py["defects"] as? Int) == 0)
    }

    @Test("the default subject for a resolved, an escalated, a digest and a test message")
    func subjectsByKind() throws {
        let ch = try channel()
        func subject(_ m: OutgoingMessage) throws -> String? {
            try MailParser.parse(ch.compose(m, date: Fixtures.t0)).header("Subject")
        }
        #expect(
            try subject(Fixtures.message(.resolved, alarms: [Fixtures.alarm(state: .cleared)]))
                == "[ECC] RESOLVED: Interface Gi0/1 down on core1")
        #expect(
            try subject(Fixtures.message(.escalation, step: 2))
                == "[ECC] ESCALATION step 2: Interface Gi0/1 down on core1")
        let held = (0..<37).map {
            HeldMessage(
                id: "ecc-x-\($0)", kind: .firing, route: "core", line: "Link down \($0)", createdAt: Fixtures.t0)
        }
        #expect(
            try subject(Fixtures.message(.digest, alarms: [], held: held))
                == "[ECC] Digest: 37 notifications held by the rate limit")
        #expect(
            try subject(Fixtures.message(.test, alarms: [])) == "[ECC] TEST: test message for receiver noc-email")
    }
}

/// A small MIME reader for the tests: unfolds headers, decodes RFC 2047 B words and base64 parts.
struct MailParser {
    var headers: [(String, String)] = []
    var parts: [(type: String, body: String)] = []

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    struct Failure: Error { var why: String }

    static func parse(_ bytes: [UInt8]) throws -> MailParser {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(why: "no header end") }
        var p = MailParser()
        p.headers = try headerList(String(text[..<split.lowerBound]))
        guard let ct = p.header("Content-Type"), let b = ct.components(separatedBy: "boundary=\"").last?.dropLast()
        else { throw Failure(why: "no boundary") }
        let body = String(text[split.upperBound...])
        for chunk in body.components(separatedBy: "--\(b)").dropFirst() where !chunk.hasPrefix("--") {
            guard let hs = chunk.range(of: "\r\n\r\n") else { throw Failure(why: "part without headers") }
            let ph = try headerList(String(chunk[chunk.index(after: chunk.startIndex)..<hs.lowerBound]))
            let b64 = chunk[hs.upperBound...].replacingOccurrences(of: "\r\n", with: "")
            guard let data = Data(base64Encoded: b64), let s = String(data: data, encoding: .utf8) else {
                throw Failure(why: "part is not base64 UTF-8")
            }
            p.parts.append((ph.first { $0.0 == "Content-Type" }?.1 ?? "", s))
        }
        return p
    }

    static func headerList(_ block: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for line in block.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last = out.popLast() {
                out.append((last.0, last.1 + "\r\n" + line))
            } else if let colon = line.firstIndex(of: ":") {
                out.append((String(line[..<colon]), String(line[line.index(after: colon)...].dropFirst())))
            } else {
                throw Failure(why: "bad header line '\(line)'")
            }
        }
        return try out.map { ($0.0, try decodeWords($0.1)) }
    }

    /// Encoded words separated by folding whitespace join without it (RFC 2047 §6.2).
    static func decodeWords(_ value: String) throws -> String {
        let unfolded = value.replacingOccurrences(of: "?=\r\n =?", with: "?==?").replacingOccurrences(
            of: "\r\n ", with: " ")
        var out = ""
        var rest = Substring(unfolded)
        while let start = rest.range(of: "=?UTF-8?B?") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].range(of: "?=") else { throw Failure(why: "open word") }
            guard let data = Data(base64Encoded: String(rest[start.upperBound..<end.lowerBound])),
                let s = String(data: data, encoding: .utf8)
            else { throw Failure(why: "bad word") }
            out += s
            rest = rest[end.upperBound...]
        }
        return out + rest
    }
}

/// Parses a message with Python's `email` package (policy.default) and returns subject, text, html.
enum PythonMail {
    static let script = """
        import sys, json, email
        from email import policy
        m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
        out = {"subject": str(m["subject"]), "message_id": str(m["message-id"]), "defects": len(m.defects)}
        for part in m.walk():
            if part.get_content_type() == "text/plain": out["text"] = part.get_content()
            if part.get_content_type() == "text/html": out["html"] = part.get_content()
        print(json.dumps(out))
        """

    static func parse(_ bytes: [UInt8]) throws -> [String: Any] {
        let (_, out) = try ChildProcess.run(
            TestServers.python, ["-c", script], input: bytes, stderrPath: "/dev/null")
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]) ?? [:]
    }
}
