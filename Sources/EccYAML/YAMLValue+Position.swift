import EccCore
import Yams

extension YAMLValue {
    /// An error located at a character inside this scalar's text, such as the part of a regular expression the
    /// engine refuses. Exact for a one-line plain or quoted scalar written with the usual escapes; otherwise
    /// the error is placed at the start of the node.
    package func error(_ message: String, atScalar offset: Int?) -> ConfigError {
        guard let offset, case .scalar(let scalar) = node, !scalar.string.contains("\n") else {
            return error(message)
        }
        var column = location.column
        let before = scalar.string.unicodeScalars.prefix(offset)
        switch scalar.style {
        case .plain:
            column += before.count
        case .singleQuoted:  // ' is written ''
            column += 1 + before.reduce(0) { $0 + ($1 == "'" ? 2 : 1) }
        case .doubleQuoted:  // \ and " are written \\ and \", other controls as a two-character escape
            column += 1 + before.reduce(0) { $0 + ($1 == "\\" || $1 == "\"" || $1.value < 0x20 ? 2 : 1) }
        default:
            return error(message)
        }
        return ConfigError(message, file: file, at: SourceLocation(file: file, line: location.line, column: column))
    }
}
