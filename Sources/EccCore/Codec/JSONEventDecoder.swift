/// Decodes events from JSON: one object per line for the TCP collector, one object or an array of objects
/// for `POST /v1/events`.
///
/// ```json
/// {"time": "2026-11-25T10:00:00Z", "source": "demo", "host": "sw1", "type": "linkDown",
///  "severity": "major", "summary": "port 7 down", "attributes": {"ifIndex": 7}}
/// ```
/// `source` and `type` are required; `host`, `severity` (default `info`), `summary` and `attributes` are
/// optional; `time` is RFC 3339 or epoch seconds and defaults to the receive time. Unknown fields are
/// refused so typos do not silently lose data.
public enum JSONEventDecoder {
    /// Decodes exactly one event object.
    public static func decodeEvent(_ bytes: UnsafeRawBufferPointer, receivedAt: EventTime)
        throws(EventDecodingError) -> Event
    {
        var s = JSONScanner(bytes)
        let event = try decodeObject(&s, receivedAt: receivedAt, index: nil)
        s.skipWhitespace()
        guard s.atEnd else {
            throw EventDecodingError(field: nil, message: "unexpected \(s.describeNext()) after the event", offset: s.index)
        }
        return event
    }

    /// Decodes one event object or an array of them.
    public static func decodeEvents(_ bytes: UnsafeRawBufferPointer, receivedAt: EventTime)
        throws(EventDecodingError) -> [Event]
    {
        var s = JSONScanner(bytes)
        var events: [Event] = []
        if s.consume(UInt8(ascii: "[")) {
            if !s.consume(UInt8(ascii: "]")) {
                repeat {
                    events.append(try decodeObject(&s, receivedAt: receivedAt, index: events.count))
                } while s.consume(UInt8(ascii: ","))
                do { try s.expect(UInt8(ascii: "]"), "',' or ']'") } catch {
                    throw EventDecodingError(field: nil, message: error.message, offset: error.offset)
                }
            }
        } else {
            events.append(try decodeObject(&s, receivedAt: receivedAt, index: nil))
        }
        s.skipWhitespace()
        guard s.atEnd else {
            throw EventDecodingError(field: nil, message: "unexpected \(s.describeNext()) after the events", offset: s.index)
        }
        return events
    }

    /// Convenience for strings (tests, CLI).
    public static func decodeEvent(_ text: String, receivedAt: EventTime) throws(EventDecodingError) -> Event {
        var copy = text
        let result: Result<Event, EventDecodingError> = copy.withUTF8 { buf in
            do throws(EventDecodingError) {
                return .success(try decodeEvent(UnsafeRawBufferPointer(buf), receivedAt: receivedAt))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func decodeObject(_ s: inout JSONScanner, receivedAt: EventTime, index: Int?)
        throws(EventDecodingError) -> Event
    {
        var field: String?
        do {
            return try decodeObjectFields(&s, receivedAt: receivedAt, field: &field)
        } catch let e as FieldError {
            throw EventDecodingError(field: e.field, message: e.message, offset: e.offset, index: index)
        } catch let e as JSONScanner.Failure {
            throw EventDecodingError(field: field, message: e.message, offset: e.offset, index: index)
        } catch {
            throw EventDecodingError(field: field, message: "\(error)", offset: s.index, index: index)
        }
    }

    struct FieldError: Error {
        var field: String
        var message: String
        var offset: Int
    }

    private static func decodeObjectFields(_ s: inout JSONScanner, receivedAt: EventTime, field: inout String?)
        throws -> Event
    {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else {
            throw s.fail("expected an event object '{', found \(s.describeNext())")
        }
        s.index += 1
        var time: EventTime?
        var source: String?
        var host = ""
        var type: String?
        var severity = Severity.info
        var summary = ""
        var attributes = Attributes()
        if s.consume(UInt8(ascii: "}")) {
            throw FieldError(field: "source", message: "required field is missing", offset: s.index)
        }
        repeat {
            let name = try s.readString()
            field = name
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipWhitespace()
            let valueOffset = s.index
            switch name {
            case "source": source = try requireString(&s, name)
            case "host": host = try requireString(&s, name)
            case "type": type = try requireString(&s, name)
            case "summary": summary = try requireString(&s, name)
            case "severity":
                let text = try requireString(&s, name)
                guard let sev = Severity(name: text) else {
                    throw FieldError(
                        field: name, message: "unknown severity '\(text)' (expected \(Severity.namesForHelp))",
                        offset: valueOffset)
                }
                severity = sev
            case "time":
                switch try s.readScalar() {
                case .string(let t):
                    guard let parsed = RFC3339.parse(Array(t.utf8)) else {
                        throw FieldError(
                            field: name, message: "'\(t)' is not an RFC 3339 timestamp (e.g. 2026-11-25T10:00:00Z)",
                            offset: valueOffset)
                    }
                    time = parsed
                case .int(let i): time = EventTime(nanoseconds: i &* 1_000_000_000)
                case .double(let d): time = EventTime(seconds: d)
                case .null: time = nil
                case .bool:
                    throw FieldError(
                        field: name, message: "expected an RFC 3339 string or epoch seconds", offset: valueOffset)
                }
            case "attributes":
                try decodeAttributes(&s, into: &attributes, field: &field)
            case "receivedAt", "received_at":
                try s.skipValue()  // set by eccd, never by the sender
            default:
                throw FieldError(
                    field: name,
                    message: "unknown field (known: time, source, host, type, severity, summary, attributes; "
                        + "put custom fields under \"attributes\")", offset: valueOffset)
            }
        } while s.consume(UInt8(ascii: ","))
        field = nil
        try s.expect(UInt8(ascii: "}"), "',' or '}'")
        guard let source, !source.isEmpty else {
            throw FieldError(field: "source", message: "required field is missing or empty", offset: s.index)
        }
        guard let type, !type.isEmpty else {
            throw FieldError(field: "type", message: "required field is missing or empty", offset: s.index)
        }
        return Event(
            time: time ?? receivedAt, receivedAt: receivedAt, source: source, host: host, type: type,
            severity: severity, summary: summary, attributes: attributes)
    }

    private static func requireString(_ s: inout JSONScanner, _ name: String) throws -> String {
        let offset = s.index
        switch try s.readScalar() {
        case .string(let v): return v
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool, .null: throw FieldError(field: name, message: "expected a string", offset: offset)
        }
    }

    private static func decodeAttributes(_ s: inout JSONScanner, into attributes: inout Attributes, field: inout String?)
        throws
    {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else {
            throw FieldError(field: "attributes", message: "expected an object of name: value pairs", offset: s.index)
        }
        s.index += 1
        if s.consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try s.readString()
            field = "attributes." + key
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipWhitespace()
            let offset = s.index
            let value: AttributeValue
            do {
                switch try s.readScalar() {
                case .string(let v): value = .string(v)
                case .int(let v): value = .int(v)
                case .double(let v): value = .double(v)
                case .bool(let v): value = .bool(v)
                case .null: continue
                }
            } catch {
                throw FieldError(field: "attributes." + key, message: error.message, offset: offset)
            }
            if key.isEmpty { throw FieldError(field: "attributes", message: "empty attribute name", offset: offset) }
            attributes[key] = value
        } while s.consume(UInt8(ascii: ","))
        field = "attributes"
        try s.expect(UInt8(ascii: "}"), "',' or '}'")
    }
}
