import EccCore
import Hummingbird

/// JSON responses and errors in one shape: `{"error": "...", "field": "...", "index": n}`.
enum Responses {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func error(
        _ status: HTTPResponse.Status, _ message: String, field: String? = nil, index: Int? = nil, offset: Int? = nil
    ) -> Response {
        var w = JSONWriter()
        w.beginObject()
        w.field("error", message)
        if let field { w.field("field", field) }
        if let index { w.field("index", Int64(index)) }
        if let offset { w.field("offset", Int64(offset)) }
        w.endObject()
        return json(w.bytes, status: status)
    }

    static func text(_ bytes: [UInt8], contentType: String) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(
            status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: buffer))
    }
}
