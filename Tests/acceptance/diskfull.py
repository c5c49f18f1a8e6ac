#!/usr/bin/env python3
"""Acceptance: a full disk under the real eccd process, with a real SMTP server (aiosmtpd, STARTTLS).

eccd's data directory is a small tmpfs (mounted here; needs root). A sender floods JSON lines over TCP,
each event a new alarm, until the file system is full. It checks:

  * eccd keeps running and answering (/healthz 200, /readyz 503 naming store_retrying);
  * the shipped rules/eccd.yaml raises eccd-store-unwritable, and its e-mail reaches the SMTP server
    while the disk is still full (the route's group_wait is 10 minutes: it does not go through the outbox);
  * space returns (the tmpfs is remounted bigger): eccd recovers by itself, /readyz is 200 again, the
    self-alarm clears and its resolved e-mail arrives;
  * after a graceful stop nothing is lost: every event sent is an alarm in the store, every change the
    live stream showed is stored, PRAGMA integrity_check is ok, and the e-mails sent at once are recorded
    in the outbox, each once.

Usage: diskfull.py BIN_DIR
"""
import email, email.policy, glob, json, os, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

import harness
from harness import free_port

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp(prefix="ecc-diskfull-")
data = f"{work}/data"
mounted = False
children = []


def fail(msg):
    harness.fail("diskfull", msg, f"{work}/eccd.log")


os.makedirs(data)
r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "ecc-diskfull", data], capture_output=True, text=True)
if r.returncode != 0:
    fail(f"cannot mount a tmpfs for the data directory (run as root): {r.stderr.strip()}")
mounted = True

try:
    # The SMTP server: STARTTLS with a certificate made here.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", f"{work}/smtp.key", "-out", f"{work}/smtp.crt"],
        check=True, capture_output=True)
    smtp_port = free_port()
    os.makedirs(f"{work}/mail")
    smtp = subprocess.Popen(
        ["/usr/bin/python3", f"{ROOT}/Tests/servers/smtp_server.py", "--port", str(smtp_port), "--mode", "starttls",
         "--cert", f"{work}/smtp.crt", "--key", f"{work}/smtp.key", "--out", f"{work}/mail"],
        stdout=subprocess.PIPE, stderr=open(f"{work}/smtp.log", "w"), text=True)
    children.append(smtp)
    if not smtp.stdout.readline().startswith("ready"):
        fail(f"the SMTP server did not start: {open(f'{work}/smtp.log').read()}")

    def mails():
        out = []
        for path in sorted(glob.glob(f"{work}/mail/*.json")):
            out.append(json.load(open(path)))
        return out

    # The shipped eccd.yaml rules, a rule that makes every event a new alarm, and a route for eccd's own.
    os.makedirs(f"{work}/rules")
    subprocess.run(["cp", f"{ROOT}/rules/eccd.yaml", f"{work}/rules/"], check=True)
    with open(f"{work}/rules/fill.yaml", "w") as f:
        f.write("""- rule: fill
  when: {type: fill}
  key: "{host}"
  alarm: {severity: warning, summary: "{host} {pad}"}
- route: eccd-trouble
  match: {source: eccd}
  receivers: [oncall]
  group_wait: 10m
""")
    http_port, tcp_port = free_port(), free_port()
    with open(f"{work}/eccd.yaml", "w") as f:
        f.write(f"""database: {{path: {data}/ecc.db}}
rules: [{work}/rules]
http: {{listen: "127.0.0.1:{http_port}"}}
tcp: {{listen: "127.0.0.1:{tcp_port}"}}
snmp: {{enabled: false}}
syslog: {{enabled: false}}
notify:
  retry: {{initial: 1s, max: 2s}}
  smtp:
    url: smtp://127.0.0.1:{smtp_port}
    tls: starttls
    from: "ECC <ecc@noc.example.com>"
    ca_file: {work}/smtp.crt
    timeout: 10s
  receivers:
    - name: oncall
      email: {{to: [oncall@example.com]}}
""")
    log = open(f"{work}/eccd.log", "w")
    eccd = subprocess.Popen([f"{BIN}/eccd", "--config", f"{work}/eccd.yaml"], stdout=log, stderr=log)
    children.append(eccd)
    harness.wait_healthy(http_port, eccd, fail)

    def get(path, timeout=5):
        return harness.get(http_port, path, timeout)

    def status():
        return json.loads(get("/v1/status")[1])

    # The live stream: what it shows must be kept.
    shown = {}

    def tail():
        # A Python client falls behind a flood and is dropped as a slow subscriber: it reconnects.
        while eccd.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v1/stream", timeout=120) as r:
                    for raw in r:
                        line = raw.decode(errors="replace").strip()
                        if line.startswith("data: "):
                            c = json.loads(line[6:])
                            if "id" in c:
                                shown[c["id"]] = c
            except Exception:
                time.sleep(0.1)

    threading.Thread(target=tail, daemon=True).start()

    # The flood: a new alarm per event, until told to stop (eccd stops reading while the store is full).
    stop = threading.Event()
    sent = [0]

    def flood():
        s = socket.create_connection(("127.0.0.1", tcp_port))
        s.settimeout(0.5)
        pad = "x" * 300
        while not stop.is_set():
            lines = "".join(
                json.dumps({"source": "t", "host": f"h{sent[0] + i}", "type": "fill", "attributes": {"pad": pad}})
                + "\n" for i in range(100)).encode()
            while lines:  # a chunk is sent whole (eccd reads it once the store recovers)
                try:
                    lines = lines[s.send(lines):]
                except socket.timeout:
                    pass
            sent[0] += 100
        s.close()

    sender = threading.Thread(target=flood, daemon=True)
    sender.start()
    started = time.time()
    while not status()["store"]["retrying"]:
        if time.time() - started > 60:
            fail(f"the 3 MiB tmpfs did not fill within 60 s ({sent[0]} events sent)")
        time.sleep(0.1)
    full_at = time.time()
    print(f"diskfull: store retrying after {full_at - started:.1f} s, {sent[0]} events sent")

    # While the disk is full: alive, not ready (saying why), the self-alarm shown and e-mailed.
    deadline = time.time() + 30
    while not any(m["headers"].get("Subject", "").find("cannot write its database") >= 0 for m in mails()):
        if time.time() > deadline:
            fail(f"no e-mail about eccd-store-unwritable within 30 s of the disk filling; got {len(mails())} mails; "
                 f"SMTP log: {open(f'{work}/smtp.log').read()[-2000:]}")
        time.sleep(0.2)
    mailed_after = time.time() - full_at
    if not status()["store"]["retrying"]:
        fail("the store recovered before the e-mail arrived: the test proved nothing")
    if get("/healthz")[0] != 200:
        fail("/healthz is not 200 while the disk is full")
    try:
        get("/readyz")
        fail("/readyz is 200 while the disk is full")
    except urllib.error.HTTPError as e:
        if e.code != 503 or b"store_retrying" not in e.read():
            fail(f"/readyz answered {e.code} without store_retrying while the disk is full")
    if not any(c.get("rule") == "eccd-store-unwritable" and c.get("change") == "raised" for c in shown.values()):
        fail("eccd-store-unwritable was not shown on the live stream")
    time.sleep(2)  # full for a while longer, still flooding
    if eccd.poll() is not None:
        fail(f"eccd exited with {eccd.returncode} while the disk was full")

    # Space returns; the flood stops (what it has sent is read and stored).
    stop.set()
    subprocess.run(["mount", "-o", "remount,size=256m", data], check=True)
    freed = time.time()
    while True:
        try:
            if get("/readyz")[0] == 200 and not status()["store"]["retrying"]:
                break
        except urllib.error.HTTPError:
            pass
        if time.time() - freed > 60:
            fail(f"not recovered 60 s after space returned: {status()['store']}")
        time.sleep(0.1)
    recovered_after = time.time() - freed
    sender.join(30)
    deadline = time.time() + 30
    while sum("cannot write its database" in m["headers"].get("Subject", "") for m in mails()) < 2:
        if time.time() > deadline:
            fail(f"no resolved e-mail within 30 s of recovery: {[m['headers'].get('Subject') for m in mails()]}")
        time.sleep(0.2)

    # Everything sent is processed, then a graceful stop.
    deadline = time.time() + 60
    while status()["events_processed"] < sent[0]:
        if time.time() > deadline:
            fail(f"eccd processed {status()['events_processed']} of {sent[0]} events sent")
        time.sleep(0.2)
    time.sleep(1)
    eccd.send_signal(signal.SIGTERM)
    if eccd.wait(60) != 0:
        fail(f"eccd exited with {eccd.returncode} at stop")

    db = sqlite3.connect(f"{data}/ecc.db")
    if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("PRAGMA integrity_check failed")
    stored = {r[0]: r[1] for r in db.execute("SELECT id, state FROM alarms")}
    fills = db.execute("SELECT count(*) FROM alarms WHERE rule = 'fill'").fetchone()[0]
    if fills != sent[0]:
        fail(f"{sent[0]} events sent, {fills} alarms stored")
    for aid, c in shown.items():
        if aid not in stored:
            fail(f"alarm {aid} ({c.get('rule')}) was shown on the stream but is not in the store")
    recorded = db.execute(
        """SELECT count(*) FROM notifications n JOIN alarms a ON a.id = CAST(n.alarm_ids AS INTEGER)
           WHERE a.rule = 'eccd-store-unwritable' AND n.receiver = 'oncall' AND n.state = 'sent'
           AND n.reason LIKE '%sent at once%'""").fetchone()[0]
    others = db.execute("SELECT count(*) FROM notifications WHERE receiver = 'oncall' AND state != 'sent'").fetchone()[0]
    db.close()
    self_mails = sum("cannot write its database" in m["headers"].get("Subject", "") for m in mails())
    if recorded != 2 or others != 0 or self_mails != 2:
        fail(f"{self_mails} e-mails about the self-alarm, {recorded} recorded as sent at once, {others} others")
    print(f"diskfull: OK (full after {full_at - started:.1f} s and {sent[0]} events; self-alarm e-mailed "
          f"{mailed_after:.1f} s after the store started retrying, while full; recovered {recovered_after:.1f} s "
          f"after space returned; {fills} alarms stored, {len(shown)} shown and all kept; integrity ok)")
finally:
    for c in children:
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(30)
            except subprocess.TimeoutExpired:
                c.kill()
    if mounted:
        subprocess.run(["umount", "-l", data])
    subprocess.run(["rm", "-rf", work])
