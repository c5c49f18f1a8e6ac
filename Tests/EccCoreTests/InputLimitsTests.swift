import EccCore
import Testing

/// The crash classes of the edge review, each as a refusal with a reason instead of a trap or a wrap-around.
@Suite("Hostile events")
struct InputLimitsTests {
    let now = EventTime(nanoseconds: 1_795_600_800_000_000_000)

    func refusal(_ json: String, limits: InputLimits = .standard) -> EventDecodingError? {
        do {
            _ = try JSONEventDecoder.decodeEvents(json, limits: limits, now: now)
            return nil
        } catch { return error }
    }

    @Test(
        "a numeric time outside 1970–2262 is refused as time_range, never trapped or wrapped",
        arguments: [
            "1e10", "10000000000", "9223372036854775807e3", "-1e19", "1e300", "99999999999999999999",
            "-99999999999999999999", "-1", "-1795600800000",
        ])
    func epochOutOfRange(time: String) throws {
        let e = try #require(refusal(#"{"source":"a","host":"b","type":"c","time":\#(time)}"#))
        #expect(e.reason == .timeRange)
        #expect(e.field == "time")
        #expect(e.message.contains("1970-01-01"))
    }

    @Test(
        "epoch seconds, milliseconds, microseconds and nanoseconds mean the same instant",
        arguments: [
            "1795600800", "1795600800.0", "1795600800000", "1795600800000.0", "1795600800000000",
            "1795600800000000000",
        ])
    func epochUnits(time: String) throws {
        let e = try JSONEventDecoder.decodeEvent(#"{"source":"a","type":"c","time":\#(time)}"#, receivedAt: now)
        #expect(e.time == EventTime(nanoseconds: 1_795_600_800_000_000_000))
    }

    @Test("Python's time.time()*1000 is read as milliseconds")
    func pythonMilliseconds() throws {
        let e = try JSONEventDecoder.decodeEvent(
            #"{"source":"a","type":"c","time":1795600800123.456}"#, receivedAt: now)
        #expect(e.time.nanoseconds == 1_795_600_800_123_456_000)
    }

    @Test(
        "an RFC 3339 date that does not exist or lies outside the range is refused as time_range",
        arguments: [
            "9999-12-31T00:00:00Z", "2262-04-12T00:00:00Z", "1677-09-20T00:00:00Z", "1700-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "2026-02-31T00:00:00Z", "2023-02-29T00:00:00Z",
            "2026-04-31T12:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T10:00:00+24:00", "2026-11-25T10:30:60Z",
        ])
    func dateOutOfRange(time: String) throws {
        let e = try #require(refusal(#"{"source":"a","type":"c","time":"\#(time)"}"#))
        #expect(e.reason == .timeRange)
        #expect(e.message.contains(time))
    }

    @Test("the edges of the range are accepted and formatted back")
    func rangeEdges() throws {
        #expect(RFC3339.parse("2262-04-11T23:47:16Z") != nil)
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == .earliest)
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parse("2016-12-31T23:59:60Z") == RFC3339.parse("2017-01-01T00:00:00Z"))
        #expect(RFC3339.format(.latest) == "2262-04-11T23:47:16.854Z")
        #expect(RFC3339.parse(RFC3339.format(.earliest)) == .earliest)
        #expect(EventTime.latest.adding(nanoseconds: 1) == .latest)
        #expect(EventTime.earliest.adding(nanoseconds: -1) == .earliest)
        #expect(EventTime(nanoseconds: 5).adding(nanoseconds: .min) == .earliest)
        // 10¹⁷ − 1 is microseconds (year 5138 … refused), 10¹⁷ nanoseconds (1973): compared exactly.
        #expect(EventTime.epoch(Int64(99_999_999_999_999_999)) == nil)
        #expect(EventTime.epoch(Int64(100_000_000_000_000_000))?.nanoseconds == 100_000_000_000_000_000)
    }

    @Test("a deeply nested receivedAt is refused as json_depth, not by exhausting the stack")
    func deepNesting() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let e = try #require(refusal(#"{"source":"a","type":"c","receivedAt":\#(deep)}"#))
        #expect(e.reason == .depth)
        let ok = String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
        #expect(refusal(#"{"source":"a","type":"c","receivedAt":\#(ok)}"#) == nil)
    }

    @Test("attributes past the limit are refused; below it duplicates still replace, in linear time")
    func attributeCap() throws {
        func event(_ n: Int, duplicate: Bool = false) -> String {
            var attrs = (0..<n).map { #""k\#($0)":\#($0)"# }
            if duplicate { attrs.append(#""k3":"again""#) }
            return #"{"source":"a","type":"c","attributes":{\#(attrs.joined(separator: ","))}}"#
        }
        #expect(refusal(event(256)) == nil)
        let e = try #require(refusal(event(257)))
        #expect(e.reason == .attributes)
        let small = InputLimits(maxDepth: 32, maxAttributes: 8, maxStringBytes: 1024)
        #expect(refusal(event(9), limits: small)?.reason == .attributes)
        let decoded = try JSONEventDecoder.decodeEvent(event(100, duplicate: true), receivedAt: now)
        #expect(decoded.attributes.count == 100)
        #expect(decoded.attributes["k3"] == .string("again"))
        // 100,000 attributes under a raised limit: linear, so this returns (quadratic took minutes).
        let many = InputLimits(maxDepth: 32, maxAttributes: 100_000, maxStringBytes: 1024)
        let big = try JSONEventDecoder.decodeEvent(event(100_000), receivedAt: now, limits: many)
        #expect(big.attributes.count == 100_000)
    }

    @Test("a string longer than the limit is refused as string_length, escaped or not")
    func longString() throws {
        let limits = InputLimits(maxDepth: 32, maxAttributes: 16, maxStringBytes: 100)
        let long = String(repeating: "x", count: 101)
        #expect(refusal(#"{"source":"a","type":"c","summary":"\#(long)"}"#, limits: limits)?.reason == .stringLength)
        #expect(
            refusal(#"{"source":"a","type":"c","summary":"\n\#(long)"}"#, limits: limits)?.reason == .stringLength)
        #expect(
            refusal(#"{"source":"a","type":"c","attributes":{"\#(long)":1}}"#, limits: limits)?.reason
                == .stringLength)
        #expect(refusal(#"{"source":"a","type":"c","summary":"\#(long.dropLast())"}"#, limits: limits) == nil)
    }
}

extension JSONEventDecoder {
    fileprivate static func decodeEvents(_ text: String, limits: InputLimits, now: EventTime)
        throws(EventDecodingError) -> [Event]
    {
        var copy = text
        let result: Result<[Event], EventDecodingError> = copy.withUTF8 { buf in
            do throws(EventDecodingError) {
                return .success(try decodeEvents(UnsafeRawBufferPointer(buf), receivedAt: now, limits: limits))
            } catch { return .failure(error) }
        }
        return try result.get()
    }
}
