import EccCore
import EccIncidents
import EccRules
import EccYAML
import Foundation
import Testing

@testable import EccDaemon

@Suite("Replay on event time")
struct ReplayTests {
    static let rules = """
        - rule: interface-down
          when: {type: linkDown}
          key: "{host}/{ifIndex}"
          clear_when: {type: linkUp}
          hold: 10s
          alarm: {severity: major, summary: "Interface {ifIndex} down on {host}"}
        - rule: agent-silent
          expect: {type: heartbeat}
          absent_for: 10m
          key: "{host}"
          alarm: {severity: warning, summary: "{host} silent"}
        """

    static func ruleSet(_ text: String = rules) throws -> RuleSet {
        try RuleLoader.load(sources: [("replay.yaml", text)])
    }

    static let t0 = EventTime(nanoseconds: 1_764_000_000_000_000_000)

    static func event(_ type: String, host: String, at seconds: Int64, ifIndex: Int64? = nil) -> Event {
        var attrs = Attributes()
        if let ifIndex { attrs["ifIndex"] = .int(ifIndex) }
        return Event(
            time: t0.adding(nanoseconds: seconds * 1_000_000_000), source: "test", host: host, type: type,
            attributes: attrs)
    }

    /// Replays `events` and returns every change (repeats included) as `kind rule key @seconds`.
    static func replay(_ events: [Event], rules: RuleSet, options: Replay.Options = .init()) -> [String] {
        var r = Replay(rules: rules, options: options)
        var out: [String] = []
        let take = { (b: ChangeBatch) in
            for c in b.changes {
                out.append(
                    "\(c.kind.rawValue) \(c.alarm.rule) \(c.alarm.key) @\((c.at.nanoseconds - t0.nanoseconds) / 1_000_000_000)"
                )
            }
        }
        for e in events { r.feed(e, emit: take) }
        r.finish(emit: take)
        return out
    }

    @Test("timers fire at their event-time deadlines, however fast the events are read")
    func timersOnEventTime() throws {
        let events = [
            Self.event("heartbeat", host: "pc1", at: 0),
            Self.event("linkDown", host: "sw1", at: 100, ifIndex: 3),
            Self.event("linkDown", host: "sw1", at: 200, ifIndex: 4),
            Self.event("linkUp", host: "sw1", at: 205, ifIndex: 4),  // back within the hold: nothing
            Self.event("linkUp", host: "sw1", at: 400, ifIndex: 3),
            Self.event("heartbeat", host: "pc1", at: 3600),  // an hour later: pc1 was silent from 600 s
        ]
        let changes = Self.replay(events, rules: try Self.ruleSet())
        #expect(
            changes == [
                "raised interface-down sw1/3 @110",  // the hold's deadline, not the next event's time
                "cleared interface-down sw1/3 @400",
                "raised agent-silent pc1 @600",
                "cleared agent-silent pc1 @3600",
            ])
    }

    @Test("three runs over the same events make the same changes")
    func deterministic() throws {
        var events: [Event] = []
        for i in 0..<20_000 {
            let s = Int64(i / 10)
            switch i % 7 {
            case 0, 3: events.append(Self.event("linkDown", host: "sw\(i % 13)", at: s, ifIndex: Int64(i % 5)))
            case 1, 5: events.append(Self.event("linkUp", host: "sw\(i % 11)", at: s, ifIndex: Int64(i % 5)))
            default: events.append(Self.event("heartbeat", host: "pc\(i % 17)", at: s + Int64(i % 3) * 700))
            }
        }
        events.sort { $0.time < $1.time }
        let rules = try Self.ruleSet()
        let first = Self.replay(events, rules: rules)
        #expect(first.count > 100)
        #expect(Self.replay(events, rules: rules) == first)
        #expect(Self.replay(events, rules: rules) == first)
    }

    @Test("--from and --to skip events outside; at the end only timers due by --to fire")
    func window() throws {
        let events = [
            Self.event("linkDown", host: "sw1", at: 0, ifIndex: 1),
            Self.event("linkDown", host: "sw1", at: 100, ifIndex: 2),
            Self.event("linkDown", host: "sw1", at: 200, ifIndex: 3),
        ]
        let options = Replay.Options(
            from: Self.t0.adding(nanoseconds: 50_000_000_000), to: Self.t0.adding(nanoseconds: 205_000_000_000))
        var r = Replay(rules: try Self.ruleSet(), options: options)
        var raised: [String] = []
        for e in events { r.feed(e) { b in raised += b.changes.map(\.alarm.key) } }
        r.finish { b in raised += b.changes.map(\.alarm.key) }
        #expect(raised == ["sw1/2"])  // sw1/1 is before --from; sw1/3's hold ends at 210 s, after --to
        #expect(r.summary.skipped == 1)
        #expect(r.summary.events == 2)
    }

    @Test("JSON lines: events in order, lines without time or with errors refused by number")
    func jsonLines() throws {
        let text = """
            {"time": "2026-11-30T10:00:00Z", "source": "s", "host": "h1", "type": "linkDown", "attributes": {"ifIndex": 1}}

            {"source": "s", "host": "h1", "type": "linkDown"}
            {"time": "2026-11-30T10:00:01Z", "source": "s", "type": }
            {"time": 1764496802, "source": "s", "host": "h2", "type": "linkUp"}
            """
        let (events, refusals) = try Self.read(Array(text.utf8))
        #expect(events.map(\.host) == ["h1", "h2"])
        #expect(refusals.map(\.position) == [3, 4])
        #expect(refusals[0].message.contains("no time"))
    }

    @Test("a line longer than the limit is refused whole and the next one is read")
    func longLine() throws {
        var bytes = Array(#"{"time": 1764496802, "source": "s", "type": "x", "summary": ""#.utf8)
        bytes += Array(repeating: UInt8(ascii: "a"), count: ReplayInput.maxLineBytes + 10)
        bytes += Array("\"}\n{\"time\": 1764496803, \"source\": \"s\", \"type\": \"y\"}\n".utf8)
        let (events, refusals) = try Self.read(bytes)
        #expect(events.map(\.type) == ["y"])
        #expect(refusals.count == 1 && refusals[0].position == 1)
    }

    @Test("a pcap capture of SNMP traps: each trap an event with its sender and capture time")
    func pcap() throws {
        var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8)
        file += [0xFF, 0xFF, 0, 0, 1, 0, 0, 0]  // snaplen, Ethernet
        let trap = Self.linkDownTrap(ifIndex: 7)
        var frame: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        let udpLength = 8 + trap.count
        var ip: [UInt8] = [
            0x45, 0, UInt8((20 + udpLength) >> 8), UInt8((20 + udpLength) & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0,
        ]
        ip += [192, 0, 2, 9, 127, 0, 0, 1]
        frame += ip + [0xC3, 0x50, 0x00, 0xA2, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + trap
        let record = Self.le32(1_764_496_800) + Self.le32(250_000) + Self.le32(frame.count) + Self.le32(frame.count)
        file += record + frame
        // An ARP frame: refused as not IP, the trap still read.
        let arp: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        file += Self.le32(1_764_496_801) + Self.le32(0) + Self.le32(arp.count) + Self.le32(arp.count) + arp
        let (events, refusals) = try Self.read(file)
        #expect(events.count == 1)
        #expect(events.first?.host == "192.0.2.9")
        #expect(events.first?.type == "linkDown")
        #expect(events.first?.time == EventTime(nanoseconds: 1_764_496_800_250_000_000))
        #expect(refusals.map(\.position) == [2])
    }

    @Test("a pcap record up to 256 KiB is read; a longer one is a corrupt file, and reading stops there")
    func pcapRecordLimit() throws {
        var file: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8)
        file += [0xFF, 0xFF, 0, 0, 1, 0, 0, 0]
        func record(_ frame: [UInt8], at seconds: Int) -> [UInt8] {
            Self.le32(seconds) + Self.le32(0) + Self.le32(frame.count) + Self.le32(frame.count) + frame
        }
        // The largest record: an Ethernet frame that is not IP, refused as such; the next one is read.
        let big = [UInt8](repeating: 0, count: 12) + [0x08, 0x06] + [UInt8](repeating: 0, count: 262_144 - 14)
        let trap = Self.linkDownTrap(ifIndex: 3)
        let udpLength = 8 + trap.count
        var frame: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, UInt8((20 + udpLength) >> 8), UInt8((20 + udpLength) & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0]
        frame += [192, 0, 2, 9, 127, 0, 0, 1]
        frame += [0xC3, 0x50, 0x00, 0xA2, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + trap
        let tooBig = big + [0]
        let (events, refusals) = Self.read(bytes: file + record(big, at: 1) + record(frame, at: 2))
        #expect(events.count == 1)
        #expect(refusals.map(\.position) == [1] && refusals[0].message.contains("not IP"))
        let (after, refused) = Self.read(bytes: file + record(tooBig, at: 1) + record(frame, at: 2))
        #expect(after.isEmpty)
        #expect(refused.map(\.description) == ["packet 1: truncated or corrupt record (262145 bytes)"])
        // From a file, as from memory.
        #expect(try Self.read(file + record(big, at: 1) + record(frame, at: 2)).0.map(\.host) == ["192.0.2.9"])
    }

    @Test("raw syslog lines through the shipped parsers: the example log raises what its lines say")
    func textLines() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let rules = try RuleLoader.load(paths: [root.appendingPathComponent("rules").path])
        let fd = open(root.appendingPathComponent("docs/examples/syslog.log").path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        var events: [Event] = []
        var refusals: [ReplayInput.Refusal] = []
        var unmatched = 0
        let reference = try #require(RFC3339.parse("2026-12-06T12:00:00Z"))
        ReplayInput.read(
            fd: fd, format: .text, text: .init(parsers: rules.parsers, reference: reference),
            event: { events.append($0) }, refused: { refusals.append($0) }, unmatched: { unmatched += 1 })
        #expect(events.count == 14 && unmatched == 4 && refusals.isEmpty)
        #expect(events.first?.time.description == "2026-12-05T02:12:40.512Z")
        #expect(events.first?.attributes["service"] == .string("sshd"))
        let sudo = try #require(events.first { $0.attributes["service"] == .string("sudo") })
        #expect(
            sudo.host == "app1" && sudo.attributes["user"] == .string("alice")
                && sudo.attributes["rhost"] == .string(""))
        var replay = Replay(rules: rules, options: .init(to: RFC3339.parse("2026-12-05T04:00:00Z")))
        var raised: [String] = []
        for e in events { replay.feed(e) { b in raised += b.changes.filter { $0.kind == .raised }.map(\.alarm.rule) } }
        replay.finish { b in raised += b.changes.filter { $0.kind == .raised }.map(\.alarm.rule) }
        #expect(raised == ["ssh-brute-force", "sudo-failures", "service-failed", "service-restart-loop"])
    }

    @Test("a replay of JSON lines runs calendar rules on the recording's time (events are not history)")
    func calendarInReplay() throws {
        let rules = try RuleLoader.load(sources: [
            (
                "w.yaml",
                """
                - rule: nightly
                  schedule:
                    emit: "0 2 * * *"
                    event: {type: nightly_check, host: backup1}
                - rule: done
                  when: {type: backupFinished}
                  key: "{host}"
                  once_per: 20h
                  alarm: {}
                - rule: missing
                  when: {type: nightly_check}
                  key: "{host}"
                  unless_alarm: {rule: done, key: "{host}"}
                  alarm: {}
                """
            )
        ])
        // Two days of a host that reports; one backup at midnight, good for 20 hours: the second check misses it.
        var lines =
            #"{"time": "2025-12-01T00:00:00Z", "source": "s", "host": "backup1", "type": "backupFinished"}"# + "\n"
        for h in stride(from: 1, to: 60, by: 1) {
            lines += #"{"time": \#(1_764_547_200 + h * 3600), "source": "s", "host": "web1", "type": "ping"}"# + "\n"
        }
        var events: [Event] = []
        ReplayInput.read(bytes: Array(lines.utf8), event: { events.append($0) }, refused: { _ in })
        var replay = Replay(rules: rules)
        var raised: [String] = []
        for e in events {
            replay.feed(e) { raised += $0.changes.filter { $0.kind == .raised }.map { "\($0.alarm.rule) \($0.at)" } }
        }
        replay.finish { raised += $0.changes.filter { $0.kind == .raised }.map { "\($0.alarm.rule) \($0.at)" } }
        #expect(raised == ["done 2025-12-01T00:00:00.000Z", "missing 2025-12-02T02:00:00.000Z"])
    }

    @Test("diff: only the changes one rule set makes and the other does not")
    func diff() throws {
        let longer = Self.rules.replacingOccurrences(of: "hold: 10s", with: "hold: 60s")
        let events = [
            Self.event("linkDown", host: "sw1", at: 0, ifIndex: 1),
            Self.event("linkUp", host: "sw1", at: 30, ifIndex: 1),  // outlasts 10 s, not 60 s
            Self.event("linkDown", host: "sw1", at: 100, ifIndex: 2),
            Self.event("linkUp", host: "sw1", at: 300, ifIndex: 2),  // outlasts both
        ]
        func changes(_ text: String) throws -> [AlarmChange] {
            var r = Replay(rules: try Self.ruleSet(text))
            var out: [AlarmChange] = []
            for e in events { r.feed(e) { out += $0.changes } }
            r.finish { out += $0.changes }
            return out
        }
        let (onlyA, onlyB) = ReplayDiff.compare(try changes(Self.rules), try changes(longer))
        #expect(onlyA.map { "\($0.kind) \($0.alarm.key)" } == ["raised sw1/1", "cleared sw1/1", "raised sw1/2"])
        #expect(onlyB.map { "\($0.kind) \($0.alarm.key)" } == ["raised sw1/2"])  // 50 s later
    }

    // MARK: helpers

    static func le32(_ v: Int) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
    }

    static func read(_ bytes: [UInt8]) throws -> ([Event], [ReplayInput.Refusal]) {
        let path = NSTemporaryDirectory() + "ecc-replay-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var events: [Event] = []
        var refusals: [ReplayInput.Refusal] = []
        ReplayInput.read(fd: fd, event: { events.append($0) }, refused: { refusals.append($0) })
        return (events, refusals)
    }

    static func read(bytes: [UInt8]) -> ([Event], [ReplayInput.Refusal]) {
        var events: [Event] = []
        var refusals: [ReplayInput.Refusal] = []
        ReplayInput.read(bytes: bytes, event: { events.append($0) }, refused: { refusals.append($0) })
        return (events, refusals)
    }

    /// An SNMPv2c linkDown trap with an ifIndex varbind (BER by hand, as harness.py builds it).
    static func linkDownTrap(ifIndex: UInt8) -> [UInt8] {
        func tlv(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] { [tag, UInt8(body.count)] + body }
        func oid(_ arcs: [Int]) -> [UInt8] {
            var out: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
            for a in arcs.dropFirst(2) {
                var chunk: [UInt8] = [UInt8(a & 0x7F)]
                var v = a >> 7
                while v > 0 {
                    chunk.insert(UInt8(0x80 | (v & 0x7F)), at: 0)
                    v >>= 7
                }
                out += chunk
            }
            return tlv(0x06, out)
        }
        let binds =
            tlv(0x30, oid([1, 3, 6, 1, 2, 1, 1, 3, 0]) + tlv(0x43, [0x30, 0x39]))
            + tlv(0x30, oid([1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]) + oid([1, 3, 6, 1, 6, 3, 1, 1, 5, 3]))
            + tlv(0x30, oid([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, Int(ifIndex)]) + tlv(0x02, [ifIndex]))
        let pdu = tlv(0xA7, tlv(0x02, [1]) + tlv(0x02, [0]) + tlv(0x02, [0]) + tlv(0x30, binds))
        return tlv(0x30, tlv(0x02, [1]) + tlv(0x04, Array("public".utf8)) + pdu)
    }
}
