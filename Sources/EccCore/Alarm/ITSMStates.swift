/// Where a planned change stands; an approved change's window is a maintenance window.
package enum ChangeState: String, Sendable, Hashable, Codable, CaseIterable {
    case requested
    case approved
    case rejected
    case cancelled
}

/// Where a problem stands; a known error once its workaround is recorded.
package enum ProblemState: String, Sendable, Hashable, Codable, CaseIterable {
    case open
    case knownError = "known_error"
    case resolved
    case closed
}

/// What a fix suggested on an incident is: a knowledge article, or a problem's known error.
package enum SuggestionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case knowledge
    case knownError = "known_error"
}
