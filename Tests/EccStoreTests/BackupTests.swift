import EccCore
import EccIncidents
import EccStore
import Foundation
import Synchronization
import Testing

@Suite("Online backup")
struct BackupTests {
    /// Inserts alarm rows `ids` with a `size`-byte summary, in one transaction.
    static func insertAlarms(_ c: Connection, _ ids: ClosedRange<Int64>, size: Int) throws {
        let s = try c.prepare(
            """
            INSERT INTO alarms(id, rule, key, state, severity, summary, source, host, type, first_seen, last_seen,
                count) VALUES(?1, 'filler', ?1, 'cleared', 'minor', ?2, 'test', 'h', 't', 0, 0, 1)
            """)
        let summary = String(repeating: "x", count: size)
        try c.transaction { () throws(StoreError) in
            for id in ids {
                s.bind(1, id)
                s.bind(2, summary)
                try s.run()
            }
        }
    }

    @Test("a backup of a large database finishes while another connection keeps committing, and is consistent")
    func backupUnderWrites() throws {
        try withTempDir { dir in
            let path = dir + "/ecc.db"
            let base: Int64 = 9000
            do {
                _ = try AlarmStore(path: path)  // the real schema, in WAL mode
                let c = try Connection(path: path)
                // About 36 MB: some 9000 pages, more than one step of the old 4096-page copy.
                try Self.insertAlarms(c, 1...base, size: 3500)
            }
            // The busy writer: one small commit after another, as fast as it can, until told to stop.
            let stop = Atomic<Bool>(false)
            let commits = Atomic<Int64>(0)
            let writerDone = DispatchSemaphore(value: 0)
            // The writer's connection is opened on its own thread, which alone uses it.
            Thread {
                guard let writer = try? Connection(path: path), (try? writer.execute("PRAGMA synchronous=OFF")) != nil
                else {
                    Issue.record("the writer's connection did not open")
                    stop.store(true, ordering: .relaxed)
                    writerDone.signal()
                    return
                }
                var next = base + 1
                while !stop.load(ordering: .relaxed) {
                    do {
                        try Self.insertAlarms(writer, next...next, size: 10)
                        next += 1
                        commits.add(1, ordering: .relaxed)
                    } catch {
                        usleep(1000)
                    }
                }
                writerDone.signal()
            }.start()
            while commits.load(ordering: .relaxed) < 10 && !stop.load(ordering: .relaxed) { usleep(1000) }

            let copy = dir + "/backup.db"
            let result = Mutex<Result<Backup.Summary, StoreError>?>(nil)
            let finished = DispatchSemaphore(value: 0)
            let before = commits.load(ordering: .relaxed)
            Thread {
                do throws(StoreError) {
                    let s = try Backup.copy(from: path, to: copy)
                    result.withLock { $0 = .success(s) }
                } catch {
                    result.withLock { $0 = .failure(error) }
                }
                finished.signal()
            }.start()
            let inTime = finished.wait(timeout: .now() + 30) == .success
            let during = commits.load(ordering: .relaxed) - before
            stop.store(true, ordering: .relaxed)
            writerDone.wait()
            if !inTime { finished.wait() }  // without the writer it completes; then fail
            #expect(inTime, "the backup did not finish within 30 s while another connection kept committing")
            #expect(during > 0, "the writer committed while the backup ran")

            let summary = try #require(try result.withLock { $0 }?.get())
            let total = base + commits.load(ordering: .relaxed)
            // A snapshot: every row up to some point of the writer's sequence, nothing torn.
            #expect(summary.alarms >= base && summary.alarms <= total)
            let c = try Connection(path: copy, readOnly: true, create: false)
            #expect(try c.scalarText("PRAGMA integrity_check") == "ok")
            #expect(try c.scalarText("PRAGMA journal_mode") == "delete")
            #expect(try c.scalarInt("SELECT max(id) FROM alarms") == summary.alarms)
            #expect(try c.scalarInt("SELECT count(*) FROM alarms WHERE length(summary) = 3500") == base)
            #expect(try Backup.verify(copy).alarms == summary.alarms)
        }
    }
}
