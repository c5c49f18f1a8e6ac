/// A reference to one field of an event, resolved once when rules are compiled.
package enum Field: Sendable, Hashable, CustomStringConvertible {
    case source
    case host
    case type
    case severity
    case summary
    case time
    case attribute(String)

    /// Resolves a field name as written in rules and templates: the built-in fields by name, anything
    /// else is an attribute (`attributes.x` and `attr.x` are accepted as explicit forms).
    package init(name: String) {
        switch name {
        case "source": self = .source
        case "host": self = .host
        case "type": self = .type
        case "severity": self = .severity
        case "summary": self = .summary
        case "time": self = .time
        default:
            if name.hasPrefix("attributes.") {
                self = .attribute(String(name.dropFirst("attributes.".count)))
            } else if name.hasPrefix("attr.") {
                self = .attribute(String(name.dropFirst("attr.".count)))
            } else {
                self = .attribute(name)
            }
        }
    }

    package var description: String {
        switch self {
        case .source: "source"
        case .host: "host"
        case .type: "type"
        case .severity: "severity"
        case .summary: "summary"
        case .time: "time"
        case .attribute(let k): k
        }
    }
}

extension Event {
    /// The text of a field, or nil when the event does not have it (an absent attribute).
    @inlinable
    package func text(of field: Field) -> String? {
        switch field {
        case .source: source
        case .host: host
        case .type: type
        case .severity: severity.name
        case .summary: summary
        case .time: time.description
        case .attribute(let k): attributes[k]?.text
        }
    }

    /// True when the field's text equals `value`; false when the field is absent.
    @inlinable
    package func field(_ field: Field, equals value: String) -> Bool {
        switch field {
        case .source: source == value
        case .host: host == value
        case .type: type == value
        case .severity: severity.name == value
        case .summary: summary == value
        case .time: time.description == value
        case .attribute(let k): attributes[k]?.textEquals(value) ?? false
        }
    }
}
