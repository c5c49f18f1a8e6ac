#!/usr/bin/env python3
"""generate.py N [SEED] - N raw syslog lines for the ECC-vs-SEC benchmark (bench/sec/README.md).

Deterministic for a given N and SEED (default 1). Lines are in time order, one RFC 3339 timestamp
with whole seconds each (`2026-11-25T10:02:30+00:00 web01 sshd[4242]: ...`), about 20 lines per
second of event time (1 M lines = 13.9 hours), at least one line in every second. About 85 % of
them are noise no rule takes; the rest are episodes of each construct, laid out so that the edges
of every window are at least 10 s away from any event of the same key (see README.md, "Workload"):
that is what makes ECC's and SEC's alarms equal as multisets despite their different window rules.

The first and the last line are heartbeats (events for ECC, so its clock, which only moves with
events, starts and stops where SEC's does), and nothing that sets a timer whose alarm is compared
starts in the last 15 minutes, so no such timer is due near the end of the input.
"""
import random
import sys
import time as _time
from datetime import datetime, timezone

RATE = 20                       # lines per second of event time, on average
T0 = int(datetime(2026, 11, 25, 10, 2, 30, tzinfo=timezone.utc).timestamp())
MARGIN = 10                     # seconds kept between a window's edge and any event of its key


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: generate.py N [SEED]")
    n = int(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    # Duration: N / RATE seconds, ending at second 30 of a minute that no calendar rule names
    # (the cron minutes are 0 and 5 mod 10), so both engines have fired the same occurrences.
    d = max(n // RATE, 60)
    while (datetime.fromtimestamp(T0 + d, timezone.utc).minute % 5 == 0
           or (T0 + d) % 60 != 30):
        d += 1
    ev = []                     # (second offset from T0, text after the timestamp)
    add = ev.append

    hosts = ([f"web{i:02d}" for i in range(1, 61)] + [f"app{i:02d}" for i in range(1, 41)]
             + [f"db{i:02d}" for i in range(1, 21)] + [f"cache{i:02d}" for i in range(1, 13)]
             + [f"mail{i:02d}" for i in range(1, 7)] + [f"lb{i:02d}" for i in range(1, 5)])
    tail = 900                  # no new episode with a compared timer in the last 15 minutes

    def poisson(mean, start, end):
        t = start + rng.expovariate(1 / mean)
        while t < end:
            yield int(t)
            t += rng.expovariate(1 / mean)

    # 5. Heartbeats: every host every 60 s (+-5 s); outages of 8-20 min, ~1 per host per 5 h.
    #    A host is silent >= 480 s > 300 s (absent_for) + margin; normal gaps are <= 70 s.
    for h in hosts:
        pid = rng.randint(300, 3000)
        outages = []
        t = rng.uniform(600, 5 * 3600)
        while True:
            dur = rng.uniform(480, 1200)
            if t + dur > d - tail:
                break
            outages.append((int(t), int(t + dur)))
            t += dur + max(3600, rng.expovariate(1 / (5 * 3600)))
        phase = rng.randint(0, 59)
        seq = 0
        k = 0
        oi = 0
        while True:
            t = phase + 60 * k + rng.randint(-5, 5)
            k += 1
            if t > d:
                break
            if t < 1:
                continue
            while oi < len(outages) and t >= outages[oi][1]:
                # resume: the first heartbeat after an outage comes exactly at its end
                seq += 1
                add((outages[oi][1], f"{h} node-agent[{pid}]: heartbeat seq={seq} load=0.{rng.randint(1, 99):02d}"))
                oi += 1
            if oi < len(outages) and t > outages[oi][0]:
                continue
            seq += 1
            add((t, f"{h} node-agent[{pid}]: heartbeat seq={seq} load=0.{rng.randint(1, 99):02d}"))
    # The first and last lines: heartbeats of web01 (an extra one changes nothing: it is never in
    # an outage at t = 0 or in the tail).
    add((0, f"web01 node-agent[77]: heartbeat seq=0 load=0.01"))

    # 3. SSH brute force: bursts of 1-12 failures from one address within 33 s (5 or more raise),
    #    the same address again only 130 s after its last failure (window 60 s + once_per 60 s + margin).
    addr_pool = ([f"203.0.113.{i}" for i in range(1, 255)] + [f"198.51.100.{i}" for i in range(1, 255)]
                 + [f"45.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(2500)])
    addr_free = {a: 0 for a in addr_pool}
    users = ["root", "admin", "invalid user oracle", "invalid user test", "ubuntu", "invalid user pi",
             "postgres", "invalid user git"]
    for t in poisson(25, 30, d - 180):
        a = rng.choice(addr_pool)
        if addr_free[a] > t:
            continue
        k = rng.choice([1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9, 12])
        h = rng.choice(hosts)
        tt = t
        for i in range(k):
            if i:
                tt += rng.randint(1, 3)
            add((tt, f"{h} sshd[{rng.randint(2000, 60000)}]: Failed password for {rng.choice(users)} "
                     f"from {a} port {rng.randint(1024, 65535)} ssh2"))
        addr_free[a] = tt + 130

    # 2. Disk warnings (once per 10 min): 30 disks alternating quiet spells and warning spells with a
    #    warning every 20-120 s; warnings within MARGIN of a suppression window's end are left out.
    for i in range(30):
        h = hosts[(i * 7) % len(hosts)]
        dev = f"/dev/sd{'abcd'[i % 4]}"
        pid = rng.randint(500, 900)
        t = rng.uniform(60, 3 * 3600)
        times = []
        while t < d - 60:
            end = min(t + rng.uniform(300, 2400), d - 60)
            while t < end:
                times.append(int(t))
                t += rng.uniform(20, 120)
            t = end + rng.uniform(1800, 3 * 3600)
        start = None
        for t in times:
            if start is None or t >= start + 600 + MARGIN:
                start = t
            elif t > start + 600 - MARGIN:
                continue
            add((t, f"{h} smartd[{pid}]: Device: {dev} [SAT], {rng.randint(1, 64)} Currently unreadable "
                    f"(pending) sectors"))

    # 4. Services: a unit fails; 60 % are started again within 5-50 s, 30 % never, 10 % late (75-300 s).
    #    One host/unit again only 700 s after its episode (the ECC rules' auto_clear of 10 min + margin).
    units = ["nginx.service", "postgresql.service", "redis-server.service", "php8.2-fpm.service",
             "docker.service", "cron.service"]
    results = ["exit-code", "signal", "timeout", "core-dump"]
    unit_free = {}
    for t in poisson(60, 30, d - tail):
        key = (rng.choice(hosts), rng.choice(units))
        if unit_free.get(key, 0) > t:
            continue
        h, u = key
        add((t, f"{h} systemd[1]: {u}: Failed with result '{rng.choice(results)}'."))
        r = rng.random()
        end = t
        if r < 0.6:
            end = t + rng.randint(5, 50)
        elif r >= 0.9:
            end = t + rng.randint(75, 300)
        if end != t:
            add((end, f"{h} systemd[1]: Started {u} - {u.split('.')[0]} daemon."))
        unit_free[key] = max(end, t + 60) + 700
    # ... and units started with no failure before them (deploys): nothing in either engine.
    for t in poisson(120, 30, d - 10):
        key = (rng.choice(hosts), rng.choice(units))
        if unit_free.get(key, 0) > t:
            continue
        add((t, f"{key[0]} systemd[1]: Started {key[1]} - {key[1].split('.')[0]} daemon."))
        unit_free[key] = t + 1

    # 1. OOM kills: each its own alarm (a new pid each time).
    pid = 20000 + rng.randint(0, 5000)
    comms = ["java", "python3", "node", "postgres", "php-fpm8.2", "ruby"]
    for t in poisson(100, 10, d - 10):
        pid += rng.randint(1, 40)
        up = (t + T0) % 1000000
        add((t, f"{rng.choice(hosts)} kernel: [{up}.{rng.randint(0, 999999):06d}] Out of memory: Killed process "
                f"{pid} ({rng.choice(comms)}) total-vm:{rng.randint(100000, 9000000)}kB, "
                f"anon-rss:{rng.randint(50000, 8000000)}kB, file-rss:0kB, shmem-rss:0kB, UID:{rng.randint(33, 2000)} "
                f"pgtables:{rng.randint(100, 9000)}kB oom_score_adj:0"))

    # 6./8. Maintenance windows (20-60 min, ~1 per host per 6 h) and health-check episodes: a check
    #    fails (1-3 FAILED lines) and recovers (OK). Episodes lie wholly inside a window of their host
    #    (then they are check-failed-in-maintenance) or wholly outside every window (check-failed),
    #    15 s away from its edges; episodes of one host/check never overlap.
    checks = ["http", "dns", "disk", "ntp", "tls", "db"]
    maint = {h: [] for h in hosts}
    busy = {}

    def free(key, a, b):
        return all(b + MARGIN < x or a > y + MARGIN for x, y in busy.get(key, ()))

    def episode(h, c, a, fails, ok_at):
        pid = rng.randint(1000, 30000)
        t = a
        for i in range(fails):
            if i:
                t += rng.randint(20, 60)
            add((t, f"{h} healthcheck[{pid}]: check {c} FAILED: {rng.choice(['connection refused', 'timeout after 5s', 'status 503', 'no route to host'])}"))
        add((ok_at, f"{h} healthcheck[{pid}]: check {c} OK: recovered after {ok_at - a}s"))
        busy.setdefault((h, c), []).append((a, ok_at))

    for h in hosts:
        pid = rng.randint(100, 999)
        t = rng.uniform(300, 6 * 3600)
        while True:
            dur = rng.uniform(1200, 3600)
            if t + dur > d - 60:
                break
            a, b = int(t), int(t + dur)
            ticket = f"CHG{rng.randint(10000, 99999)}"
            add((a, f"{h} maintd[{pid}]: maintenance window opened ticket={ticket} by ops"))
            add((b, f"{h} maintd[{pid}]: maintenance window closed ticket={ticket}"))
            maint[h].append((a, b))
            for c in rng.sample(checks, rng.randint(0, 3)):
                s = rng.randint(a + 15, a + 600)
                fails = rng.randint(1, 3)
                last = s + 60 * (fails - 1)
                ok = last + rng.randint(30, 600)
                if ok > b - 15:
                    continue
                episode(h, c, s, fails, ok)
            t += dur + max(3600, rng.expovariate(1 / (6 * 3600)))
    for s in poisson(30, 30, d - 60):
        h, c = rng.choice(hosts), rng.choice(checks)
        fails = rng.randint(1, 3)
        ok = s + 60 * (fails - 1) + rng.randint(60, 900)
        if ok > d - 10 or not free((h, c), s, ok):
            continue
        if any(not (ok + 15 < x or s > y + 15) for x, y in maint[h]):
            continue
        episode(h, c, s, fails, ok)

    # 7. Snapshots on nas1: a job finishing 10-110 s into 3 of 4 ten-minute cycles; the check at
    #    minute 5 of the cycle finds it (done lasts 6 min) or raises snapshot-missing.
    first_cycle = (T0 // 600 + 1) * 600 - T0
    c = first_cycle
    pid = 4100
    while c + 110 + 360 + 60 < d - tail:
        if rng.random() < 0.75:
            pid += rng.randint(1, 9)
            t = c + rng.randint(10, 110)
            add((t, f"nas1 zfs-snap[{pid}]: job snapshots finished in {rng.randint(5, 90)}s, 0 errors"))
        c += 600

    # Noise: one line in every second (so SEC's once-a-second timer check runs every second, as it
    # would live), the rest at random seconds, up to N lines in all.
    noise_n = n - len(ev) - 1
    if noise_n < d:
        sys.exit(f"generate.py: N={n} is too small for {len(ev)} structured lines over {d} s")
    pool = noise_pool(rng, hosts, 20000)
    rnd = rng.random
    np = len(pool)
    for t in range(0, d):
        add((t, pool[int(rnd() * np)]))
    for _ in range(noise_n - d):
        add((int(rnd() * d), pool[int(rnd() * np)]))
    ev.sort(key=lambda e: e[0])
    ev.append((d, "web01 node-agent[77]: heartbeat seq=1 load=0.01"))

    out = sys.stdout
    buf = []
    stamp = {}
    for t, text in ev:
        s = stamp.get(t)
        if s is None:
            s = _time.strftime("%Y-%m-%dT%H:%M:%S+00:00", _time.gmtime(T0 + t))
            stamp.clear()
            stamp[t] = s
        buf.append(s)
        buf.append(" ")
        buf.append(text)
        buf.append("\n")
        if len(buf) > 40000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


def noise_pool(rng, hosts, size):
    """Lines no rule takes: logins, cron, sessions, mail, kernel, web, and near misses of the rules'
    patterns (accepted logins, failed publickey, units started by hand, a heartbeat-like message)."""
    r = rng.randint
    out = []
    for _ in range(size):
        h = rng.choice(hosts)
        k = r(0, 15)
        if k == 0:
            m = (f"sshd[{r(2000, 60000)}]: Accepted publickey for deploy from 10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)} "
                 f"port {r(1024, 65535)} ssh2: ED25519 SHA256:Zm9vYmFy{r(1000, 9999)}")
        elif k == 1:
            m = f"CRON[{r(2000, 60000)}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
        elif k == 2:
            m = f"CRON[{r(2000, 60000)}]: pam_unix(cron:session): session closed for user root"
        elif k == 3:
            m = f"systemd[1]: Started Session {r(1, 99999)} of User deploy."
        elif k == 4:
            m = f"systemd-logind[{r(300, 900)}]: New session {r(1, 99999)} of user deploy."
        elif k == 5:
            m = (f"kernel: [{r(1000, 999999)}.{r(0, 999999):06d}] IPv4: martian source 10.0.0.255 from "
                 f"192.168.{r(0, 255)}.{r(1, 254)}, on dev eth0")
        elif k == 6:
            m = f"postfix/smtpd[{r(2000, 60000)}]: connect from unknown[198.18.{r(0, 255)}.{r(1, 254)}]"
        elif k == 7:
            m = (f"postfix/qmgr[{r(500, 900)}]: {r(0x10000000, 0xffffffff):X}: from=<app@example.org>, "
                 f"size={r(500, 90000)}, nrcpt=1 (queue active)")
        elif k == 8:
            m = (f"nginx[{r(1000, 9000)}]: 10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)} - - \"GET /api/v1/items/{r(1, 99999)} "
                 f"HTTP/1.1\" 200 {r(100, 90000)} \"-\" \"curl/8.5.0\"")
        elif k == 9:
            m = (f"nginx[{r(1000, 9000)}]: 10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)} - - \"POST /api/v1/orders "
                 f"HTTP/1.1\" 201 {r(100, 900)} \"-\" \"python-requests/2.31\"")
        elif k == 10:
            m = f"sshd[{r(2000, 60000)}]: pam_unix(sshd:session): session closed for user deploy"
        elif k == 11:
            m = (f"sshd[{r(2000, 60000)}]: Failed publickey for git from 10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)} "
                 f"port {r(1024, 65535)} ssh2")
        elif k == 12:
            m = f"dhclient[{r(300, 900)}]: DHCPACK of 10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)} from 10.0.0.1"
        elif k == 13:
            m = f"node-agent[{r(300, 3000)}]: metrics flushed: {r(10, 900)} samples in {r(1, 90)} ms"
        elif k == 14:
            m = f"healthcheck[{r(1000, 30000)}]: running {r(4, 6)} checks"
        else:
            m = (f"smartd[{r(500, 900)}]: Device: /dev/sd{rng.choice('abcd')} [SAT], SMART Usage Attribute: 194 "
                 f"Temperature_Celsius changed from {r(30, 40)} to {r(30, 40)}")
        out.append(f"{h} {m}")
    return out


if __name__ == "__main__":
    main()
