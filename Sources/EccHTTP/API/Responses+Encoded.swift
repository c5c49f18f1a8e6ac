import EccAPI
import Hummingbird

extension Responses {
    /// `value` as JSON (EccAPI's answers), or a 500 if it cannot be encoded.
    static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        guard let bytes = try? APIJSON.encode(value) else {
            return error(.internalServerError, "the answer could not be encoded")
        }
        return json(bytes, status: status)
    }
}
