import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd journal, read through libsystemd's sd-journal: the journal's files are libsystemd's format
/// (compressed fields, hash tables, rotation by journald, entries interleaved across files), which no one
/// else should parse. One reader, used on one thread only (sd-journal is not thread-safe).
package final class Journal {
    /// Why the journal could not be opened or read: the call and its errno.
    package struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        package var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// What changed while ``wait(microseconds:)`` waited.
    package enum Change {
        /// Nothing within the time.
        case none
        /// Entries were appended.
        case appended
        /// Files were added or removed (rotation, vacuum): the position is kept, the files looked at again.
        case invalidated
    }

    /// Where a reader placed by ``seek(after:)`` stands.
    package enum Resume {
        /// Just after the entry taken last: ``next()`` gives the first entry not yet taken.
        case after
        /// On the first entry not yet taken (the one taken last is gone): take it before ``next()``.
        case onNext
    }

    private let j: OpaquePointer
    /// Longest value ``field(_:)`` gives; a longer one is cut there.
    private var maxFieldBytes = Int.max

    /// Opens the journal files in `directory`, or (nil) the machine's own journal (local only, as
    /// `journalctl` without options shows it to a member of `systemd-journal` or root).
    package init(directory: String?) throws(Failure) {
        var handle: OpaquePointer?
        let r =
            directory.map { sd_journal_open_directory(&handle, $0, 0) }
            ?? sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        guard r >= 0, let handle else {
            throw Failure(call: directory.map { "sd_journal_open_directory(\($0))" } ?? "sd_journal_open", code: -r)
        }
        j = handle
    }

    deinit { sd_journal_close(j) }

    /// Values longer than `n` bytes are cut there (libsystemd's own threshold only bounds what it
    /// decompresses, so ``field(_:)`` cuts as well).
    package func limitFieldBytes(_ n: Int) {
        maxFieldBytes = n
        sd_journal_set_data_threshold(j, n + 64)
    }

    /// Whether the journal has any file eccd can read (none: a directory not written to yet, or no
    /// permission, which sd-journal does not call an error).
    package var hasFiles: Bool {
        var bytes: UInt64 = 0
        return sd_journal_get_usage(j, &bytes) >= 0 && bytes > 0
    }

    /// Only entries with one of `values` in `field` (values of one field are alternatives); a call with
    /// another field after ``orElse()`` adds an alternative group, without it both must hold.
    package func match(_ field: String, _ values: [String]) throws(Failure) {
        for v in values {
            let text = "\(field)=\(v)"
            let r = text.withCString { sd_journal_add_match(j, $0, 0) }
            guard r >= 0 else { throw Failure(call: "sd_journal_add_match(\(text))", code: -r) }
        }
    }

    /// What follows is an alternative to the matches before it.
    package func orElse() throws(Failure) {
        let r = sd_journal_add_disjunction(j)
        guard r >= 0 else { throw Failure(call: "sd_journal_add_disjunction", code: -r) }
    }

    /// Before the first entry.
    package func seekHead() throws(Failure) { try check(sd_journal_seek_head(j), "sd_journal_seek_head") }

    /// On the last entry now there (so ``next()`` gives only entries added after it); on an empty journal,
    /// at its head (sd-journal finds nothing after a tail it never stood on).
    package func seekLast() throws(Failure) {
        try check(sd_journal_seek_tail(j), "sd_journal_seek_tail")
        let r = sd_journal_previous(j)
        guard r >= 0 else { throw Failure(call: "sd_journal_previous", code: -r) }
        if r == 0 { try seekHead() }
    }

    /// Places the reader after the entry of `cursor`, or, when that entry is gone (vacuumed), on the entry
    /// nearest to where it was, which is not taken yet (``Resume/onNext``).
    package func seek(after cursor: String) throws(Failure) -> Resume {
        try check(sd_journal_seek_cursor(j, cursor), "sd_journal_seek_cursor")
        guard try next() else { return .after }
        return sd_journal_test_cursor(j, cursor) > 0 ? .after : .onNext
    }

    /// Moves to the next entry; false at the end.
    package func next() throws(Failure) -> Bool {
        let r = sd_journal_next(j)
        guard r >= 0 else { throw Failure(call: "sd_journal_next", code: -r) }
        return r > 0
    }

    /// The current entry's value of `field` (as stored: text for most, any bytes for some), nil when absent.
    package func field(_ field: String) -> [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        guard sd_journal_get_data(j, field, &data, &length) >= 0, let data else { return nil }
        let all = UnsafeRawBufferPointer(start: data, count: length)
        // "FIELD=value"
        return Array(all.dropFirst(field.utf8.count + 1).prefix(maxFieldBytes))
    }

    /// The current entry's value of `field` as text (not UTF-8 bytes replaced), nil when absent.
    package func text(_ name: String) -> String? { field(name).map { String(decoding: $0, as: UTF8.self) } }

    /// When the current entry was written, in microseconds since the epoch.
    package func realtime() -> UInt64? {
        var usec: UInt64 = 0
        return sd_journal_get_realtime_usec(j, &usec) >= 0 ? usec : nil
    }

    /// The current entry's cursor.
    package func cursor() throws(Failure) -> String {
        var c: UnsafeMutablePointer<CChar>?
        let r = sd_journal_get_cursor(j, &c)
        guard r >= 0, let c else { throw Failure(call: "sd_journal_get_cursor", code: -r) }
        defer { free(c) }
        return String(cString: c)
    }

    /// Waits up to `microseconds` for the journal to change.
    package func wait(microseconds: UInt64) throws(Failure) -> Change {
        let r = sd_journal_wait(j, microseconds)
        guard r >= 0 else { throw Failure(call: "sd_journal_wait", code: -r) }
        switch r {
        case Int32(SD_JOURNAL_APPEND): return .appended
        case Int32(SD_JOURNAL_INVALIDATE): return .invalidated
        default: return .none
        }
    }

    private func check(_ r: Int32, _ call: String) throws(Failure) {
        guard r >= 0 else { throw Failure(call: call, code: -r) }
    }
}
