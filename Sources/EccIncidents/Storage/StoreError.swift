/// An error from the store: what was being done, SQLite's result code and message.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    /// SQLite's (extended) result code, or -1 for errors of the store itself.
    package var code: Int32
    package var message: String
    /// What the store was doing, e.g. `open /var/lib/ecc/ecc.db`, `migrate to version 1`.
    package var operation: String

    package init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// True when retrying later can help (busy, locked, full disk, I/O error, read-only).
    package var isTransient: Bool {
        switch code & 0xFF {
        case 5, 6, 10, 13, 8: true  // BUSY, LOCKED, IOERR, FULL, READONLY
        default: false
        }
    }

    package var description: String { "\(operation): \(message) (sqlite code \(code))" }
}
