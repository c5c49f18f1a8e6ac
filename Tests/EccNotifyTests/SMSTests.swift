import EccCore
import Foundation
import Testing

@testable import EccNotify

@Suite("SMS text and gateways")
struct SMSTests {
    @Test("GSM 03.38 text is GSM-7 (extension characters count twice), anything else UCS-2 in UTF-16 units")
    func gsmDetection() {
        #expect(SMSText.coding("CRIT core1: Interface Gi0/1 down (inc #12 P1)") == .gsm7)
        #expect(SMSText.coding("Ärger @ £5 é") == .gsm7)
        #expect(SMSText.coding("{x} [y] ~ | ^ € \\") == .gsm7)
        #expect(SMSText.coding("核心") == .ucs2)
        #expect(SMSText.coding("ok 👍") == .ucs2)
        #expect(SMSText.coding("á") == .ucs2)  // not in GSM 03.38 (à is)
        #expect(SMSText.length("a{b}€", .gsm7) == 8)
        #expect(SMSText.length("a👍", .ucs2) == 3)
    }

    @Test("GSM-7: 160 septets are one SMS, 161 two numbered parts of at most 153; an escape pair is never split")
    func gsmBoundaries() {
        let s160 = String(repeating: "a", count: 160)
        #expect(SMSText.split(s160) == [s160])
        let s161 = String(repeating: "a", count: 161)
        let parts = SMSText.split(s161)
        #expect(parts.count == 2)
        #expect(parts.map { SMSText.length($0, .gsm7) }.max() == 153)
        #expect(parts[0].hasPrefix("(1/2) ") && parts[1].hasPrefix("(2/2) "))
        #expect(parts.map { String($0.dropFirst(6)) }.joined() == s161)
        // Extension characters count twice: 80 braces are 160 septets (one SMS), 81 are not.
        #expect(SMSText.split(String(repeating: "{", count: 80)).count == 1)
        let ext = SMSText.split(String(repeating: "{", count: 81), numbered: false)
        #expect(ext.count == 2)
        #expect(ext.map { SMSText.length($0, .gsm7) } == [152, 10])  // an ESC pair is never split
    }

    @Test("UCS-2: 70 characters are one SMS, 71 two parts of at most 67 units; a surrogate pair is never split")
    func ucs2Boundaries() {
        let s70 = String(repeating: "中", count: 70)
        #expect(SMSText.split(s70) == [s70])
        let s71 = String(repeating: "中", count: 71)
        let parts = SMSText.split(s71)
        #expect(parts.count == 2)
        for p in parts { #expect(p.utf16.count <= 67) }
        #expect(parts.map { String($0.dropFirst(6)) }.joined() == s71)
        // Emoji take two UTF-16 units: 35 fit one SMS, 36 do not, and no pair is split.
        #expect(SMSText.split(String(repeating: "😀", count: 35)).count == 1)
        let e = SMSText.split(String(repeating: "😀", count: 36), numbered: false)
        #expect(e.map(\.utf16.count) == [66, 6])
        #expect(e.joined() == String(repeating: "😀", count: 36))
    }

    @Test("a long text splits between words: no part ends with a space or starts mid-word, and the words join back")
    func wordBoundaries() {
        let words = (1...40).map { "word\($0)" }.joined(separator: " ")
        let parts = SMSText.split(words)
        #expect(parts.count > 1)
        for p in parts {
            #expect(SMSText.length(p, .gsm7) <= 153)
            #expect(!p.hasSuffix(" "))
            let body = p.drop { $0 != ")" }.dropFirst(2)
            #expect(body.hasPrefix("word"), "\(body)")
        }
        #expect(parts.map { String($0.drop { $0 != ")" }.dropFirst(2)) }.joined(separator: " ") == words)
    }

    @Test("Kannel's sendsms URL: every parameter percent-encoded, DLR mask and URL, SMSC; coding=2 for Chinese text")
    func kannelRequestURL() throws {
        let dlr = try NotificationTemplate("http://ecc:8080/v1/sms/dlr?id={{id}}&s=%d", escaping: .url)
        let k = KannelGateway(
            url: "http://127.0.0.1:13013/cgi-bin/sendsms", username: "ecc", password: "p&w", from: "ECC", smsc: "fake",
            dlrMask: 31, dlrURL: dlr)
        let m = Fixtures.message()
        let ascii = k.requestURL(SMSPart(message: m, to: "+8613800000000", text: "CRIT core1: a b", index: 1, count: 1))
        #expect(
            ascii
                == "http://127.0.0.1:13013/cgi-bin/sendsms?username=ecc&password=p%26w&from=ECC&to=%2B8613800000000"
                + "&text=CRIT%20core1%3A%20a%20b&charset=UTF-8&dlr-mask=31"
                + "&dlr-url=http%3A%2F%2Fecc%3A8080%2Fv1%2Fsms%2Fdlr%3Fid%3Decc-1f3a9c2e-42%26s%3D%25d&smsc=fake")
        let chinese = k.requestURL(SMSPart(message: m, to: "+86138", text: "中", index: 1, count: 1))
        #expect(chinese.contains("&text=%E4%B8%AD&charset=UTF-8&coding=2&"), "\(chinese)")
    }

    @Test("an HTTP gateway's success rule needs an allowed status, the body text and the body pattern")
    func successRule() throws {
        let rule = HTTPSMSGateway.SuccessRule(
            statuses: [200], bodyContains: "\"ok\"", bodyMatches: try Pattern("\"code\":\\s*0"))
        #expect(rule.failure(status: 200, body: #"{"status":"ok","code": 0}"#) == nil)
        #expect(rule.failure(status: 200, body: #"{"status":"ok","code": 5}"#) != nil)
        #expect(rule.failure(status: 201, body: #"{"status":"ok","code": 0}"#) != nil)
    }
}
