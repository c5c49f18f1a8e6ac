/// What a token may do on eccd's API. Roles are ordered: each one may do everything the ones below it may.
package enum Role: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Reads: alarms, incidents, status, the live stream, metrics.
    case viewer = 1
    /// Works incidents and problems (acknowledge, assign, note, resolve …) and sends events.
    case `operator` = 2
    /// Reloads rules, takes backups, requests and approves changes, tests notifications, imports the CMDB.
    case admin = 3

    /// `viewer`, `operator` or `admin`.
    package init?(name: String) {
        switch name {
        case "viewer": self = .viewer
        case "operator": self = .operator
        case "admin": self = .admin
        default: return nil
        }
    }

    package var name: String {
        switch self {
        case .viewer: "viewer"
        case .operator: "operator"
        case .admin: "admin"
        }
    }

    package var description: String { name }

    package static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}

/// Who a request acts as.
package struct Principal: Sendable, Hashable, CustomStringConvertible {
    /// The name recorded in journals (`alice`, `nagios-bridge`).
    package var name: String
    package var role: Role
    /// False only in eccd's tokenless loopback mode, where the name is whatever the request says.
    package var authenticated: Bool

    package init(name: String, role: Role, authenticated: Bool = true) {
        self.name = name
        self.role = role
        self.authenticated = authenticated
    }

    package var description: String { "\(name) (\(role))" }

    /// Principal names: letters, digits and `. _ @ -`, 1 to 64 bytes (they end up in journals and logs).
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { s in
                s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "._@-".unicodeScalars.contains(s))
            }
    }
}
