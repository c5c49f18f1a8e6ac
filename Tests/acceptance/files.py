#!/usr/bin/env python3
"""Acceptance: following a log file across real logrotate runs and kill -9, against the real eccd process.

A writer appends numbered lines (`seq=N …`) to app.log without pause, each line a new alarm key, for
about 12 s. Meanwhile logrotate (rename and create) rotates the file while eccd runs, eccd is killed with
SIGKILL (each time while it works through a burst of 20,000 lines, so lines on the bus and not yet
committed are lost with the process and must be read again), the file is rotated again while eccd is
down, eccd starts again, is killed again and starts again. At the end eccd stops gracefully and the SQLite file is read directly: every line written has
exactly one alarm, and its count is 1 — no line lost, none taken twice.

Usage: files.py BIN_DIR
"""
import os, random, signal, sqlite3, subprocess, sys, tempfile, threading, time, urllib.request

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="ecc-files-")
log_path = f"{work}/logs/app.log"
os.makedirs(f"{work}/logs")
os.makedirs(f"{work}/rules")
open(log_path, "w").close()


def fail(msg):
    harness.fail("files", msg, f"{work}/eccd.log")


if not os.path.exists("/usr/sbin/logrotate"):
    fail("logrotate is not installed (make test-deps installs it)")

http_port = free_port()
with open(f"{work}/rules/r.yaml", "w") as f:
    f.write("""- parser: seq-line
  match: '^seq=(?P<seq>\\d+) (?P<text>.*)$'
  event: {source: app, type: seqline, summary: "{text}"}
- rule: every-line
  when: {type: seqline}
  key: "{seq}"
  alarm: {severity: warning, summary: "{summary}"}
""")
with open(f"{work}/eccd.yaml", "w") as f:
    f.write(f"""database: {{path: {work}/ecc.db}}
rules: [{work}/rules]
http: {{listen: "127.0.0.1:{http_port}"}}
tcp: {{enabled: false}}
snmp: {{enabled: false}}
syslog: {{enabled: false}}
files:
  - {{path: {log_path}, start_at: beginning}}
""")
with open(f"{work}/logrotate.conf", "w") as f:
    f.write(f"{log_path} {{\n  rotate 50\n  create\n  nocompress\n}}\n")

eccd = None


def start():
    global eccd
    log = open(f"{work}/eccd.log", "a")
    eccd = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/eccd.yaml"], stdout=log, stderr=log)
    harness.wait_healthy(http_port, eccd, fail)


def kill9():
    eccd.send_signal(signal.SIGKILL)
    eccd.wait()


def rotate():
    r = subprocess.run(["/usr/sbin/logrotate", "-f", "-s", f"{work}/logrotate.state", f"{work}/logrotate.conf"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"logrotate: {r.stderr}")


class Writer(threading.Thread):
    """Appends numbered lines, a few at a time, opening the path each time (as a program logging by path)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.written = 0
        self.lock = threading.Lock()

    def lines(self, n):
        with self.lock, open(log_path, "a") as f:
            for _ in range(n):
                self.written += 1
                f.write(f"seq={self.written} line {self.written} of the acceptance run\n")

    def run(self):
        while not self.stop:
            self.lines(random.randrange(1, 20))
            time.sleep(0.005)

    def burst(self):
        """20,000 lines at once, then a kill while the engine still works through them: lines read and on the
        bus but not yet committed must be read again after the restart, and only they."""
        self.lines(20000)
        time.sleep(random.uniform(0.3, 0.6))


start()
writer = Writer()
writer.start()
time.sleep(2)
rotate()                      # while eccd runs
time.sleep(random.uniform(0.5, 2))
writer.burst()
kill9()
time.sleep(0.3)
rotate()                      # while eccd is down: the rest of the old file is read first at restart
time.sleep(0.3)
start()
time.sleep(random.uniform(1, 3))
rotate()
time.sleep(random.uniform(0.5, 2))
writer.burst()
kill9()                       # no rotation this time: it resumes in the same file
start()
time.sleep(2)
writer.stop = True
writer.join()
total = writer.written

deadline = time.time() + 60
while time.time() < deadline:
    _, body, _ = harness.get(http_port, "/metrics")
    if harness.metric(body.decode(), "ecc_alarms_active") >= total:
        break
    time.sleep(0.2)
eccd.send_signal(signal.SIGTERM)
if eccd.wait(timeout=60) != 0:
    fail(f"eccd exited with {eccd.returncode} at SIGTERM")

db = sqlite3.connect(f"{work}/ecc.db")
rows = db.execute("SELECT key, count FROM alarms WHERE rule = 'every-line'").fetchall()
keys = {}
for key, count in rows:
    keys[key] = keys.get(key, 0) + count
missing = [n for n in range(1, total + 1) if str(n) not in keys]
twice = {k: c for k, c in keys.items() if c != 1}
extra = [k for k in keys if not k.isdigit() or not 1 <= int(k) <= total]
if missing:
    fail(f"{len(missing)} of {total} lines never became alarms, e.g. {missing[:10]}")
if twice:
    fail(f"{len(twice)} lines taken more than once, e.g. {list(twice.items())[:10]}")
if extra:
    fail(f"alarms for lines never written: {extra[:10]}")
rotated = len([n for n in os.listdir(f"{work}/logs") if n.startswith("app.log.")])
print(f"acceptance files: OK: {total} lines over {rotated + 1} files (3 logrotate runs, one while eccd was down), "
      f"2 kill -9: every line once")
subprocess.run(["rm", "-rf", work])
