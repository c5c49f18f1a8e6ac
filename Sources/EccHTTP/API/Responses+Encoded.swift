import Foundation
import Hummingbird

extension Responses {
    /// `value` as JSON (EccAPI's answers), or a 500 if it cannot be encoded.
    static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return error(.internalServerError, "the answer could not be encoded")
        }
        return json(Array(data), status: status)
    }
}
