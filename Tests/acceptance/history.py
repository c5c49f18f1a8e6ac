#!/usr/bin/env python3
"""Acceptance: history arriving late in the live daemon (an agent's spool flushed after an outage).

  * An hour of five agents' events (heartbeats, outages the hold absorbs or raises, bursts of failures,
    noisy spells that auto-clear, silences the absence rule catches), timed from 75 to 15 minutes ago,
    is flushed into a running eccd over the TCP collector as fast as it takes them, while another sender
    is live (heartbeats in real time). The raises and clears eccd stores for the agents must be those of
    `eccd --replay` over the same file (the engine on the events' own time), each with the same rule, key,
    kind and time (to the millisecond). `replay.py` shows that the replay gives what the events give
    sent live, in time; so the flush gives what they gave live.
  * The test can fail: with `history_after: 24h` (no sender gets its own clock) the same flush gives
    other alarms (every hold, absence and window overdue at once).
  * /metrics counts the history (`ecc_events_history_total`) and no sender is left on its own clock once
    the flush is over (`ecc_history_senders` 0); an event timed a day ahead is counted and given eccd's
    time (`ecc_events_future_total`).

Usage: history.py BIN_DIR
"""
import json, os, random, signal, socket, sqlite3, subprocess, sys, tempfile, time
from datetime import datetime

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="ecc-history-")


def fail(msg):
    harness.fail("history", msg, f"{work}/eccd.log")


RULES = """- engine: settings
  lateness: 5s
- rule: held
  when: {type: down}
  key: "{host}"
  clear_when: {type: up}
  hold: 30s
  alarm: {severity: major, summary: "{host} down"}
- rule: burst
  when: {type: fail}
  key: "{host}"
  threshold: {count: 3, within: 60s, clear_below: 1}
  alarm: {summary: "failures on {host}"}
- rule: quiet
  when: {type: noisy}
  key: "{host}"
  auto_clear: 2m
  alarm: {summary: "noisy {host}"}
- rule: silent
  expect: {type: heartbeat}
  absent_for: 90s
  key: "{host}"
  alarm: {summary: "{host} silent"}
"""

rnd = random.Random(14)
now = time.time()
start, end = now - 75 * 60, now - 15 * 60
events = []
for host in [f"agent{i}" for i in range(5)]:
    t = start
    while t < end:
        k = rnd.random()
        # An event every 5 to 25 s, half of them heartbeats; one gap in 40 is 3 minutes of silence.
        kind = "heartbeat" if k < 0.5 else "down" if k < 0.6 else "up" if k < 0.7 else "fail" if k < 0.9 else "noisy"
        events.append({"time": round(t, 3), "source": "ecc-agent", "host": host, "type": kind})
        t += rnd.uniform(5, 25) if rnd.random() > 1 / 40 else 180
events.sort(key=lambda e: e["time"])
with open(f"{work}/spool.jsonl", "w") as f:
    for e in events:
        f.write(json.dumps(e) + "\n")
last = events[-1]["time"]
# Every timer the hour set is due by then (the longest wait is 2 minutes), and eccd's clock is past it.
horizon = last + 600


def run(name, rules):
    os.makedirs(f"{work}/{name}/rules")
    open(f"{work}/{name}/rules/r.yaml", "w").write(rules)
    http_port, tcp_port = free_port(), free_port()
    open(f"{work}/{name}/eccd.yaml", "w").write(f"""database: {{path: {work}/{name}/ecc.db}}
rules: [{work}/{name}/rules]
http: {{listen: "127.0.0.1:{http_port}"}}
tcp: {{listen: "127.0.0.1:{tcp_port}"}}
snmp: {{enabled: false}}
syslog: {{enabled: false}}
""")
    log = open(f"{work}/eccd.log", "w")
    eccd = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/{name}/eccd.yaml"], stdout=log, stderr=log)
    try:
        harness.wait_healthy(http_port, eccd, fail)
        live = socket.create_connection(("127.0.0.1", tcp_port))
        spool = socket.create_connection(("127.0.0.1", tcp_port))

        def beat():
            live.sendall((json.dumps({"time": round(time.time(), 3), "source": "ecc-agent", "host": "live1",
                                      "type": "heartbeat"}) + "\n").encode())

        beat()
        time.sleep(0.5)
        with open(f"{work}/spool.jsonl", "rb") as f:
            spool.sendall(f.read())
        spool.sendall((json.dumps({"time": time.time() + 86400, "source": "ecc-agent", "host": "skewed",
                                   "type": "noisy"}) + "\n").encode())
        # The flush is over once eccd has processed every event and found the agents silent (2 s).
        want = len(events) + 2
        deadline = time.time() + 60
        while True:
            beat()
            text = harness.get(http_port, "/metrics")[1].decode()
            if harness.metric(text, "ecc_events_processed_total") >= want and \
                    harness.metric(text, "ecc_history_senders") == 0:
                break
            if time.time() > deadline:
                fail(f"{name}: eccd did not take the flush in 60 s: {text[:2000]}")
            time.sleep(0.5)
        time.sleep(1)
        metrics = harness.get(http_port, "/metrics")[1].decode()
        live.close()
        spool.close()
        eccd.send_signal(signal.SIGTERM)
        if eccd.wait(60) != 0:
            fail(f"{name}: eccd exited with {eccd.returncode}")
    finally:
        if eccd.poll() is None:
            eccd.kill()
    db = sqlite3.connect(f"{work}/{name}/ecc.db")
    changes = sorted((kind, round(at / 1e9, 3), rule, key) for kind, at, rule, key in db.execute(
        "SELECT c.kind, c.at, a.rule, a.key FROM alarm_changes c JOIN alarms a ON a.id = c.alarm_id "
        "WHERE c.kind IN ('raised', 'cleared') AND a.host LIKE 'agent%'"))
    db.close()
    return [c for c in changes if c[1] <= horizon], metrics


def seconds(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


flushed, metrics = run("own-clocks", RULES)
to = datetime.utcfromtimestamp(horizon).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
p = subprocess.run([f"{BIN}/eccd", "--replay", f"{work}/spool.jsonl", "--rules", f"{work}/own-clocks/rules",
                    "--format", "json", "--to", to], capture_output=True)
if p.returncode != 0:
    fail(f"eccd --replay exited with {p.returncode}: {p.stderr.decode()}")
replayed = sorted((c["change"], round(seconds(c["at"]), 3), c["rule"], c["key"])
                  for c in map(json.loads, p.stdout.decode().splitlines()) if c["change"] in ("raised", "cleared"))
kinds = {r for _, _, r, _ in replayed}
if len(replayed) < 50 or kinds != {"held", "burst", "quiet", "silent"}:
    fail(f"the hour made {len(replayed)} raises and clears of {sorted(kinds)}: the test is not testing")
def alike(a, b):
    """The same changes, each at the same time (to the millisecond the printed times keep)."""
    return len(a) == len(b) and all(x[0] == y[0] and x[2:] == y[2:] and abs(x[1] - y[1]) <= 0.002
                                    for x, y in zip(sorted(a, key=lambda c: (c[2], c[3], c[1])),
                                                    sorted(b, key=lambda c: (c[2], c[3], c[1]))))


if not alike(flushed, replayed):
    only_flushed = sorted(set(flushed) - set(replayed))
    only_replay = sorted(set(replayed) - set(flushed))
    fail(f"the flushed spool and the replay differ: {len(flushed)} flushed, {len(replayed)} replayed; "
         f"only flushed {only_flushed[:5]}, only replayed {only_replay[:5]}")
history = harness.metric(metrics, "ecc_events_history_total")
future = harness.metric(metrics, "ecc_events_future_total")
if history != len(events) or future != 1:
    fail(f"/metrics counted {history} history events (want {len(events)}) and {future} from the future (want 1)")
print(f"history: an hour of 5 agents' spool ({len(events):,} events, 75 to 15 minutes old) flushed into a live "
      f"eccd gives the replay's {len(replayed)} raises and clears, each at the same time; "
      f"ecc_events_history_total {history:.0f}, ecc_events_future_total {future:.0f}", flush=True)

one_clock, _ = run("one-clock", RULES.replace("  lateness: 5s\n", "  lateness: 5s\n  history_after: 24h\n"))
if alike(one_clock, replayed):
    fail("on the engine's one clock the flush gave the replay's alarms too: the test cannot fail")
print(f"history: on one clock (history_after: 24h) the same flush gives {len(one_clock)} raises and clears, "
      f"{len(set(one_clock) ^ set(replayed))} unlike the replay's", flush=True)
print("history: OK")
subprocess.run(["rm", "-rf", work])
