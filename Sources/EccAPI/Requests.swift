/// The HTTP API's contract, shared by `eccd` (which decodes these bodies) and `eccctl` (which encodes
/// them): one type per request body, so a renamed field breaks the build rather than an operator's
/// terminal. Field names on the wire are snake_case (`CodingKeys`); optional fields may be left out.
///
/// Every body that changes state says who acts in `actor`; eccd reads it only when it runs without
/// tokens (loopback only) and otherwise acts as the token's principal.
package protocol ActingRequest: Codable, Sendable {
    /// Who acts, when eccd runs without tokens; ignored otherwise.
    var actor: String? { get }
}
