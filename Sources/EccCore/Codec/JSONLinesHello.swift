/// The first line of a JSON-lines TCP connection when eccd requires credentials there:
/// `{"auth":"TOKEN"}` (whitespace allowed, no other field). eccd answers `{"auth":"ok","principal":"NAME"}`
/// and reads events from the next line on, or `{"error":"…"}` and closes.
package enum JSONLinesHello {
    /// Longest first line eccd reads before the sender has authenticated (a token is far shorter), so a
    /// stranger cannot make it hold the collector's full line length.
    package static let maxLineBytes = 4096

    /// The token of an auth line, or nil when the line is anything else (an event, bad JSON, extra fields).
    package static func token(in line: UnsafeRawBufferPointer) -> String? {
        guard line.count <= maxLineBytes else { return nil }
        var s = JSONScanner(line, limits: InputLimits(maxDepth: 2, maxAttributes: 1, maxStringBytes: maxLineBytes))
        do throws(JSONScanner.Failure) {
            try s.expect(UInt8(ascii: "{"), "'{'")
            guard try s.readString() == "auth" else { return nil }
            try s.expect(UInt8(ascii: ":"), "':'")
            let token = try s.readString()
            try s.expect(UInt8(ascii: "}"), "'}'")
            s.skipWhitespace()
            return s.atEnd && !token.isEmpty ? token : nil
        } catch {
            return nil
        }
    }

    /// eccd's answer to a good auth line.
    package static func accepted(principal: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("auth", "ok")
        w.field("principal", principal)
        w.endObject()
        return w.bytes + [0x0A]
    }

    /// eccd's answer before it closes a connection it refuses.
    package static func refused(_ message: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", message)
        w.endObject()
        return w.bytes + [0x0A]
    }
}
