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
