"""What the Python acceptance scripts share: a free port on 127.0.0.1 and failing with eccd's log."""
import os, socket, sys


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def fail(script, msg, log=None):
    """Prints `acceptance SCRIPT: FAIL: msg` and the last 20 lines of eccd's log (when given), then exits 1."""
    print(f"acceptance {script}: FAIL: {msg}", file=sys.stderr)
    if log and os.path.exists(log):
        print("--- eccd log", file=sys.stderr)
        print("".join(open(log, errors="replace").readlines()[-20:]), file=sys.stderr)
    sys.exit(1)


def get(port, path, timeout=5):
    """GET http://127.0.0.1:PORT/PATH: (status, body, seconds taken); raises on errors (HTTPError for >= 400)."""
    import time, urllib.request
    t = time.time()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read(), time.time() - t


def metric(text, name):
    """The sum of a /metrics family's samples (every label set)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.split()[-1])
    return total


def rss(pid):
    """Resident set size of a process in bytes."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def wait_healthy(port, proc, on_fail, seconds=60):
    """Waits until eccd answers /healthz; calls on_fail(message) if it exits or does not answer in time."""
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            get(port, "/healthz", 1)
            return
        except Exception:
            if proc.poll() is not None:
                on_fail(f"eccd exited with {proc.returncode} at start")
            time.sleep(0.05)
    on_fail(f"eccd did not answer /healthz within {seconds} s")
