#!/usr/bin/env python3
"""Writes a week of a small estate's events as JSON lines, the same on every run (docs/rules.md, Backtesting).

200 servers sample filesystems and CPU every few minutes around their own levels, 16 switches with 24
ports send linkDown/linkUp traps (some ports bounce for a few seconds, some for a minute or more, a few
stay down), SSH failures come in bursts, and now and then a node goes down and comes back.

Usage: week.py [START] > week.jsonl   (START: RFC 3339, default 2026-11-23T00:00:00Z)
"""
import json, random, sys
from datetime import datetime

start = datetime.fromisoformat((sys.argv[1] if len(sys.argv) > 1 else "2026-11-23T00:00:00Z").replace("Z", "+00:00"))
t0 = start.timestamp()
week = 7 * 86400
rnd = random.Random(23)
events = []


def add(t, source, host, type_, **attributes):
    e = {"time": round(t0 + t, 3), "source": source, "host": host, "type": type_}
    if attributes:
        e["attributes"] = attributes
    events.append(e)


for h in range(200):
    host = f"srv{h:03d}"
    fs, cpu = rnd.randrange(40, 97), rnd.choice([20, 35, 50, 70, 92])
    t = rnd.uniform(0, 300)
    while t < week:
        add(t, "agent", host, "fsUsage", mount="/var", pct=min(100, fs + rnd.randrange(-2, 3)))
        add(t + 1, "agent", host, "cpuUsage", usage=min(100, cpu + rnd.randrange(-4, 5)))
        t += rnd.uniform(240, 360)
    for _ in range(rnd.randrange(0, 3)):  # a few outages a week
        down = rnd.uniform(0, week - 3600)
        add(down, "poller", host, "nodeDown")
        add(down + rnd.uniform(30, 1800), "poller", host, "nodeUp")
for s in range(16):
    switch = f"sw{s:02d}"
    for port in range(1, 25):
        t = rnd.uniform(0, week / 4)
        while t < week:
            add(t, "snmp", switch, "linkDown", ifIndex=port)
            # Most bounces last seconds; some a minute or more; now and then a port stays down for hours.
            outage = rnd.choice([2, 4, 6, 8, 20, 45, 90, 600, 7200])
            add(t + outage, "snmp", switch, "linkUp", ifIndex=port)
            t += outage + rnd.expovariate(1 / 40000)
for _ in range(300):  # SSH brute-force bursts
    t = rnd.uniform(0, week - 600)
    host, ip = f"srv{rnd.randrange(200):03d}", f"203.0.113.{rnd.randrange(250)}"
    for _ in range(rnd.randrange(2, 30)):
        add(t, "syslog", host, "auth_failure", service="sshd", src_ip=ip, user=rnd.choice(["root", "admin", "oracle"]))
        t += rnd.uniform(0.5, 8)
events.sort(key=lambda e: e["time"])
out = sys.stdout
for e in events:
    out.write(json.dumps(e, separators=(",", ":")) + "\n")
