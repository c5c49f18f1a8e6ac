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


# --- BER for one SNMPv2c trap (RFC 3416): just what a linkDown/linkUp with ifIndex needs.
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def integer(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def oid(text):
    parts = [int(x) for x in text.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(chunk)
    return tlv(0x06, bytes(out))


def trap(if_index, down, request_id):
    kind = "1.3.6.1.6.3.1.1.5.3" if down else "1.3.6.1.6.3.1.1.5.4"
    binds = (
        tlv(0x30, oid("1.3.6.1.2.1.1.3.0") + tlv(0x43, (12345).to_bytes(2, "big")))
        + tlv(0x30, oid("1.3.6.1.6.3.1.1.4.1.0") + oid(kind))
        + tlv(0x30, oid(f"1.3.6.1.2.1.2.2.1.1.{if_index}") + integer(if_index))
    )
    pdu = tlv(0xA7, integer(request_id) + integer(0) + integer(0) + tlv(0x30, binds))
    return tlv(0x30, integer(1) + tlv(0x04, b"public") + pdu)
