import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Terminal colour, only when standard output is a terminal (and NO_COLOR is unset).
struct Style {
    let enabled: Bool

    static let auto = Style(enabled: isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)

    func paint(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// Colour for a severity name.
    func severity(_ name: String) -> String {
        let padded = name.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
        switch name {
        case "critical": return paint(padded, "1;31")
        case "major": return paint(padded, "31")
        case "minor": return paint(padded, "33")
        case "warning": return paint(padded, "36")
        default: return paint(padded, "34")
        }
    }

    /// Colour for a change kind or state.
    func kind(_ name: String) -> String {
        let padded = name.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0) + " "
        switch name {
        case "raised", "new": return paint(padded, "1")
        case "cleared", "resolved", "closed": return paint(padded, "32")
        default: return paint(padded, "2")
        }
    }

    /// Colour for a priority (P1 … P5).
    func priority(_ name: String) -> String {
        switch name {
        case "P1": return paint(name, "1;31")
        case "P2": return paint(name, "31")
        case "P3": return paint(name, "33")
        default: return name
        }
    }

    /// An incident state, padded to `width`.
    func state(_ name: String, width: Int = 12) -> String {
        let padded = width > 0 ? name.padding(toLength: width, withPad: " ", startingAt: 0) : name
        switch name {
        case "new": return paint(padded, "1")
        case "resolved", "closed": return paint(padded, "32")
        default: return padded
        }
    }
}
