import EccCore
import XCTest

@testable import EccNotify

final class SMSTests: XCTestCase {
    func testGSMDetection() {
        XCTAssertEqual(SMSText.coding("CRIT core1: Interface Gi0/1 down (inc #12 P1)"), .gsm7)
        XCTAssertEqual(SMSText.coding("Ärger @ £5 é"), .gsm7)
        XCTAssertEqual(SMSText.coding("{x} [y] ~ | ^ € \\"), .gsm7)
        XCTAssertEqual(SMSText.coding("核心"), .ucs2)
        XCTAssertEqual(SMSText.coding("ok 👍"), .ucs2)
        XCTAssertEqual(SMSText.coding("á"), .ucs2)  // not in GSM 03.38 (à is)
        XCTAssertEqual(SMSText.length("a{b}€", .gsm7), 8)
        XCTAssertEqual(SMSText.length("a👍", .ucs2), 3)
    }

    func testGSMBoundaries() {
        let s160 = String(repeating: "a", count: 160)
        XCTAssertEqual(SMSText.split(s160), [s160])
        let s161 = String(repeating: "a", count: 161)
        let parts = SMSText.split(s161)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts.map { SMSText.length($0, .gsm7) }.max(), 153)
        XCTAssertTrue(parts[0].hasPrefix("(1/2) ") && parts[1].hasPrefix("(2/2) "))
        XCTAssertEqual(parts.map { String($0.dropFirst(6)) }.joined(), s161)
        // Extension characters count twice: 80 braces are 160 septets (one SMS), 81 are not.
        XCTAssertEqual(SMSText.split(String(repeating: "{", count: 80)).count, 1)
        let ext = SMSText.split(String(repeating: "{", count: 81), numbered: false)
        XCTAssertEqual(ext.count, 2)
        XCTAssertEqual(ext.map { SMSText.length($0, .gsm7) }, [152, 10])  // an ESC pair is never split
    }

    func testUCS2Boundaries() {
        let s70 = String(repeating: "中", count: 70)
        XCTAssertEqual(SMSText.split(s70), [s70])
        let s71 = String(repeating: "中", count: 71)
        let parts = SMSText.split(s71)
        XCTAssertEqual(parts.count, 2)
        for p in parts { XCTAssertLessThanOrEqual(p.utf16.count, 67) }
        XCTAssertEqual(parts.map { String($0.dropFirst(6)) }.joined(), s71)
        // Emoji take two UTF-16 units: 35 fit one SMS, 36 do not, and no pair is split.
        XCTAssertEqual(SMSText.split(String(repeating: "😀", count: 35)).count, 1)
        let e = SMSText.split(String(repeating: "😀", count: 36), numbered: false)
        XCTAssertEqual(e.map(\.utf16.count), [66, 6])
        XCTAssertEqual(e.joined(), String(repeating: "😀", count: 36))
    }

    func testWordBoundaries() {
        let words = (1...40).map { "word\($0)" }.joined(separator: " ")
        let parts = SMSText.split(words)
        XCTAssertGreaterThan(parts.count, 1)
        for p in parts {
            XCTAssertLessThanOrEqual(SMSText.length(p, .gsm7), 153)
            XCTAssertFalse(p.hasSuffix(" "))
            let body = p.drop { $0 != ")" }.dropFirst(2)
            XCTAssertTrue(body.hasPrefix("word"), String(body))
        }
        XCTAssertEqual(parts.map { String($0.drop { $0 != ")" }.dropFirst(2)) }.joined(separator: " "), words)
    }

    func testKannelRequestURL() throws {
        let dlr = try NotificationTemplate("http://ecc:8080/v1/sms/dlr?id={{id}}&s=%d", escaping: .url)
        let k = KannelGateway(
            url: "http://127.0.0.1:13013/cgi-bin/sendsms", username: "ecc", password: "p&w", from: "ECC", smsc: "fake",
            dlrMask: 31, dlrURL: dlr)
        let m = Fixtures.message()
        let ascii = k.requestURL(SMSPart(message: m, to: "+8613800000000", text: "CRIT core1: a b", index: 1, count: 1))
        XCTAssertEqual(
            ascii,
            "http://127.0.0.1:13013/cgi-bin/sendsms?username=ecc&password=p%26w&from=ECC&to=%2B8613800000000"
                + "&text=CRIT%20core1%3A%20a%20b&charset=UTF-8&dlr-mask=31"
                + "&dlr-url=http%3A%2F%2Fecc%3A8080%2Fv1%2Fsms%2Fdlr%3Fid%3Decc-1f3a9c2e-42%26s%3D%25d&smsc=fake")
        let chinese = k.requestURL(SMSPart(message: m, to: "+86138", text: "中", index: 1, count: 1))
        XCTAssertTrue(chinese.contains("&text=%E4%B8%AD&charset=UTF-8&coding=2&"), chinese)
    }

    func testSuccessRule() throws {
        let rule = HTTPSMSGateway.SuccessRule(
            statuses: [200], bodyContains: "\"ok\"", bodyMatches: try Pattern("\"code\":\\s*0"))
        XCTAssertNil(rule.failure(status: 200, body: #"{"status":"ok","code": 0}"#))
        XCTAssertNotNil(rule.failure(status: 200, body: #"{"status":"ok","code": 5}"#))
        XCTAssertNotNil(rule.failure(status: 201, body: #"{"status":"ok","code": 0}"#))
    }
}
