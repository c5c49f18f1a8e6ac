#!/usr/bin/env python3
"""Acceptance: kill -9 at random moments under sustained load, against the real eccd process.

A load generator sends JSON lines over TCP without pause (alarms raised, repeated and cleared over 2,000
hosts); a client follows the live stream; a webhook receiver records every notification's
Idempotency-Key. KILLS times (default 20) eccd is killed with SIGKILL at a random moment 0.3-2.5 s into
a run, then, with eccd down, the SQLite file is read directly and checked:

  * every alarm change the stream showed is in the store: the alarm exists, its count is at least the
    highest count shown, and an alarm shown cleared is cleared (what is shown is what is kept);
  * PRAGMA integrity_check is ok;

then eccd is started again on the same file and the load goes on. At the end eccd stops gracefully and
every notification the store marks sent was received by the webhook, each Idempotency-Key at most once
more than once per kill (a kill between a send and its commit repeats that send with the same key, which
is what the key is for).

Usage: kill9.py BIN_DIR [KILLS]
"""
import http.server, json, os, random, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.request

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
work = tempfile.mkdtemp(prefix="ecc-kill9-")
random.seed(int(os.environ.get("KILL9_SEED", "0")) or None)


def fail(msg):
    harness.fail("kill9", msg, f"{work}/eccd.log")


# The webhook receiver: records each notification's Idempotency-Key.
received = {}
received_lock = threading.Lock()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key", "")
        with received_lock:
            received[key] = received.get(key, 0) + 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()

http_port, tcp_port = free_port(), free_port()
os.makedirs(f"{work}/rules")
with open(f"{work}/rules/r.yaml", "w") as f:
    f.write("""- rule: node-down
  when: {type: nodeDown}
  key: "{host}"
  clear_when: {type: nodeUp}
  alarm: {severity: major, summary: "{host} down"}
- route: all
  receivers: [hook]
  group_wait: 0s
""")
with open(f"{work}/eccd.yaml", "w") as f:
    f.write(f"""database: {{path: {work}/ecc.db}}
rules: [{work}/rules]
http: {{listen: "127.0.0.1:{http_port}"}}
tcp: {{listen: "127.0.0.1:{tcp_port}"}}
snmp: {{enabled: false}}
syslog: {{enabled: false}}
notify:
  retry: {{initial: 1s, max: 2s, give_up_after: 1h}}
  receivers:
    - name: hook
      webhook: {{url: "http://127.0.0.1:{hook.server_address[1]}/hook", format: ecc, timeout: 5s}}
""")

eccd = None


def start():
    global eccd
    log = open(f"{work}/eccd.log", "a")
    eccd = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/eccd.yaml"], stdout=log, stderr=log)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=1).read()
            return
        except Exception:
            if eccd.poll() is not None:
                fail(f"eccd exited with {eccd.returncode} at start")
            time.sleep(0.05)
    fail("eccd did not become ready within 60 s")


class Load(threading.Thread):
    """JSON lines over TCP as fast as eccd takes them: raise, repeat, clear over 2,000 hosts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.sent = 0

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
            while not self.stop:
                lines = []
                for _ in range(200):
                    h = random.randrange(2000)
                    kind = "nodeUp" if random.random() < 0.3 else "nodeDown"
                    lines.append(json.dumps({"source": "load", "host": f"n{h}", "type": kind}))
                s.sendall(("\n".join(lines) + "\n").encode())
                self.sent += len(lines)
        except OSError:
            pass  # eccd was killed


class Tail(threading.Thread):
    """Follows GET /v1/stream; keeps, per alarm id, the highest count and the last change shown."""

    def __init__(self, shown):
        super().__init__(daemon=True)
        self.shown = shown

    def run(self):
        try:
            r = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/stream", timeout=30)
            for raw in r:
                line = raw.decode(errors="replace").strip()
                if not line.startswith("data: "):
                    continue
                c = json.loads(line[6:])
                if "id" not in c:
                    continue
                prev = self.shown.get(c["id"], {"count": 0})
                self.shown[c["id"]] = {"count": max(prev["count"], c.get("count", 0)), "change": c["change"]}
        except Exception:
            pass  # eccd was killed


class Lag(threading.Thread):
    """Samples ecc_store_uncommitted_changes every 20 ms: what a kill at that moment would lose of
    processed work (none of it shown)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []

    def run(self):
        while True:
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=2).read().decode()
            except Exception:
                return  # eccd was killed
            for line in text.splitlines():
                if line.startswith("ecc_store_uncommitted_changes "):
                    self.samples.append(int(float(line.split()[1])))
            time.sleep(0.02)


def check_store(shown, round_no):
    db = sqlite3.connect(f"{work}/ecc.db")
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail(f"kill {round_no}: integrity_check failed")
    rows = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, state, count FROM alarms")}
    db.close()
    for aid, seen in shown.items():
        if aid not in rows:
            fail(f"kill {round_no}: alarm {aid} was shown on the stream ({seen['change']}) but is not in the store")
        state, count = rows[aid]
        if count < seen["count"]:
            fail(f"kill {round_no}: alarm {aid} shown with count {seen['count']}, stored {count}")
        if seen["change"] == "cleared" and state != "cleared":
            fail(f"kill {round_no}: alarm {aid} shown cleared, stored {state}")
    return len(rows)


try:
    start()
    total_shown = 0
    windows = []
    for k in range(1, KILLS + 1):
        shown = {}
        tail = Tail(shown)
        tail.start()
        time.sleep(0.2)
        load = Load()
        load.start()
        lag = Lag()
        lag.start()
        time.sleep(random.uniform(0.3, 2.5))
        eccd.send_signal(signal.SIGKILL)
        eccd.wait()
        load.stop = True
        load.join(5)
        tail.join(5)
        lag.join(5)
        stored = check_store(shown, k)
        total_shown += len(shown)
        windows += lag.samples
        print(f"kill9: kill {k}: {load.sent} events sent, {len(shown)} alarms shown on the stream, all kept "
              f"({stored} alarms stored; uncommitted changes sampled: max {max(lag.samples, default=0)})")
        start()
    # The last run: stop gracefully once the due notifications went out.
    time.sleep(3)
    eccd.send_signal(signal.SIGTERM)
    if eccd.wait(60) != 0:
        fail(f"eccd exited {eccd.returncode} on SIGTERM")
    db = sqlite3.connect(f"{work}/ecc.db")
    sent = db.execute("SELECT count(*) FROM notifications WHERE state = 'sent'").fetchone()[0]
    db.close()
    with received_lock:
        keys = dict(received)
    repeats = sum(n - 1 for n in keys.values())
    if len(keys) < sent:
        fail(f"{sent} notifications marked sent, {len(keys)} distinct keys received")
    if repeats > KILLS * 8:
        fail(f"{repeats} repeated deliveries for {KILLS} kills")
    windows.sort()
    p99 = windows[int(len(windows) * 0.99)] if windows else 0
    print(f"kill9: OK ({KILLS} kills under load; {total_shown} alarms shown, every one kept; "
          f"{sent} notifications sent, {len(keys)} keys received, {repeats} repeated by a kill; uncommitted "
          f"changes over {len(windows)} samples: median {windows[len(windows) // 2] if windows else 0}, "
          f"p99 {p99}, max {windows[-1] if windows else 0})")
finally:
    if eccd and eccd.poll() is None:
        eccd.kill()
    hook.shutdown()
    subprocess.run(["rm", "-rf", work])
