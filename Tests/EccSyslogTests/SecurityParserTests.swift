import EccCore
import EccSyslog
import Testing

/// The shipped security parsers (`rules/parsers.yaml`) on messages as the tools send them over syslog:
/// OpenSSH 9, sudo 1.9, util-linux su, shadow's useradd/usermod/userdel/groupadd and passwd (pam_unix),
/// netfilter's LOG target through the kernel log, and ClamAV's clamd. The same messages from the real
/// programs reach eccd in `SecurityProducerTests` (EccDaemonTests).
@Suite("Shipped security parsers")
struct SecurityParserTests {
    static let cases: [(message: String, type: String, attributes: [String: String])] = [
        (
            "sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 51000 ssh2", "auth_failure",
            ["service": "sshd", "user": "admin", "src": "203.0.113.9", "port": "51000", "method": "password"]
        ),
        (
            "sshd[4242]: Invalid user oracle from 203.0.113.9 port 51002", "invalid_user",
            ["service": "sshd", "user": "oracle", "src": "203.0.113.9", "port": "51002"]
        ),
        (
            "sshd[4243]: Accepted publickey for alice from 192.0.2.10 port 50522 ssh2: ED25519 SHA256:abc",
            "auth_success", ["service": "sshd", "user": "alice", "src": "192.0.2.10", "method": "publickey"]
        ),
        (
            "sshd[4244]: Connection closed by invalid user admin 203.0.113.9 port 51000 [preauth]",
            "preauth_disconnect", ["service": "sshd", "user": "admin", "src": "203.0.113.9"]
        ),
        (
            "sshd[4245]: Disconnected from authenticating user root 203.0.113.9 port 40112 [preauth]",
            "preauth_disconnect", ["service": "sshd", "user": "root", "src": "203.0.113.9"]
        ),
        (
            "sudo[900]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
            "privileged_command",
            ["service": "sudo", "user": "alice", "target": "root", "command": "/usr/bin/systemctl restart nginx"]
        ),
        (
            "sudo[901]:  mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash",
            "sudo_denied", ["service": "sudo", "user": "mallory", "target": "root", "command": "/bin/bash"]
        ),
        (
            "sudo[902]:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
                + "COMMAND=/bin/ls", "sudo_refused", ["service": "sudo", "user": "alice", "attempts": "3"]
        ),
        (
            "sudo[903]: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 "
                + "ruser=alice rhost=  user=alice", "auth_failure", ["service": "sudo", "user": "alice"]
        ),
        (
            "su[904]: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/0 "
                + "ruser=alice rhost=  user=root", "pam_auth_failure",
            ["service": "su", "user": "root", "ruser": "alice"]
        ),
        (
            "su[905]: FAILED SU (to root) alice on pts/0", "auth_failure",
            ["service": "su", "user": "alice", "target": "root"]
        ),
        (
            "su[906]: (to root) alice on pts/0", "privileged_session",
            ["service": "su", "user": "alice", "target": "root"]
        ),
        (
            "useradd[907]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/sh, from=/dev/pts/0",
            "account_created", ["user": "bob", "uid": "1001", "gid": "1001", "home": "/home/bob", "shell": "/bin/sh"]
        ),
        ("useradd[907]: new group: name=bob, GID=1001", "group_created", ["group": "bob", "gid": "1001"]),
        ("groupadd[908]: group added to /etc/group: name=ops, GID=1002", "group_created", ["group": "ops"]),
        ("usermod[909]: add 'bob' to group 'sudo'", "group_member_added", ["user": "bob", "group": "sudo"]),
        ("useradd[910]: add 'bob' to shadow group 'adm'", "group_member_added", ["user": "bob", "group": "adm"]),
        (
            "gpasswd[911]: user bob added by root to group wheel", "group_member_added",
            ["user": "bob", "group": "wheel"]
        ),
        ("userdel[912]: delete user 'bob'", "account_deleted", ["user": "bob"]),
        ("passwd[913]: pam_unix(passwd:chauthtok): password changed for bob", "password_changed", ["user": "bob"]),
        (
            "kernel: [12345.678901] DROP IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.9 "
                + "DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP SPT=51000 DPT=22 WINDOW=64240 "
                + "RES=0x00 SYN URGP=0", "firewall_log",
            [
                "src": "203.0.113.9", "dst": "192.0.2.1", "proto": "TCP", "SPT": "51000", "DPT": "22", "IN": "eth0",
                "prefix": "DROP",
            ]
        ),
        (
            "clamd[914]: /home/alice/Downloads/invoice.pdf.exe: Win.Trojan.Agent-123 FOUND", "malware",
            ["path": "/home/alice/Downloads/invoice.pdf.exe", "signature": "Win.Trojan.Agent-123"]
        ),
    ]

    @Test("each tool's message becomes its event with the fields the security rules read")
    func messages() throws {
        let parsers = try shippedParsers()
        for (message, type, attributes) in Self.cases {
            let e = event("<38>Dec  7 11:00:00 web1 " + message, parsers: parsers)
            #expect(e.type == type, "\(message)")
            #expect(e.host == "web1", "\(message)")
            for (name, value) in attributes {
                #expect(e.attributes[name] == .string(value), "\(message): \(name)")
            }
        }
    }

    @Test("ClamAV's finding is a security event, critical, whatever the syslog severity")
    func clamav() throws {
        let e = event(
            "<30>Dec  7 11:00:00 pc7 clamd[77]: /tmp/eicar.com: Eicar-Signature FOUND", parsers: try shippedParsers())
        #expect(e.source == "security" && e.type == "malware" && e.severity == .critical)
        #expect(e.summary == "ClamAV: Eicar-Signature in /tmp/eicar.com")
    }

    @Test("sudo's own log file: a command and a refusal, the time its own and no host (the follower's)")
    func sudoLogFile() throws {
        let parsers = try shippedParsers()
        let arrival = EventTime(nanoseconds: 1_796_644_800_000_000_000)  // 2026-12-07T12:00:00Z
        let ran = parsers.parse(
            "Dec  7 11:00:00 : alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
            receivedAt: arrival)
        guard case .event(let e) = ran else {
            Issue.record("not taken: \(ran)")
            return
        }
        #expect(e.type == "privileged_command" && e.host.isEmpty)
        #expect(e.attributes["user"] == .string("alice") && e.attributes["command"] == .string("/usr/bin/id"))
        #expect(e.time == RFC3339.parse("2026-12-07T11:00:00Z"))
        let denied = parsers.parse(
            "Dec  7 11:00:05 : mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash",
            receivedAt: arrival)
        guard case .event(let d) = denied else {
            Issue.record("not taken: \(denied)")
            return
        }
        #expect(d.type == "sudo_denied" && d.attributes["reason"] == .string("user NOT in sudoers"))
        #expect(d.attributes["service"] == .string("sudo") && d.attributes["target"] == .string("root"))
    }

    @Test("sshd's bare messages (sshd -E, read with files[].program) are taken with no pid")
    func sshdBare() throws {
        let e = event(
            "<38>Dec  7 11:00:00 web1 sshd: Failed password for root from 203.0.113.9 port 51000 ssh2",
            parsers: try shippedParsers())
        #expect(e.type == "auth_failure" && e.attributes["user"] == .string("root") && e.attributes["pid"] == nil)
    }
}
