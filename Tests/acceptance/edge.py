#!/usr/bin/env python3
"""Acceptance at the edge, against the real eccd process (what in-process tests cannot show):

  1. 10,000 TCP connections that each send one byte and stay open cost eccd little memory (it grew from
     43 MB to 757 MB before idle connections stopped pinning a 64 KiB read buffer and a batch of events);
     skipped, saying so, where `ulimit -Hn` is below what 10,000 connections on both ends need;
  2. file descriptors: eccd refuses to start when its connection caps do not fit `ulimit -Hn` (saying
     what to change); when they fit, 400 connection attempts against a cap of 40 are refused by the cap
     (counted as `connections`), eccd never runs out of descriptors, does not spin, and serves on;
  3. the review's crash request (`"time":1e10`) is a 400 and eccd keeps running.

Usage: edge.py BIN_DIR
"""
import json, os, resource, signal, socket, subprocess, sys, tempfile, time, urllib.request

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="ecc-edge-")
procs = []


def fail(msg, log=None):
    harness.fail("edge", msg, log)


def start(name, extra="", nofile=None, http_extra=""):
    http, tcp, udp = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    os.makedirs(f"{work}/{name}/rules", exist_ok=True)
    with open(f"{work}/{name}/rules/r.yaml", "w") as f:
        f.write("- rule: flood\n  when: {type: flood}\n  key: \"{host}\"\n  alarm: {severity: minor}\n")
    with open(f"{work}/{name}/eccd.yaml", "w") as f:
        f.write(f"database: {{path: {work}/{name}/ecc.db}}\nrules: [{work}/{name}/rules]\n"
                f"http:\n  listen: 127.0.0.1:{http}\n{http_extra}snmp: {{listen: 127.0.0.1:{udp}}}\nsyslog: {{enabled: false}}\n"
                f"tcp:\n  listen: 127.0.0.1:{tcp}\n{extra}")
    log = f"{work}/{name}/eccd.log"

    def limit():
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    p = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/{name}/eccd.yaml"], stdout=open(log, "w"),
                         stderr=subprocess.STDOUT, preexec_fn=limit)
    procs.append(p)
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=1)
            return p, http, tcp, log
        except Exception:
            time.sleep(0.05)
    fail("eccd did not start", log)


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric(http, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def main():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    # 1. Idle connections holding a partial line.
    if hard < 14_000:
        print(f"acceptance edge: SKIP the 10,000-connection memory check: ulimit -Hn is {hard}, it needs 14000")
    else:
        memory(hard)
    crash_request()
    descriptors()
    print("acceptance edge: OK")


def memory(hard):
    p, http, tcp, log = start("memory", "  max_connections: 12000\n")
    before = rss_mb(p.pid)
    conns = []
    for i in range(10_000):
        s = socket.create_connection(("127.0.0.1", tcp))
        s.sendall(b"{")
        conns.append(s)
    time.sleep(2)
    held = rss_mb(p.pid)
    for s in conns:
        s.close()
    conns.clear()
    time.sleep(2)
    after = rss_mb(p.pid)
    print(f"acceptance edge: 10,000 connections holding a byte each: RSS {before:.0f} MB -> {held:.0f} MB, "
          f"{after:.0f} MB after they closed")
    if held - before > 250:
        fail(f"10,000 idle connections grew eccd by {held - before:.0f} MB (bound: 250 MB)", log)
    p.send_signal(signal.SIGTERM)
    if p.wait(30) != 0:
        fail("eccd did not exit 0", log)


def crash_request():
    # 3. The crash request of the review.
    p, http, tcp, log = start("crash")
    req = urllib.request.Request(f"http://127.0.0.1:{http}/v1/events", method="POST",
                                 data=b'{"source":"a","host":"b","type":"c","time":1e10}')
    try:
        urllib.request.urlopen(req, timeout=5)
        fail("time 1e10 was accepted", log)
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        if e.code != 400 or "outside the times" not in body.get("error", ""):
            fail(f"time 1e10: {e.code} {body}", log)
    if p.poll() is not None:
        fail("eccd died on time 1e10", log)
    p.send_signal(signal.SIGTERM)
    if p.wait(30) != 0:
        fail("eccd did not exit 0", log)


def descriptors():
    conns = []
    # 2. File descriptors: caps that do not fit the limit are refused at start, with what to change.
    http2, tcp2, udp2 = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    os.makedirs(f"{work}/nofile/rules", exist_ok=True)
    with open(f"{work}/nofile/rules/r.yaml", "w") as f:
        f.write("- rule: flood\n  when: {type: flood}\n  key: \"{host}\"\n  alarm: {severity: minor}\n")
    cfg = (f"database: {{path: {work}/nofile/ecc.db}}\nrules: [{work}/nofile/rules]\n"
           f"http: {{listen: 127.0.0.1:{http2}}}\nsnmp: {{listen: 127.0.0.1:{udp2}}}\nsyslog: {{enabled: false}}\n")
    with open(f"{work}/nofile/too-many.yaml", "w") as f:
        f.write(cfg + f"tcp: {{listen: 127.0.0.1:{tcp2}}}\n")

    def nofile():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    r = subprocess.run([f"{BIN}/eccd", "--config", f"{work}/nofile/too-many.yaml"], capture_output=True, text=True,
                       preexec_fn=nofile, timeout=60)
    if r.returncode == 0 or "file descriptors" not in r.stderr or "lower the caps" not in r.stderr:
        fail(f"eccd started with caps over its descriptor limit: {r.returncode} {r.stderr[-400:]}")
    print("acceptance edge: caps over the descriptor limit refused at start: "
          + r.stderr.strip().splitlines()[-1][-160:])
    p, http, tcp, log = start("nofile", "  max_connections: 40\n", nofile=256, http_extra="  max_connections: 40\n")
    for _ in range(400):
        try:
            conns.append(socket.create_connection(("127.0.0.1", tcp), timeout=2))
        except OSError:
            break
    time.sleep(1)
    cpu0 = cpu_seconds(p.pid)
    time.sleep(2)
    busy = (cpu_seconds(p.pid) - cpu0) / 2
    refused = metric(http, 'ecc_input_refused_total{collector="tcp",reason="connections"}')
    failed = metric(http, 'ecc_input_refused_total{collector="tcp",reason="accept_failed"}')
    print(f"acceptance edge: {len(conns)} connections against a cap of 40 under ulimit -n 256: {refused:.0f} refused "
          f"by the cap, {failed:.0f} accept failures, eccd at {busy * 100:.0f}% of a core")
    if refused < len(conns) - 40 or failed > 0:
        fail("connections over the cap were not refused by the cap", log)
    if busy > 0.2:
        fail(f"eccd uses {busy * 100:.0f}% of a core holding 40 idle connections", log)
    for s in conns:
        s.close()
    conns.clear()
    s = socket.create_connection(("127.0.0.1", tcp), timeout=5)
    s.sendall(b'{"source":"t","host":"back","type":"flood"}\n')
    s.close()
    deadline = time.time() + 10
    while metric(http, 'ecc_events_received_total{collector="tcp"}') < 1:
        if time.time() > deadline:
            fail("eccd did not take connections again", log)
        time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    if p.wait(30) != 0:
        fail("eccd did not exit 0", log)


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    subprocess.run(["rm", "-rf", work])
