import Foundation

/// Why a request body was refused: what is wrong, and the field it names (`items[2].name`; nil when the
/// body as a whole is wrong). eccd answers it as a 400.
package struct RequestRefusal: Error, Sendable, Equatable {
    package var message: String
    package var field: String?

    package init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }
}

extension APIJSON {
    /// A request body as EccAPI's `T` (an empty body is `{}`), or the refusal naming the field that is wrong
    /// and what it must be. Every POST route decodes its body with this; `EccFuzz api` drives it.
    package static func decodeRequest<T: Decodable>(_: T.Type, from body: Data) -> Result<T, RequestRefusal> {
        do {
            return .success(try JSONDecoder().decode(T.self, from: body.isEmpty ? Data("{}".utf8) : body))
        } catch let error as DecodingError {
            return .failure(refusal(error))
        } catch {
            return .failure(RequestRefusal("the body must be a JSON object"))
        }
    }

    static func refusal(_ error: DecodingError) -> RequestRefusal {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let i = key.intValue { return text + "[\(i)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        func kind(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Bool.Type: "true or false"
            case is Int.Type, is Int64.Type: "a whole number"
            case is Double.Type: "a number"
            default: type is any Collection.Type ? "a list" : "an object"
            }
        }
        let whole = RequestRefusal("the body must be a JSON object")
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            guard !field.isEmpty else { return whole }
            return RequestRefusal("\(field) must be \(kind(type))", field: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return RequestRefusal("give \(field)", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            guard !field.isEmpty else { return whole }
            return RequestRefusal("\(field): \(context.debugDescription)", field: field)
        @unknown default:
            return whole
        }
    }
}
