/// Decodes events from JSON: one object per line for the TCP collector, one object or an array of objects
/// for `POST /v1/events`.
///
/// ```json
/// {"time": "2026-11-25T10:00:00Z", "source": "demo", "host": "sw1", "type": "linkDown",
///  "severity": "major", "summary": "port 7 down", "attributes": {"ifIndex": 7}}
/// ```
/// `source` and `type` are required; `host`, `severity` (default `info`), `summary` and `attributes` are
/// optional; `time` is RFC 3339 or a number of epoch seconds, milliseconds, microseconds or nanoseconds
/// (told apart by magnitude, see ``EventTime/epoch(_:)-(Double)``) and defaults to the receive time. Unknown
/// fields are refused so typos do not silently lose data. What one event may hold is bounded by
/// ``InputLimits``; a refusal names its ``InputRefusal`` reason.
package enum JSONEventDecoder {
    /// Decodes exactly one event object.
    package static func decodeEvent(
        _ bytes: UnsafeRawBufferPointer, receivedAt: EventTime, limits: InputLimits = .standard
    ) throws(EventDecodingError) -> Event {
        var s = JSONScanner(bytes, limits: limits)
        let event = try decodeObject(&s, receivedAt: receivedAt, index: nil, reserved: limits.reservedSource)
        s.skipWhitespace()
        guard s.atEnd else {
            throw EventDecodingError(
                field: nil, message: "unexpected \(s.describeNext()) after the event", offset: s.index)
        }
        return event
    }

    /// Decodes one event object or an array of them.
    package static func decodeEvents(
        _ bytes: UnsafeRawBufferPointer, receivedAt: EventTime, limits: InputLimits = .standard
    ) throws(EventDecodingError) -> [Event] {
        var s = JSONScanner(bytes, limits: limits)
        var events: [Event] = []
        if s.consume(UInt8(ascii: "[")) {
            if !s.consume(UInt8(ascii: "]")) {
                repeat {
                    events.append(
                        try decodeObject(
                            &s, receivedAt: receivedAt, index: events.count, reserved: limits.reservedSource))
                } while s.consume(UInt8(ascii: ","))
                do { try s.expect(UInt8(ascii: "]"), "',' or ']'") } catch {
                    throw EventDecodingError(field: nil, message: error.message, offset: error.offset)
                }
            }
        } else {
            events.append(try decodeObject(&s, receivedAt: receivedAt, index: nil, reserved: limits.reservedSource))
        }
        s.skipWhitespace()
        guard s.atEnd else {
            throw EventDecodingError(
                field: nil, message: "unexpected \(s.describeNext()) after the events", offset: s.index)
        }
        return events
    }

    /// Convenience for strings (tests, CLI).
    package static func decodeEvent(_ text: String, receivedAt: EventTime, limits: InputLimits = .standard)
        throws(EventDecodingError) -> Event
    {
        var copy = text
        let result: Result<Event, EventDecodingError> = copy.withUTF8 { buf in
            do throws(EventDecodingError) {
                return .success(try decodeEvent(UnsafeRawBufferPointer(buf), receivedAt: receivedAt, limits: limits))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func decodeObject(_ s: inout JSONScanner, receivedAt: EventTime, index: Int?, reserved: String?)
        throws(EventDecodingError) -> Event
    {
        var field: String?
        do {
            return try decodeObjectFields(&s, receivedAt: receivedAt, reserved: reserved, field: &field)
        } catch let e as FieldError {
            throw EventDecodingError(
                field: e.field, message: e.message, offset: e.offset, index: index, reason: e.reason)
        } catch let e as JSONScanner.Failure {
            throw EventDecodingError(field: field, message: e.message, offset: e.offset, index: index, reason: e.reason)
        } catch {
            throw EventDecodingError(field: field, message: "\(error)", offset: s.index, index: index)
        }
    }

    struct FieldError: Error {
        var field: String
        var message: String
        var offset: Int
        var reason = InputRefusal.syntax
    }

    /// The fields of an event object, recognised from their raw bytes without building a string.
    enum Key {
        case time, source, host, type, severity, summary, attributes, receivedAt, unknown

        init(_ raw: UnsafeRawBufferPointer) {
            switch raw.count {
            case 4:
                if bytesEqual(raw, "time") { self = .time; return }
                if bytesEqual(raw, "host") { self = .host; return }
                if bytesEqual(raw, "type") { self = .type; return }
            case 6: if bytesEqual(raw, "source") { self = .source; return }
            case 7: if bytesEqual(raw, "summary") { self = .summary; return }
            case 8: if bytesEqual(raw, "severity") { self = .severity; return }
            case 10:
                if bytesEqual(raw, "attributes") { self = .attributes; return }
                if bytesEqual(raw, "receivedAt") { self = .receivedAt; return }
            case 11: if bytesEqual(raw, "received_at") { self = .receivedAt; return }
            default: break
            }
            self = .unknown
        }
    }

    private static func decodeObjectFields(
        _ s: inout JSONScanner, receivedAt: EventTime, reserved: String?, field: inout String?
    ) throws -> Event {
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
            let key: Key
            let keyStart = s.index
            if let raw = try s.readRawString() {
                key = Key(raw)
            } else {
                key = Array((try s.readString()).utf8).withUnsafeBytes { Key($0) }
            }
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipWhitespace()
            let valueOffset = s.index
            switch key {
            case .source: source = try requireString(&s, "source")
            case .host: host = try requireString(&s, "host")
            case .type: type = try requireString(&s, "type")
            case .summary: summary = try requireString(&s, "summary")
            case .severity:
                field = "severity"
                if s.peek() == UInt8(ascii: "\""), let raw = try s.readRawString(), let sev = Severity(raw) {
                    severity = sev
                } else {
                    s.index = valueOffset
                    let text = try requireString(&s, "severity")
                    guard let sev = Severity(name: text) else {
                        throw FieldError(
                            field: "severity",
                            message: "unknown severity '\(text)' (expected \(Severity.namesForHelp))",
                            offset: valueOffset)
                    }
                    severity = sev
                }
            case .time:
                field = "time"
                if s.peek() == UInt8(ascii: "\""), let raw = try s.readRawString() {
                    switch RFC3339.check(raw) {
                    case .success(let parsed): time = parsed
                    case .failure(let problem):
                        throw FieldError(
                            field: "time", message: problem.message(String(decoding: raw, as: UTF8.self)),
                            offset: valueOffset, reason: problem == .syntax ? .syntax : .timeRange)
                    }
                } else {
                    time = try epochTime(s.readScalar(), offset: valueOffset)
                }
            case .attributes:
                try decodeAttributes(&s, into: &attributes, field: &field)
            case .receivedAt:
                try s.skipValue(depth: 2)  // set by eccd, never by the sender
            case .unknown:
                var probe = JSONScanner(s.base)
                probe.index = keyStart
                let name = (try? probe.readString()) ?? "?"
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
        if let reserved, source == reserved {
            throw FieldError(
                field: "source", message: "'\(reserved)' is eccd's own source (its self-monitoring); choose another",
                offset: s.index, reason: .reservedSource)
        }
        return Event(
            time: time ?? receivedAt, receivedAt: receivedAt, source: source, host: host, type: type,
            severity: severity, summary: summary, attributes: attributes)
    }

    /// A numeric `time`: epoch seconds, ms, µs or ns, told apart by size; null means the receive time.
    private static func epochTime(_ scalar: JSONScanner.Scalar, offset: Int) throws -> EventTime? {
        let parsed: EventTime?
        let shown: String
        switch scalar {
        case .int(let i): (parsed, shown) = (EventTime.epoch(i), String(i))
        case .double(let d): (parsed, shown) = (EventTime.epoch(d), String(d))
        case .null: return nil
        case .bool, .string:
            throw FieldError(field: "time", message: "expected an RFC 3339 string or an epoch number", offset: offset)
        }
        guard let parsed else {
            throw FieldError(
                field: "time",
                message: "epoch \(shown) is outside the times eccd represents (\(EventTime.rangeDescription); "
                    + "seconds, ms, µs or ns are told apart by size)", offset: offset, reason: .timeRange)
        }
        return parsed
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

    private static func decodeAttributes(
        _ s: inout JSONScanner, into attributes: inout Attributes, field: inout String?
    )
        throws
    {
        s.skipWhitespace()
        guard s.peek() == UInt8(ascii: "{") else {
            throw FieldError(field: "attributes", message: "expected an object of name: value pairs", offset: s.index)
        }
        s.index += 1
        if s.consume(UInt8(ascii: "}")) { return }
        var builder = AttributesBuilder(attributes, limit: s.maxAttributes)
        if attributes.isEmpty { builder.reserveCapacity(8) }  // the usual case: room for a typical event
        defer { attributes = builder.attributes }
        repeat {
            let key: String
            if let raw = try s.readRawString() {
                key = String(decoding: raw, as: UTF8.self)
            } else {
                key = try s.readString()
            }
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
                throw FieldError(
                    field: "attributes." + key, message: error.message, offset: offset, reason: error.reason)
            }
            if key.isEmpty { throw FieldError(field: "attributes", message: "empty attribute name", offset: offset) }
            guard builder.set(key, value) else {
                throw FieldError(
                    field: "attributes", message: "more than the limit of \(s.maxAttributes) attributes",
                    offset: offset, reason: .attributes)
            }
        } while s.consume(UInt8(ascii: ","))
        field = "attributes"
        try s.expect(UInt8(ascii: "}"), "',' or '}'")
    }
}

/// Byte-wise equality of raw UTF-8 with a literal, without going through generic sequence comparison.
@inline(__always)
func bytesEqual(_ raw: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard raw.count == n else { return false }
    let p = literal.utf8Start
    for i in 0..<n where raw[i] != p[i] { return false }
    return true
}
