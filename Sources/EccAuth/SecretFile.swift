import Foundation

/// Files that hold credentials (tokens, private keys): checked as ssh checks its keys.
package enum SecretFile {
    /// Refuses a file that is not a regular file or that others (not owner, not group) may read or write
    /// (mode & 0o007): `0600`, or `0640` with group `ecc`, are fine.
    package static func checkPermissions(_ path: String) throws(CredentialFileError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CredentialFileError("cannot read: \(String(cString: strerror(errno)))", file: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw CredentialFileError("not a regular file", file: path) }
        let mode = st.st_mode & 0o777
        guard mode & 0o007 == 0 else {
            throw CredentialFileError(
                "permissions \(String(mode, radix: 8)) are too open: others may read or write it "
                    + "(chmod 600, or 640 with group ecc)", file: path)
        }
    }
}
