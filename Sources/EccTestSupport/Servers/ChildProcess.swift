import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a test server did not start (or a helper failed), with what its logs said.
package struct TestServerError: Error, CustomStringConvertible {
    /// What went wrong, including the tail of the server's logs where there are any.
    package let description: String

    /// An error with this text.
    package init(_ description: String) { self.description = description }
}

/// A program the tests started, known by its pid. It is spawned with posix_spawn and reaped with waitpid
/// rather than through Foundation's `Process`: `Process` reaps its children itself (so a waitpid by pid
/// races with it) and its `waitUntilExit` depends on a run loop that test threads lack and has no time limit
/// (it is known to hang under load). Every wait here has a time limit, and once a child is reaped its pid
/// (which the kernel may give to another process) is neither waited for nor signalled again. The child gets an empty signal
/// mask and default dispositions, since the test process blocks signals on some threads and a child
/// inheriting that would ignore SIGTERM.
package final class ChildProcess: Sendable, Hashable {
    /// The child's process id.
    package let pid: pid_t
    /// The exit status once the child is reaped (-1 when it was not ours to wait for). From then on its pid
    /// may be another process's, so nothing here waits for it or signals it again.
    private let reaped = Mutex<Int32?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    package static func == (a: ChildProcess, b: ChildProcess) -> Bool { a === b }
    package func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    /// Starts `path` with `arguments`, stdin from `stdinPath`, stdout into `stdoutPath` and stderr into
    /// `stderrPath` (both appended to, created when missing).
    package static func spawn(
        _ path: String, _ arguments: [String], stdinPath: String = "/dev/null", stdoutPath: String,
        stderrPath: String, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestServerError("\(path) is missing or not executable")
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw TestServerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid)
    }

    /// Whether the child has exited; reaps it if so.
    package func hasExited() -> Bool { exitStatus() != nil }

    /// The child's exit status (128 + the signal when killed) once it has exited, reaping it; nil while it
    /// runs.
    package func exitStatus() -> Int32? { poll(usage: nil) }

    /// One non-blocking wait4: the exit status when the child has exited (now or before), nil while it runs.
    private func poll(usage: UnsafeMutablePointer<rusage>?) -> Int32? {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            var r: pid_t
            repeat { r = wait4(pid, &status, WNOHANG, usage) } while r < 0 && errno == EINTR
            if r == pid {
                reaped = Self.exitCode(status)
            } else if r < 0 {
                reaped = -1
            }
            return reaped
        }
    }

    static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Sends `sig` to the child unless it has been reaped (its pid may be another process's by then).
    package func signal(_ sig: Int32) {
        reaped.withLock { if $0 == nil { _ = kill(pid, sig) } }
    }

    /// Stops the child: SIGTERM, up to `grace` seconds for it to exit, then SIGKILL; reaps it.
    package func stop(grace: TimeInterval = 10) {
        if hasExited() { return }
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if hasExited() { return }
            usleep(20_000)
        }
        signal(SIGKILL)
        // SIGKILL cannot be caught, but a child in uninterruptible sleep dies late: wait 10 s at most.
        let killed = Date().addingTimeInterval(10)
        while !hasExited() && Date() < killed { usleep(10_000) }
    }

    /// Waits for the child to exit and reaps it, calling `sample` (if given) every millisecond meanwhile
    /// (while the child still has its /proc entry); without one it looks every 20 ms, so a bench waiting
    /// for its load generators does not take CPU from what it measures. Returns the exit status (128 + the
    /// signal when killed; -1 when it could not be waited for) and the resource usage from wait4 (zero when
    /// the child had been reaped before). Past `timeout` seconds the child is stopped (SIGTERM, then SIGKILL)
    /// and the wait throws.
    package func wait(timeout: TimeInterval, sampling sample: (() -> Void)? = nil) throws -> (
        status: Int32, usage: rusage
    ) {
        var usage = rusage()
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            sample?()
            if let status = poll(usage: &usage) { return (status, usage) }
            if ContinuousClock.now > deadline {
                stop(grace: 1)
                throw TestServerError("process \(pid) did not finish within \(Int(timeout)) s; stopped")
            }
            usleep(sample == nil ? 20_000 : 1000)
        }
    }

    /// Runs a program to its end (stopped and thrown about past `timeout` seconds: a wait is never endless);
    /// returns its exit status and its output, stdout and stderr together unless `stderrPath` takes stderr
    /// elsewhere. `input`, when given, is its stdin.
    @discardableResult
    package static func run(
        _ path: String, _ arguments: [String], input: [UInt8]? = nil, stderrPath: String? = nil,
        timeout: TimeInterval = 120
    ) throws -> (status: Int32, output: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ecc-run-\(UUID())").path
        let out = base + ".out"
        let inputPath = base + ".in"
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: inputPath)
        }
        if let input { try Data(input).write(to: URL(fileURLWithPath: inputPath)) }
        let child = try spawn(
            path, arguments, stdinPath: input == nil ? "/dev/null" : inputPath, stdoutPath: out,
            stderrPath: stderrPath ?? out)
        do {
            let (code, _) = try child.wait(timeout: timeout)
            return (code, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
        } catch {
            throw TestServerError("\(path) did not finish within \(timeout) s")
        }
    }
}

/// Small helpers the test servers share.
package enum TestServers {
    /// Debian's Python, which has python3-aiosmtpd (the `python3` on PATH may be another one).
    package static let python = "/usr/bin/python3"

    /// The repository's `Tests/servers` folder (the helper scripts), found from this source file's path.
    package static let scriptsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Servers
        .deletingLastPathComponent()  // EccTestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()
        .appendingPathComponent("Tests/servers")

    /// Whether /usr/bin/python3 can import `module`.
    package static func pythonHas(_ module: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? ChildProcess.run(python, ["-c", "import \(module)"], timeout: 60).status) == 0
    }

    /// A new empty folder under the temporary directory.
    package static func makeTemporaryDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0).
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = loopback(port: 0)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0 else { throw TestServerError("bind(): \(String(cString: strerror(errno)))") }
        var len = size
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// A UDP port on 127.0.0.1 that was free a moment ago.
    package static func freeUDPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw TestServerError("bind(): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether some process has a UDP socket bound to `port` now (from /proc/net/udp and udp6).
    package static func udpBound(port: Int) -> Bool {
        let hex = String(format: ":%04X ", port)
        return ["/proc/net/udp", "/proc/net/udp6"].contains { file in
            ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains(hex)
        }
    }

    /// Holds TCP `ports` on 127.0.0.1 while a server is down: bound, not listening, so a connection is refused
    /// as by a stopped server, but no other test's server can take the port meanwhile (a retry would then
    /// reach a stranger). Close the returned descriptors (``releasePorts(_:)``) before starting it again.
    package static func holdPorts(_ ports: [Int]) throws -> [Int32] {
        try ports.map { port in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestServerError("socket(): \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = loopback(port: port)
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                close(fd)
                throw TestServerError("cannot hold port \(port): \(String(cString: strerror(errno)))")
            }
            return fd
        }
    }

    /// Lets go of ports ``holdPorts(_:)`` held.
    package static func releasePorts(_ held: [Int32]) { for fd in held { close(fd) } }

    /// Distinct free ports.
    package static func freePorts(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            let p = try freePort()
            if !ports.contains(p) { ports.append(p) }
            attempts += 1
            if attempts > count * 20 { throw TestServerError("could not find \(count) distinct free ports") }
        }
        return ports
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted now.
    package static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// A plain HTTP/1.0 GET to 127.0.0.1:`port` over a raw socket (no URLSession, no run loop): the status
    /// code and body, or nil when the connection fails or `timeout` seconds pass.
    package static func httpGet(port: Int, path: String, timeout: TimeInterval = 5) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = loopback(port: port)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return nil }
        let statusLine = text[..<headEnd.lowerBound].prefix { $0 != "\r" }
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { return nil }
        return (status, String(text[headEnd.upperBound...]))
    }

    /// Reads `read` until it returns at least `count` items, and returns the last read; returns what
    /// there is when `timeout` seconds pass first.
    package static func waitFor<T>(count: Int, timeout: TimeInterval, _ read: () -> [T]) -> [T] {
        var got: [T] = []
        _ = poll(timeout: timeout) {
            got = read()
            return got.count >= count
        }
        return got
    }

    /// Polls `condition` every 20 ms until it holds (true) or `timeout` seconds pass (false).
    package static func poll(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() > deadline { return false }
            usleep(20_000)
        }
    }

    /// The last `lines` lines of a text file ("" when it cannot be read).
    package static func tail(_ path: String, lines: Int = 30) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Reads a file as UTF-8 text ("" when missing).
    package static func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Decodes every `*.json` file in `directory` (dot-files, i.e. files being written, are skipped), in the
    /// order of their names; files that do not decode are skipped.
    static func decodeAll<T: Decodable>(_ type: T.Type, in directory: URL) -> [T] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let decoder = JSONDecoder()
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
            else { return nil }
            return try? decoder.decode(T.self, from: data)
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}
