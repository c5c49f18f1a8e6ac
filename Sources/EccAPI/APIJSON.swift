import Foundation

/// The one JSON configuration of the API's bodies: what eccd encodes (answers, the retention archive's
/// lines) and what eccctl encodes (requests). Keys sorted, slashes unescaped, so an answer reads the
/// same from run to run and diffs cleanly.
package enum APIJSON {
    package static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// `value` as JSON bytes.
    package static func encode(_ value: some Encodable) throws -> [UInt8] { Array(try encoder().encode(value)) }

    /// One of the API's bodies from JSON bytes.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
