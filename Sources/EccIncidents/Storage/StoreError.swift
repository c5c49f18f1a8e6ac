/// An error from the store: what was being done, SQLite's result code and message.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// SQLite's (extended) result code, or -1 for errors of the store itself.
    public var code: Int32
    public var message: String
    /// What the store was doing, e.g. `open /var/lib/ecc/ecc.db`, `migrate to version 1`.
    public var operation: String

    public init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// True when retrying later can help (busy, locked, full disk, I/O error, read-only).
    public var isTransient: Bool {
        switch code & 0xFF {
        case 5, 6, 10, 13, 8: true  // BUSY, LOCKED, IOERR, FULL, READONLY
        default: false
        }
    }

    public var description: String { "\(operation): \(message) (sqlite code \(code))" }
}
