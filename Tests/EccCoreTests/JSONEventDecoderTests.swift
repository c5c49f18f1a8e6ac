import EccCore
import Testing

@Suite("JSON event decoding")
struct JSONEventDecoderTests {
    let now = EventTime(nanoseconds: 42)

    @Test("decodes every field, typed attributes and escapes")
    func full() throws {
        let e = try JSONEventDecoder.decodeEvent(
            #"{"time":"2026-11-25T10:00:00Z","source":"snmp","host":"sw1","type":"linkDown","severity":"major","#
                + #""summary":"port \"7\" down\n","attributes":{"ifIndex":7,"speed":1.5,"up":false,"name":"Gi0/7 \u00e9"}}"#,
            receivedAt: now)
        #expect(e.time == RFC3339.parse("2026-11-25T10:00:00Z"))
        #expect(e.receivedAt == now)
        #expect(e.source == "snmp" && e.host == "sw1" && e.type == "linkDown" && e.severity == .major)
        #expect(e.summary == "port \"7\" down\n")
        #expect(e.attributes["ifIndex"] == .int(7))
        #expect(e.attributes["speed"] == .double(1.5))
        #expect(e.attributes["up"] == .bool(false))
        #expect(e.attributes["name"] == .string("Gi0/7 é"))
    }

    @Test("defaults: time is the receive time, severity info, host empty")
    func defaults() throws {
        let e = try JSONEventDecoder.decodeEvent(#"{"source":"a","type":"b"}"#, receivedAt: now)
        #expect(e.time == now && e.severity == .info && e.host == "" && e.attributes.isEmpty)
    }

    @Test("epoch seconds are accepted as time")
    func epoch() throws {
        let e = try JSONEventDecoder.decodeEvent(#"{"source":"a","type":"b","time":1.5}"#, receivedAt: now)
        #expect(e.time.nanoseconds == 1_500_000_000)
    }

    @Test(
        "errors name the field and the problem",
        arguments: [
            (#"{"type":"b"}"#, "source", "required"),
            (#"{"source":"a"}"#, "type", "required"),
            (#"{"source":"a","type":"b","severity":"huge"}"#, "severity", "unknown severity 'huge'"),
            (#"{"source":"a","type":"b","time":"yesterday"}"#, "time", "RFC 3339"),
            (#"{"source":"a","type":"b","colour":"red"}"#, "colour", "unknown field"),
            (#"{"source":"a","type":"b","attributes":{"x":{"y":1}}}"#, "attributes.x", "found an object"),
            (#"{"source":"a","type":"b","attributes":[1]}"#, "attributes", "name: value"),
            (#"{"source":true,"type":"b"}"#, "source", "expected a string"),
        ])
    func fieldErrors(json: String, field: String, message: String) {
        #expect {
            try JSONEventDecoder.decodeEvent(json, receivedAt: now)
        } throws: { error in
            guard let e = error as? EventDecodingError else { return false }
            return e.field == field && e.description.contains(message)
        }
    }

    @Test("eccd's own source is refused from outside, accepted from eccd's own store")
    func reservedSource() throws {
        let json = #"[{"source":"a","type":"b"},{"source":"eccd","type":"storeWritable"}]"#
        #expect {
            try json.utf8CString.withUnsafeBytes { raw in
                try JSONEventDecoder.decodeEvents(
                    UnsafeRawBufferPointer(rebasing: raw.dropLast()), receivedAt: now, limits: .outside)
            }
        } throws: { error in
            let e = error as? EventDecodingError
            return e?.reason == .reservedSource && e?.index == 1 && e?.field == "source"
        }
        #expect(try JSONEventDecoder.decodeEvent(#"{"source":"eccd","type":"x"}"#, receivedAt: now).source == "eccd")
    }

    @Test("syntax errors say where", arguments: [#"{"source":"a""#, "not json", #"{"source":"a","type":"b"} x"#, ""])
    func syntaxErrors(json: String) {
        #expect(throws: EventDecodingError.self) { try JSONEventDecoder.decodeEvent(json, receivedAt: now) }
    }

    @Test("arrays decode in order; an error names the event's index")
    func arrays() throws {
        var text = #"[{"source":"a","type":"1"},{"source":"a","type":"2"}]"#
        let events = try text.withUTF8 {
            try JSONEventDecoder.decodeEvents(UnsafeRawBufferPointer($0), receivedAt: now)
        }
        #expect(events.map(\.type) == ["1", "2"])
        var bad = #"[{"source":"a","type":"1"},{"source":"a","type":"2","severity":"x"}]"#
        #expect {
            try bad.withUTF8 { try JSONEventDecoder.decodeEvents(UnsafeRawBufferPointer($0), receivedAt: now) }
        } throws: { ($0 as? EventDecodingError)?.index == 1 && ($0 as? EventDecodingError)?.field == "severity" }
    }

    @Test("what JSONWriter writes, the decoder reads back")
    func roundTrip() throws {
        let original = Event(
            time: EventTime(nanoseconds: 1_795_600_800_000_000_000), source: "s", host: "h\"1", type: "t",
            severity: .critical, summary: "tab\there", attributes: ["n": .int(-3), "s": .string("ü"), "b": .bool(true)])
        var w = JSONWriter()
        w.write(original)
        let back = try JSONEventDecoder.decodeEvent(w.string, receivedAt: now)
        #expect(back.source == original.source && back.host == original.host && back.summary == original.summary)
        #expect(back.time == original.time && back.severity == .critical && back.attributes == original.attributes)
    }
}
