import EccAPI
import Foundation

/// Request bodies of the HTTP API, decoded as every POST route decodes them (`APIJSON.decodeRequest`).
enum FuzzAPI {
    /// Every request type a route takes; the input's first byte picks one, the rest is the body.
    static let decoders: [@Sendable (Data) -> RequestRefusal?] = [
        decode(AcknowledgeRequest.self), decode(AssignRequest.self), decode(HandOverRequest.self),
        decode(NoteRequest.self), decode(ResolveRequest.self), decode(ReopenRequest.self), decode(CloseRequest.self),
        decode(CIImportRequest.self), decode(ChangeRequest.self), decode(ChangeDecisionRequest.self),
        decode(ProblemRequest.self), decode(ProblemLinkRequest.self), decode(ProblemUpdateRequest.self),
        decode(KnowledgeRequest.self), decode(NotifyTestRequest.self),
    ]

    static func decode<T: Decodable>(_: T.Type) -> @Sendable (Data) -> RequestRefusal? {
        { body in
            if case .failure(let refusal) = APIJSON.decodeRequest(T.self, from: body) { return refusal }
            return nil
        }
    }

    /// A body is decoded or refused with a message; a refusal that names a field names it in its message.
    static func requests(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first else { return }
        let body = Data(bytes.dropFirst())
        guard let refusal = decoders[Int(first) % decoders.count](body) else { return }
        precondition(!refusal.message.isEmpty, "a refusal without a message")
        if let field = refusal.field {
            precondition(!field.isEmpty && refusal.message.contains(field), "a refusal that hides its field")
        }
    }
}
