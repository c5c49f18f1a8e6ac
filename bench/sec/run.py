#!/usr/bin/env python3
"""run.py [N] [SEED] - generate N lines, run ECC and SEC on them under /usr/bin/time -v, compare.

Run from anywhere; works in the repository root. ECCD names the eccd binary (default
.build/release/eccd), TMPDIR where the files go (removed at the end unless KEEP=1). Prints wall time, user+sys CPU, max RSS and lines/s
of each whole process, the ratio, and compare.py --time's verdict; exits 1 if the alarms differ.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def timed(cmd, out, env=None):
    """Runs cmd under /usr/bin/time -v, stdout to the file out; returns (wall, cpu, rss_kb, stderr)."""
    with open(out, "w") as f:
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=f, stderr=subprocess.PIPE, text=True,
                           cwd=ROOT, env=env)
    v = {}
    for line in p.stderr.splitlines():
        k, _, val = line.strip().rpartition(": ")
        v[k] = val
    if p.returncode != 0:
        sys.exit(f"run.py: {cmd[0]} failed ({p.returncode}):\n{p.stderr}")
    parts = [float(x) for x in v["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
    wall = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
    cpu = float(v["User time (seconds)"]) + float(v["System time (seconds)"])
    own = "\n".join(l for l in p.stderr.splitlines() if not l.startswith("\t") and "Command being timed" not in l)
    return wall, cpu, int(v["Maximum resident set size (kbytes)"]), own


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = sys.argv[2] if len(sys.argv) > 2 else "1"
    eccd = os.environ.get("ECCD", ".build/release/eccd")
    d = tempfile.mkdtemp(prefix="ecc-sec-")
    lines = os.path.join(d, "lines.log")
    with open(lines, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/sec/generate.py"), str(n), seed], stdout=f,
                       check=True)
    ecc = timed([eccd, "--replay", lines, "--input", "text", "--rules", "bench/sec/ecc"], os.path.join(d, "ecc.out"))
    env = dict(os.environ, TZ="UTC")
    sec = timed(["perl", "-Ibench/sec", "-MFakeClock", "/usr/bin/sec", "--conf=bench/sec/sec.conf",
                 f"--input={lines}", "--notail", "--nointevents", "--debug=1"], os.path.join(d, "sec.out"), env)
    keep = os.environ.get("KEEP") == "1"
    print(f"{n} lines (seed {seed})" + (f" in {d}" if keep else "") + f"; load average {open('/proc/loadavg').read().split()[0]}")
    print(ecc[3].strip())
    for name, (wall, cpu, rss, _) in (("ECC", ecc), ("SEC", sec)):
        print(f"{name}: wall {wall:.2f} s, user+sys {cpu:.2f} s, max RSS {rss / 1024:.1f} MiB, "
              f"{n / wall / 1000:.1f} k lines/s")
    print(f"ECC/SEC: {sec[0] / ecc[0]:.2f}x by wall clock, {sec[1] / ecc[1]:.2f}x by CPU")
    c = subprocess.run([sys.executable, os.path.join(ROOT, "bench/sec/compare.py"), "--time",
                        os.path.join(d, "ecc.out"), os.path.join(d, "sec.out")])
    if not keep:
        shutil.rmtree(d)
    return c.returncode


if __name__ == "__main__":
    sys.exit(main())
