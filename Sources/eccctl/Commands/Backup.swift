import ArgumentParser
import EccClient
import EccStore
import Foundation

/// `eccctl backup FILE`: a consistent copy of eccd's database, taken online with SQLite's backup API.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Save a consistent copy of eccd's database (online, while it runs) to FILE, then verify it.",
        discussion: """
            eccd copies its database with SQLite's backup API into a private temporary file and streams it;
            eccctl writes it to FILE with mode 0600 (through FILE.partial, so FILE is never half-written) and
            checks its integrity. Needs an admin token when eccd has tokens (--token-file). Restore by stopping
            eccd and putting the file in place of the database (docs/operations.md).
            """)

    @OptionGroup var server: ServerOptions
    @Argument(help: "Where to write the backup (an existing file is replaced).") var file: String

    func run() async throws {
        try await cli {
            let temp = file + ".partial"
            // The backup holds everything eccd knows: readable by its owner only (0600), like the database.
            guard FileManager.default.createFile(atPath: temp, contents: nil, attributes: [.posixPermissions: 0o600]),
                let out = FileHandle(forWritingAtPath: temp)
            else { throw CLIError("cannot write \(temp)") }
            var failure: String?
            let status = try await server.client().stream(.GET, "/v1/backup") { status, chunk in
                if status == 200 {
                    out.write(Data(chunk))
                } else {
                    failure = (failure ?? "") + String(decoding: chunk, as: UTF8.self)
                }
            }
            try out.close()
            guard status == 200 else {
                try? FileManager.default.removeItem(atPath: temp)
                throw CLIError(errorMessage(Array((failure ?? "").utf8), status: status))
            }
            let summary: Backup.Summary
            do { summary = try Backup.verify(temp) } catch {
                try? FileManager.default.removeItem(atPath: temp)
                throw CLIError("the backup did not verify: \(error)")
            }
            try? FileManager.default.removeItem(atPath: file)
            try FileManager.default.moveItem(atPath: temp, toPath: file)
            print(
                "backup written to \(file): \(summary.bytes) bytes, schema version \(summary.schemaVersion), "
                    + "\(summary.alarms) alarms, \(summary.incidents) incidents, integrity ok")
        }
    }
}
