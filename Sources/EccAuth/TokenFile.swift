import Foundation

/// A problem with a credentials file (tokens, certificate, key): its path and, for a bad line, the line number.
package struct CredentialFileError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var file: String
    package var line: Int?

    package init(_ message: String, file: String, line: Int? = nil) {
        self.message = message
        self.file = file
        self.line = line
    }

    package var description: String {
        file.isEmpty ? message : "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

/// eccd's API tokens, as `http.tokens_file` holds them: one token per line, hashed.
///
/// ```
/// # sha256-of-token                                                principal  role
/// 3f1c…e9a0 alice operator
/// ```
/// Only the SHA-256 of each token is stored, so reading the file does not give a token away. Like ssh with
/// its keys, eccd refuses a file that others (not owner, not group) may read or write: `chmod 0600` or
/// `0640 root:ecc`.
package struct TokenFile: Sendable, Equatable {
    /// One line: the token's hash, who it is, what it may do.
    package struct Entry: Sendable, Equatable {
        package var hash: String
        package var principal: String
        package var role: Role

        package init(hash: String, principal: String, role: Role) {
            self.hash = hash
            self.principal = principal
            self.role = role
        }

        /// The line as the file holds it.
        package var line: String { "\(hash) \(principal) \(role.name)" }
    }

    package var entries: [Entry]

    package init(entries: [Entry] = []) { self.entries = entries }

    /// The principal a presented token stands for, or nil.
    package func principal(forToken token: String) -> Principal? {
        let h = TokenDigest.sha256Hex(token)
        guard let e = entries.first(where: { $0.hash == h }) else { return nil }
        return Principal(name: e.principal, role: e.role)
    }

    /// Parses the file's text.
    package static func parse(_ text: String, file: String) throws(CredentialFileError) -> TokenFile {
        var out = TokenFile()
        var seen = Set<String>()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 3 else {
                throw CredentialFileError(
                    "expected 'SHA256-HEX PRINCIPAL ROLE', found \(fields.count) fields", file: file, line: n + 1)
            }
            let hash = fields[0].lowercased()
            guard hash.utf8.count == 64,
                hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            else {
                throw CredentialFileError(
                    "the first field is the token's SHA-256 in hex (64 digits), never the token itself", file: file,
                    line: n + 1)
            }
            guard Principal.isValidName(fields[1]) else {
                throw CredentialFileError(
                    "a principal is 1 to 64 letters, digits and . _ @ -", file: file, line: n + 1)
            }
            guard let role = Role(name: fields[2]) else {
                throw CredentialFileError("role must be viewer, operator or admin", file: file, line: n + 1)
            }
            guard seen.insert(hash).inserted else {
                throw CredentialFileError("this token is listed twice", file: file, line: n + 1)
            }
            out.entries.append(Entry(hash: hash, principal: fields[1], role: role))
        }
        return out
    }

    /// Reads the file after checking that others cannot read or write it.
    package static func load(path: String) throws(CredentialFileError) -> TokenFile {
        try checkPermissions(path)
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CredentialFileError("cannot read: \(error.localizedDescription)", file: path)
        }
        return try parse(text, file: path)
    }

    /// Refuses a file that is not a regular file or that others may read or write (mode & 0o007).
    package static func checkPermissions(_ path: String) throws(CredentialFileError) {
        try SecretFile.checkPermissions(path)
    }

    /// Appends one entry, creating the file with mode 0600 if it does not exist (an existing file keeps its
    /// mode, which must already be safe).
    package static func append(_ entry: Entry, to path: String) throws(CredentialFileError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CredentialFileError("cannot open: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & 0o007 == 0 else {
            throw CredentialFileError("permissions too open: others may read or write it (chmod 600)", file: path)
        }
        // Refuse to append to a file eccd would refuse to read.
        if let text = try? String(contentsOfFile: path, encoding: .utf8) { _ = try parse(text, file: path) }
        let bytes = Array((entry.line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw CredentialFileError("cannot write: \(String(cString: strerror(errno)))", file: path)
        }
    }
}
