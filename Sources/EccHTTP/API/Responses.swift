import EccAPI
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
        let body = ErrorView(error: message, field: field, index: index, offset: offset)
        // An error must always be answered: should encoding ever fail, the message alone, as plain text.
        guard let bytes = try? APIJSON.encode(body) else {
            return text(Array(message.utf8), contentType: "text/plain", status: status)
        }
        return json(bytes, status: status)
    }

    static func text(_ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(
            status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: buffer))
    }
}
