import EccCollectors
import EccConfig
import EccTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// File integrity watching in a whole daemon, on real files changed as an admin (or an intruder) would:
/// appended to, replaced by rename, chmod, chown, created, deleted; and changed while eccd is down.
@Suite("File integrity", .serialized)
struct IntegrityTests {
    let syslog = SyslogDaemonTests()

    func daemon(_ dir: String, _ paths: [String]) async throws -> TestDaemon {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try await TestDaemon(dir: dir) {
            $0.rulePaths = [root.appendingPathComponent("rules").path]
            $0.integrity = IntegritySettings(paths: paths)
        }
    }

    /// The file-changed alarms, by key (`host/path/change` without the host), with their counts.
    func changes(_ d: TestDaemon) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for a in try await syslog.alarms(d) where a["rule"] as? String == "watched-file-changed" {
            let key = (a["key"] as? String ?? "").split(separator: "/", maxSplits: 1).last.map(String.init) ?? ""
            out[key, default: 0] += a["count"] as? Int ?? 0
        }
        return out
    }

    @Test("a baseline first; then each change an alarm; a change made while eccd was down reported once after")
    func changesAndRestart() async throws {
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let etc = dir + "/etc"
        try FileManager.default.createDirectory(atPath: etc + "/sudoers.d", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/bash\n".write(toFile: etc + "/passwd", atomically: true, encoding: .utf8)
        try "root:*:20000:0:99999:7:::\n".write(toFile: etc + "/shadow", atomically: true, encoding: .utf8)
        chmod(etc + "/shadow", 0o640)
        try "%admin ALL=(ALL) ALL\n".write(toFile: etc + "/sudoers.d/old", atomically: true, encoding: .utf8)
        let paths = [etc + "/passwd", etc + "/shadow", etc + "/sudoers.d"]

        var d = try await daemon(dir, paths)
        try await d.eventually { try await syslog.metric(d, "ecc_integrity_scans_total") == 1 }
        #expect(try await syslog.metric(d, "ecc_integrity_files") == 3)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await changes(d).isEmpty, "the baseline is not reported")

        let handle = try #require(FileHandle(forWritingAtPath: etc + "/passwd"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("mallory:x:0:0::/root:/bin/bash\n".utf8))
        try handle.close()
        try await d.eventually { try await changes(d)[etc + "/passwd/content"] == 1 }
        chmod(etc + "/shadow", 0o644)
        try await d.eventually { try await changes(d)[etc + "/shadow/mode"] == 1 }
        if getuid() == 0 {
            chown(etc + "/shadow", 1, 1)
            try await d.eventually { try await changes(d)[etc + "/shadow/owner"] == 1 }
        }
        try "mallory ALL=(ALL) NOPASSWD: ALL\n".write(
            toFile: etc + "/sudoers.d/extra", atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: etc + "/sudoers.d/old")
        try await d.eventually {
            let c = try await changes(d)
            return c[etc + "/sudoers.d/extra/created"] == 1 && c[etc + "/sudoers.d/old/deleted"] == 1
        }
        // Replaced by rename, as editors and `sed -i` do: a new inode under the name.
        try "root:x:0:0:root:/root:/bin/bash\n".write(toFile: etc + "/passwd", atomically: true, encoding: .utf8)
        try await d.eventually { try await changes(d)[etc + "/passwd/content"] == 2 }
        // Touching a file changes nothing that is watched.
        utime(etc + "/shadow", nil)
        try await Task.sleep(for: .milliseconds(600))
        let before = try await changes(d)
        #expect(before.values.reduce(0, +) == (getuid() == 0 ? 6 : 5))
        #expect(try await syslog.metric(d, #"ecc_integrity_changes_total{change="content"}"#) == 2)
        try await d.stop()

        // While eccd is down.
        try "root:$6$new:20000:0:99999:7:::\n".write(toFile: etc + "/shadow", atomically: false, encoding: .utf8)
        d = try await daemon(dir, paths)
        try await d.eventually { try await changes(d)[etc + "/shadow/content"] == 1 }
        try await Task.sleep(for: .milliseconds(600))
        var after = try await changes(d)
        after[etc + "/shadow/content"] = nil
        #expect(after == before, "nothing reported before is reported again")
        #expect(try await syslog.metric(d, #"ecc_integrity_changes_total{change="content"}"#) == 1)
        try await d.stop()
    }
}

extension IntegrityTests {
    @Test("paths added to integrity.paths are taken in without a word; files watched before keep their baseline")
    func pathsChanged() async throws {
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["a", "b", "c"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
            try "x\n".write(toFile: dir + "/\(name)/file", atomically: true, encoding: .utf8)
        }
        var d = try await daemon(dir, [dir + "/a", dir + "/b/file"])
        try await d.eventually { try await syslog.metric(d, "ecc_integrity_scans_total") == 1 }
        try await d.stop()
        // While eccd is down: a file watched before changes, and the paths grow (b's folder now covers its
        // file, c is new).
        try "changed while down\n".write(toFile: dir + "/a/file", atomically: false, encoding: .utf8)
        try "changed too\n".write(toFile: dir + "/b/file", atomically: false, encoding: .utf8)
        d = try await daemon(dir, [dir + "/a", dir + "/b", dir + "/c"])
        try await d.eventually {
            let c = try await changes(d)
            return c[dir + "/a/file/content"] == 1 && c[dir + "/b/file/content"] == 1
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await changes(d).count == 2, "c's file is not reported created")
        try "y\n".write(toFile: dir + "/c/file", atomically: false, encoding: .utf8)
        try await d.eventually { try await changes(d)[dir + "/c/file/content"] == 1 }
        try await d.stop()
    }

    @Test("a watched folder moved away and made again is watched anew")
    func folderRecreated() async throws {
        let dir = try TestDaemon.makeDir(rules: "[]\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let watched = dir + "/conf/sub"
        try FileManager.default.createDirectory(atPath: watched, withIntermediateDirectories: true)
        try "x\n".write(toFile: watched + "/file", atomically: true, encoding: .utf8)
        let d = try await daemon(dir, [dir + "/conf"])
        try await d.eventually { try await syslog.metric(d, "ecc_integrity_scans_total") == 1 }
        try FileManager.default.moveItem(atPath: watched, toPath: dir + "/conf/renamed")
        try await d.eventually {
            let c = try await changes(d)
            return c[watched + "/file/deleted"] == 1 && c[dir + "/conf/renamed/file/created"] == 1
        }
        // The renamed folder is watched under its new name.
        try "y\n".write(toFile: dir + "/conf/renamed/file", atomically: false, encoding: .utf8)
        try await d.eventually { try await changes(d)[dir + "/conf/renamed/file/content"] == 1 }
        try await d.stop()
    }
}

@Suite("Integrity configuration")
struct IntegrityConfigTests {
    @Test("paths, rescan and the limits; bad values name their place")
    func parse() throws {
        let c = try DaemonConfig.parse(
            "integrity:\n  paths: [/etc/shadow, /etc/ssh]\n  rescan: 10m\n  max_files: 50\n", file: "eccd.yaml")
        var expected = IntegritySettings(paths: ["/etc/shadow", "/etc/ssh"])
        expected.rescan = .seconds(600)
        expected.maxFiles = 50
        #expect(c.integrity == expected)
        #expect(DaemonConfig().integrity == nil)
        let error = JournalConfigTests().error
        #expect(
            error("integrity:\n  paths: [etc/shadow]\n")?.contains("eccd.yaml:2:11: integrity.paths must be absolute")
                == true)
        #expect(error("integrity:\n  rescan: 1h\n")?.contains("integrity needs paths") == true)
        #expect(error("integrity:\n  paths: [/]\n")?.contains("the whole machine") == true)
        #expect(error("integrity:\n  paths: [/a, /a]\n")?.contains("watched twice") == true)
        #expect(
            error("integrity:\n  paths: [/a]\n  max_files: 0\n")?.contains("integrity.max_files must be positive")
                == true)
    }
}
