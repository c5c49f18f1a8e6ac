import EccBus
import Foundation
import Synchronization
import Testing

@Suite("DedicatedThread")
struct DedicatedThreadTests {
    @Test("runs its body on an OS thread of that name; any number of tasks and threads wait for its end")
    func nameAndJoin() async {
        let name = Mutex<String>("")
        let release = DispatchSemaphore(value: 0)
        let t = DedicatedThread(name: "ecc-test-loop") {
            var buffer = [UInt8](repeating: 0, count: 64)
            let fd = open("/proc/thread-self/comm", O_RDONLY)
            let n = read(fd, &buffer, 63)
            close(fd)
            name.withLock {
                $0 = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .newlines)
            }
            release.wait()
        }
        #expect(!t.isFinished)
        let waiter = Task { await t.join() }
        release.signal()
        async let second: Void = t.join()
        await waiter.value
        await second
        t.joinBlocking()
        t.joinBlocking()
        #expect(t.isFinished)
        await t.join()  // after the end, at once
        #expect(name.withLock { $0 } == "ecc-test-loop")
    }
}
