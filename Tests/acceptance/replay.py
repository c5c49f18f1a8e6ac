#!/usr/bin/env python3
"""Acceptance: `eccd --replay` on event time, against the live daemon and against itself.

  * Live and replayed, the same alarms. Rules with every kind of timer (hold, threshold with a clear
    level, auto-clear, absence), on durations of seconds, with 1 s lateness. A recording of 20 s of
    events (10 hosts, one event every 50 ms) timed from now on is sent to a real eccd over TCP, each event
    at its time; once every timer due by 8 s after the last event has fired, eccd stops and the raises and
    clears in its store are read. `eccd --replay --to <last event + 8 s>` over the same file, with the same
    rules, must list the same raises and clears (rule, key, kind), each dated within 0.5 s of the live one
    (live, a change an event makes is dated when eccd processed it).
  * Deterministic: a day of 300,000 events replayed three times gives the same output, byte for byte;
    --format json lines parse; the summary counts what was read.
  * Diff: the rules against themselves differ in nothing; against a longer hold, in exactly the holds
    it changes.
  * A real capture: tcpdump records net-snmp's snmptrap sending linkDown traps to a port on 127.0.0.1;
    the replay turns the capture into the alarms of the shipped network rules, sender and time kept.
  * Raw lines and a scratch store: docs/examples/syslog.log through the shipped parsers (--input text)
    into a new database file (--store): the four alarms and incidents, and who would have been paged;
    an existing file is refused.
  * The scratch store through the usual commands: `eccd --view` serves it read-only; eccctl lists its
    incidents and alarms and explains one; an acknowledgement and a POST are refused (405); the file is
    unchanged.

Usage: replay.py BIN_DIR
"""
import json, os, random, signal, socket, sqlite3, subprocess, sys, tempfile, time, urllib.error, urllib.request
from datetime import datetime

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp(prefix="ecc-replay-")


def fail(msg):
    harness.fail("replay", msg, f"{work}/eccd.log")


RULES = """- engine: settings
  lateness: 1s
- rule: held
  when: {type: down}
  key: "{host}"
  clear_when: {type: up}
  hold: 2s
  alarm: {severity: major, summary: "{host} down"}
- rule: burst
  when: {type: fail}
  key: "{host}"
  threshold: {count: 3, within: 4s, clear_below: 1}
  alarm: {summary: "failures on {host}"}
- rule: quiet
  when: {type: noisy}
  key: "{host}"
  auto_clear: 3s
  alarm: {summary: "noisy {host}"}
- rule: silent
  expect: {type: heartbeat}
  absent_for: 3s
  key: "{host}"
  alarm: {summary: "{host} silent"}
"""
os.makedirs(f"{work}/rules")
os.makedirs(f"{work}/longer")
open(f"{work}/rules/r.yaml", "w").write(RULES)
open(f"{work}/longer/r.yaml", "w").write(RULES.replace("hold: 2s", "hold: 5s"))
http_port, tcp_port = free_port(), free_port()
open(f"{work}/eccd.yaml", "w").write(f"""database: {{path: {work}/ecc.db}}
rules: [{work}/rules]
http: {{listen: "127.0.0.1:{http_port}"}}
tcp: {{listen: "127.0.0.1:{tcp_port}"}}
snmp: {{enabled: false}}
syslog: {{enabled: false}}
""")


def replay(*args, stdin=None):
    p = subprocess.run([f"{BIN}/eccd", "--replay", *args], capture_output=True, input=stdin)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def seconds(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# --- 1. Live and replayed: the same alarms.
log = open(f"{work}/eccd.log", "w")
eccd = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/eccd.yaml"], stdout=log, stderr=log)
try:
    harness.wait_healthy(http_port, eccd, fail)
    # The recording starts a second from now: eccd is up, so each event can be sent at its time.
    rnd = random.Random(14)
    start = time.time() + 1
    events = []
    for i in range(400):
        k = rnd.random()
        kind = "down" if k < 0.2 else "up" if k < 0.35 else "fail" if k < 0.6 else "noisy" if k < 0.75 else "heartbeat"
        events.append({"time": round(start + i * 0.05, 3), "source": "replay-test", "host": f"h{rnd.randrange(10)}",
                       "type": kind})
    with open(f"{work}/recording.jsonl", "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    end = events[-1]["time"] + 8
    tcp = socket.create_connection(("127.0.0.1", tcp_port))
    for e in events:
        delay = e["time"] - time.time()
        if delay > 0:
            time.sleep(delay)
        tcp.sendall((json.dumps(e) + "\n").encode())
    # Every timer due by `end` fires once eccd's clock is 1 s (the lateness) past it.
    time.sleep(max(0, end + 1.5 - time.time()))
    tcp.close()
    eccd.send_signal(signal.SIGTERM)
    if eccd.wait(60) != 0:
        fail(f"eccd exited with {eccd.returncode}")
finally:
    if eccd.poll() is None:
        eccd.kill()
db = sqlite3.connect(f"{work}/ecc.db")
live = [(kind, at / 1e9, rule, key) for kind, at, rule, key in db.execute(
    "SELECT c.kind, c.at, a.rule, a.key FROM alarm_changes c JOIN alarms a ON a.id = c.alarm_id "
    "WHERE c.kind IN ('raised', 'cleared') ORDER BY c.seq")]
db.close()
live = [c for c in live if c[1] <= end]

to = datetime.utcfromtimestamp(end).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
code, out, err = replay(f"{work}/recording.jsonl", "--config", f"{work}/eccd.yaml", "--format", "json", "--to", to)
if code != 0:
    fail(f"eccd --replay exited with {code}: {err}")
replayed = [(c["change"], seconds(c["at"]), c["rule"], c["key"]) for c in map(json.loads, out.splitlines())
            if c["change"] in ("raised", "cleared")]
if len(live) < 20:
    fail(f"the live run made only {len(live)} raises and clears: the test is not testing")


def names(changes):
    return sorted((k, r, key) for k, _, r, key in changes)


if names(live) != names(replayed):
    only_live = sorted(set(names(live)) - set(names(replayed)))
    only_replay = sorted(set(names(replayed)) - set(names(live)))
    fail(f"live and replayed alarms differ: {len(live)} live, {len(replayed)} replayed; "
         f"only live {only_live[:5]}, only replayed {only_replay[:5]}")
by_name = {}
for c in sorted(live, key=lambda c: c[1]):
    by_name.setdefault((c[0], c[2], c[3]), []).append(c[1])
worst = 0.0
for c in sorted(replayed, key=lambda c: c[1]):
    t = by_name[(c[0], c[2], c[3])].pop(0)
    worst = max(worst, abs(t - c[1]))
if worst > 0.5:
    fail(f"a replayed change is dated {worst:.3f} s away from the live one")
print(f"replay: live and replayed alike: {len(live)} raises and clears from 400 events over 20 s, "
      f"dated within {worst * 1000:.0f} ms; summary: {err.strip()}", flush=True)

# --- 2. Deterministic, over a day of events.
with open(f"{work}/day.jsonl", "w") as f:
    t0 = 1_795_600_800
    for i in range(300_000):
        kind = ["down", "up", "fail", "fail", "noisy", "heartbeat"][rnd.randrange(6)]
        f.write(json.dumps({"time": t0 + i * 0.288, "source": "s", "host": f"h{rnd.randrange(500)}",
                            "type": kind}) + "\n")
runs = [replay(f"{work}/day.jsonl", "--rules", f"{work}/rules", "--config", f"{work}/eccd.yaml") for _ in range(3)]
if any(r[0] != 0 for r in runs):
    fail(f"a replay of the day failed: {runs[0][2]}")
if len({r[1] for r in runs}) != 1:
    fail("three replays of the same day made different changes")
if "300000 events" not in runs[0][2]:
    fail(f"the summary does not count the day's 300,000 events: {runs[0][2]}")
print(f"replay: a day of 300,000 events, three runs, identical output ({len(runs[0][1].splitlines()):,} lines); "
      f"{runs[0][2].strip()}", flush=True)

# --- 3. Diff.
code, out, err = replay(f"{work}/day.jsonl", "--config", f"{work}/eccd.yaml", "--diff-rules", f"{work}/rules")
if code != 0 or out:
    fail(f"the rules differ from themselves: exit {code}, {out[:300]}")
code, out, err = replay(f"{work}/recording.jsonl", "--config", f"{work}/eccd.yaml", "--diff-rules",
                        f"{work}/longer", "--to", to)
lines = out.splitlines()
if code != 0 or not lines or any(" held [" not in l for l in lines) or not all(l[:2] in ("- ", "+ ") for l in lines):
    fail(f"the diff with a longer hold is not only held alarms: exit {code}: {out[:500]}")
print(f"replay: diff against a 5 s hold instead of 2 s: {len(lines)} lines, all of the hold rule", flush=True)

# --- 4. A real capture of net-snmp traps.
trap_port = free_port(socket.SOCK_DGRAM)
pcap = f"{work}/traps.pcap"
dump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", pcap, "udp", "and", "port", str(trap_port)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    deadline = time.time() + 10
    while not os.path.exists(pcap) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # tcpdump writes its header at once but starts capturing a moment later
    for port in (3, 4):
        subprocess.run(["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{trap_port}", "",
                        "1.3.6.1.6.3.1.1.5.3", f"1.3.6.1.2.1.2.2.1.1.{port}", "i", str(port)], check=True)
    subprocess.run(["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{trap_port}", "",
                    "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.4", "i", "4"], check=True)
    time.sleep(1)
finally:
    dump.send_signal(signal.SIGINT)
    dump.wait(10)
# The holds run past the last trap: --to lets them end (a replay stops at its last event otherwise).
later = datetime.utcfromtimestamp(time.time() + 60).strftime("%Y-%m-%dT%H:%M:%SZ")
code, out, err = replay(pcap, "--rules", f"{ROOT}/rules", "--format", "json", "--to", later)
changes = [json.loads(l) for l in out.splitlines()]
down = [c for c in changes if c["rule"] == "interface-down"]
if code != 0 or [c["change"] for c in down] != ["raised"] or down[0]["host"] != "127.0.0.1" or "pcap" not in err:
    fail(f"the capture did not replay into one interface-down alarm for 127.0.0.1 (port 4 came back within "
         f"the hold): exit {code}, {out[:500]} {err}")
if abs(seconds(down[0]["at"]) - (seconds(down[0]["first_seen"]) + 10)) > 0.01:
    fail(f"the hold did not end 10 s after the captured trap's time: {down[0]}")
print(f"replay: a tcpdump capture of net-snmp's traps: {err.strip()}")
# --- 5. Raw syslog lines through the shipped parsers, into a scratch store: who would have been paged.
routes = open(f"{ROOT}/rules/routes.yaml").read()
receivers = sorted({r.strip() for line in routes.splitlines() if "receivers: [" in line
                    for r in line.split("receivers: [")[1].split("]")[0].split(",")})
with open(f"{work}/scratch.yaml", "w") as f:
    f.write(f"rules: [{ROOT}/rules]\nnotify:\n  receivers:\n")
    for r in receivers:
        f.write(f'    - {{name: {r}, webhook: {{url: "http://127.0.0.1:9/"}}}}\n')
scratch = f"{work}/scratch.db"
code, out, err = replay(f"{ROOT}/docs/examples/syslog.log", "--input", "text", "--config", f"{work}/scratch.yaml",
                        "--to", "2026-12-05T04:00:00Z", "--store", scratch)
if code != 0 or "route security-team would have paged [security-email] for 2 raised alarms" not in err:
    fail(f"the syslog example into a scratch store: exit {code}, {err}")
db = sqlite3.connect(scratch)
incidents = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
rules_raised = sorted(r for (r,) in db.execute("SELECT rule FROM alarms"))
db.close()
if incidents != 4 or rules_raised != ["service-failed", "service-restart-loop", "ssh-brute-force", "sudo-failures"]:
    fail(f"the scratch store holds {incidents} incidents and alarms of {rules_raised}")
code, _, err2 = replay(f"{ROOT}/docs/examples/syslog.log", "--input", "text", "--rules", f"{ROOT}/rules", "--store", scratch)
if code != 2 or "must be a new file" not in err2:
    fail(f"a replay wrote into an existing database: exit {code}, {err2}")
print(f"replay: docs/examples/syslog.log through the shipped parsers into a scratch store: "
      f"{err.strip().splitlines()[-3]} / {err.strip().splitlines()[-1]}", flush=True)
# --- 6. The scratch store through the usual commands: eccd --view serves it read-only to eccctl.
import hashlib
digest = hashlib.sha256(open(scratch, "rb").read()).hexdigest()
view_port = free_port()
view_log = open(f"{work}/view.log", "w")
view = subprocess.Popen([f"{BIN}/eccd", "--view", scratch, "--rules", f"{ROOT}/rules", "--port", str(view_port)],
                        stdout=view_log, stderr=subprocess.STDOUT)
try:
    harness.wait_healthy(view_port, view, lambda m: fail(f"eccd --view: {m}: {open(f'{work}/view.log').read()}"))

    def eccctl(*args):
        p = subprocess.run([f"{BIN}/eccctl", *args, "--server", f"http://127.0.0.1:{view_port}"], capture_output=True)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    code, listed, e = eccctl("incidents", "list")
    rows = listed.strip().splitlines()[1:]
    if code != 0 or len(rows) != 4 or not any("5 failed SSH logins for root on bastion1" in r for r in rows):
        fail(f"eccctl incidents list on the view: exit {code}, {listed} {e}")
    code, alarms_out, e = eccctl("alarms", "list")
    if code != 0 or len(alarms_out.strip().splitlines()) != 2 or "service-restart-loop" not in alarms_out:
        fail(f"eccctl alarms list on the view (the two alarms still active at --to): exit {code}, {alarms_out} {e}")
    code, why, e = eccctl("alarms", "why", "1")
    if code != 0 or "raised by rule 'ssh-brute-force'" not in why:
        fail(f"eccctl alarms why on the view: exit {code}, {why} {e}")
    code, out, e = eccctl("incidents", "ack", "1")
    if code == 0 or "read-only view" not in e:
        fail(f"an acknowledgement on the read-only view: exit {code}, {out} {e}")
    with urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{view_port}/v1/events", data=b'{"source":"x","type":"y"}', method="POST")) as r:
        fail(f"POST /v1/events on the read-only view answered {r.status}")
except urllib.error.HTTPError as refused:
    if refused.code != 405:
        fail(f"POST /v1/events on the read-only view answered {refused.code}, not 405")
finally:
    view.send_signal(signal.SIGTERM)
    try:
        view.wait(10)
    except subprocess.TimeoutExpired:
        view.kill()
        fail("eccd --view did not stop within 10 s of SIGTERM")
if view.returncode != 0:
    fail(f"eccd --view exited {view.returncode} on SIGTERM: {open(f'{work}/view.log').read()}")
if hashlib.sha256(open(scratch, "rb").read()).hexdigest() != digest:
    fail("eccd --view changed the database file")
print(f"replay: the scratch store through eccd --view: eccctl lists {len(rows)} incidents and "
      f"{len(alarms_out.strip().splitlines())} active alarms, explains alarm 1, and is refused an acknowledgement",
      flush=True)
print("replay: OK")
subprocess.run(["rm", "-rf", work])
